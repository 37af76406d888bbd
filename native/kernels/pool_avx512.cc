// AVX-512 max-pool rows: 16 outputs per vector, windows compared in the generic kernel's order
// so that the argmax (first maximum; a NaN wins) is the same.
#include <immintrin.h>

#include "kernels/pool.h"

namespace convkit {
namespace {

// Lanes j < count of 16.
__mmask16 first_lanes(int64_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << count) - 1);
}

// x[at + S*j] for lanes j in `mask` (S = 1 or 2), reading only elements the lanes need.
__m512 load_strided(const float* x, int64_t S, __mmask16 mask, int64_t count) {
  if (S == 1) return _mm512_maskz_loadu_ps(mask, x);
  const int64_t needed = 2 * (count < 16 ? count : 16) - 1;  // x[0..needed) holds the even elements
  const __mmask16 lo = first_lanes(needed), hi = first_lanes(needed > 16 ? needed - 16 : 0);
  const __m512 a = _mm512_maskz_loadu_ps(lo, x), b = _mm512_maskz_loadu_ps(hi, x + 16);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  return _mm512_permutex2var_ps(a, even, b);
}

}  // namespace

// y[j] = max_{ih0 <= r < ih1, kw < KW} x[r*W + iw0 + j*S + kw], idx[j] = its first argmax, for S <= 2.
int64_t max_pool_row_avx512(const float* x, int64_t W, int64_t ih0, int64_t ih1, int64_t KW, int64_t S,
                            int64_t iw0, int64_t count, float* y, int32_t* idx) {
  if (S > 2) return 0;
  const __m512i lane_offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                  _mm512_set1_epi32(static_cast<int32_t>(S)));
  for (int64_t j = 0; j < count; j += 16) {
    const __mmask16 mask = first_lanes(count - j);
    const int64_t first = ih0 * W + iw0 + j * S;
    __m512 best = load_strided(x + first, S, mask, count - j);
    __m512i arg = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(first)), lane_offsets);
    for (int64_t r = ih0; r < ih1; ++r) {
      for (int64_t kw = 0; kw < KW; ++kw) {
        const int64_t at = r * W + iw0 + j * S + kw;
        const __m512 v = load_strided(x + at, S, mask, count - j);
        const __mmask16 take = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        best = _mm512_mask_mov_ps(best, take, v);
        arg = _mm512_mask_mov_epi32(arg, take, _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(at)), lane_offsets));
      }
    }
    _mm512_mask_storeu_ps(y + j, mask, best);
    _mm512_mask_storeu_epi32(idx + j, mask, arg);
  }
  return count;
}

}  // namespace convkit
