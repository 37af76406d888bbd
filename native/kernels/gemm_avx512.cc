// avx512 kernels for gemm.cc. Only intrinsics and plain loops here: shared inline code compiled
// with these flags could be picked by the linker for machines without avx512.
#include <immintrin.h>

#include "kernels/gemm.h"

namespace convkit {

// y[0..n) += a * x[0..n)
void saxpy_avx512(int64_t n, float a, const float* x, float* y) {
  const __m512 va = _mm512_set1_ps(a);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

}  // namespace convkit
