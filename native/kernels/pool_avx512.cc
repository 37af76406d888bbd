// AVX-512 max-pool rows: 16 outputs per vector, the last vector masked.
#include <immintrin.h>

#include "kernels/pool.h"

namespace convkit {
namespace {

// Bits [0, n) of a 32-bit mask, n <= 32.
uint32_t first_bits(int64_t n) { return n >= 32 ? 0xffffffffu : (1u << n) - 1; }

// Lanes j < lanes get x[S*j] (S = 1 or 2), the others 0; reads only x[0 .. S*(lanes-1)].
__m512 load_lanes(const float* x, int64_t S, int64_t lanes) {
  if (S == 1) return _mm512_maskz_loadu_ps(static_cast<__mmask16>(first_bits(lanes)), x);
  const uint32_t raw = first_bits(2 * lanes - 1);
  const __m512 a = _mm512_maskz_loadu_ps(static_cast<__mmask16>(raw), x);
  const __m512 b = _mm512_maskz_loadu_ps(static_cast<__mmask16>(raw >> 16), x + 16);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  return _mm512_permutex2var_ps(a, even, b);
}

// Lanes of v that replace best: greater, or NaN.
__mmask16 wins(__m512 v, __m512 best) {
  return _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
}

}  // namespace

// Each input row is reduced over kw once, then merged, in row order, into every output row
// whose windows hold it: "the later one wins iff greater or NaN" is associative, so this equals
// the plain (r, kw) scan of each window, with shorter dependency chains and, for Sh < KH, the
// overlapping rows reduced once.
void max_pool_rows_avx512(const float* x, int64_t ld, int64_t W, int64_t KH, int64_t KW, int64_t Sh, int64_t S,
                          int64_t R, int64_t count, int64_t index0, float* y, int32_t* idx) {
  if (S > 2) return max_pool_rows_generic(x, ld, W, KH, KW, Sh, S, R, count, index0, y, idx);
  const __m512i lanes16 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i lane_offsets = _mm512_mullo_epi32(lanes16, _mm512_set1_epi32(static_cast<int32_t>(S)));
  const int64_t rows = (R - 1) * Sh + KH;
  for (int64_t j = 0; j < count; j += 16) {
    const int64_t lanes = count - j < 16 ? count - j : 16;
    __m512 best[kMaxPoolRows];
    __m512i arg[kMaxPoolRows];
    for (int64_t ir = 0; ir < rows; ++ir) {
      const int64_t t_first = ir < KH ? 0 : (ir - KH) / Sh + 1;  // outputs whose windows hold row ir
      const int64_t t_last = ir / Sh < R - 1 ? ir / Sh : R - 1;
      if (t_first > t_last) continue;
      const float* row = x + ir * ld + j * S;
      __m512 row_best = load_lanes(row, S, lanes);
      __m512i row_kw = _mm512_setzero_si512();  // the winning kw; the index is formed once per row
      for (int64_t kw = 1; kw < KW; ++kw) {
        const __m512 v = load_lanes(row + kw, S, lanes);
        const __mmask16 take = wins(v, row_best);
        row_best = _mm512_mask_mov_ps(row_best, take, v);
        row_kw = _mm512_mask_mov_epi32(row_kw, take, _mm512_set1_epi32(static_cast<int32_t>(kw)));
      }
      const int64_t row_index = index0 + ir * W + j * S;
      const __m512i row_start = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(row_index)), lane_offsets);
      const __m512i row_arg = _mm512_add_epi32(row_start, row_kw);
      for (int64_t t = t_first; t <= t_last; ++t) {
        if (ir == t * Sh) {  // the window's first row
          best[t] = row_best;
          arg[t] = row_arg;
          continue;
        }
        const __mmask16 take = wins(row_best, best[t]);
        best[t] = _mm512_mask_mov_ps(best[t], take, row_best);
        arg[t] = _mm512_mask_mov_epi32(arg[t], take, row_arg);
      }
    }
    const __mmask16 out = static_cast<__mmask16>(first_bits(lanes));
    for (int64_t t = 0; t < R; ++t) {
      _mm512_mask_storeu_ps(y + t * count + j, out, best[t]);
      _mm512_mask_storeu_epi32(idx + t * count + j, out, arg[t]);
    }
  }
}

}  // namespace convkit
