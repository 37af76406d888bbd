// avx2 kernels for gemm.cc. Only intrinsics and plain loops here: shared inline code compiled
// with these flags could be picked by the linker for machines without avx2.
#include <immintrin.h>

#include "kernels/gemm.h"

namespace convkit {

// y[0..n) += a * x[0..n)
void saxpy_avx2(int64_t n, float a, const float* x, float* y) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

}  // namespace convkit
