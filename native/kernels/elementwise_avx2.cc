// AVX2 sum_f32 (elementwise.h): the 32 partial sums are four ymm, added in sum_f32_generic's tree,
// so the result has the same bits.
#include <immintrin.h>

#include "kernels/elementwise.h"
#include "kernels/lanes_avx2.h"

namespace convkit {
// s[j] = sum_{i = j mod 32} x[i] for n >= 32, then the tree s[j] += s[j + w], w = 16, 8, 4, 2, 1.
float sum_f32_avx2(int64_t n, const float* x) {
  if (n < 32) return sum_f32_generic(n, x);
  __m256 s[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int q = 0; q < 4; ++q) s[q] = _mm256_add_ps(s[q], _mm256_loadu_ps(x + i + 8 * q));
  }
  // A lane past the end adds +0, which leaves a partial sum (never -0: it started at +0) as it was.
  for (int q = 0; q < 4; ++q) s[q] = _mm256_add_ps(s[q], _mm256_maskload_ps(x + i + 8 * q, first_lanes(n - i - 8 * q)));
  const __m256 s8 = _mm256_add_ps(_mm256_add_ps(s[0], s[2]), _mm256_add_ps(s[1], s[3]));
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

}  // namespace convkit
