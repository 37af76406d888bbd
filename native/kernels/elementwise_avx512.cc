// AVX-512 sum_f32 (elementwise.h): the 32 partial sums are two zmm, added in sum_f32_generic's
// tree, so the result has the same bits.
// GCC 12 warns about its own _mm512_undefined_* inside avx512fintrin.h (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/elementwise.h"
#include "kernels/lanes_avx512.h"

namespace convkit {

// s[j] = sum_{i = j mod 32} x[i] for n >= 32, then the tree s[j] += s[j + w], w = 16, 8, 4, 2, 1.
float sum_f32_avx512(int64_t n, const float* x) {
  if (n < 32) return sum_f32_generic(n, x);
  __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    lo = _mm512_add_ps(lo, _mm512_loadu_ps(x + i));
    hi = _mm512_add_ps(hi, _mm512_loadu_ps(x + i + 16));
  }
  // A lane past the end adds +0, which leaves a partial sum (never -0: it started at +0) as it was.
  const int64_t rest = n - i;
  lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(first_lanes(rest), x + i));
  hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(first_lanes(rest - 16), x + i + 16));
  const __m512 s16 = _mm512_add_ps(lo, hi);
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(s16), _mm512_extractf32x8_ps(s16, 1));
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

}  // namespace convkit
