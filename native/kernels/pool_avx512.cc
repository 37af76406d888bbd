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

// Each window row is reduced on its own, then the rows are merged in order: "the later one wins
// iff greater or NaN" is associative, so this equals the plain (r, kw) scan, with shorter
// dependency chains.
void max_pool_row_avx512(const float* x, int64_t ld, int64_t W, int64_t KH, int64_t KW, int64_t S, int64_t count,
                         int64_t index0, float* y, int32_t* idx) {
  if (S > 2) return max_pool_row_generic(x, ld, W, KH, KW, S, count, index0, y, idx);
  const __m512i lanes16 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i lane_offsets = _mm512_mullo_epi32(lanes16, _mm512_set1_epi32(static_cast<int32_t>(S)));
  for (int64_t j = 0; j < count; j += 16) {
    const int64_t lanes = count - j < 16 ? count - j : 16;
    __m512 best = _mm512_setzero_ps();
    __m512i arg = _mm512_setzero_si512();
    for (int64_t r = 0; r < KH; ++r) {
      const float* row = x + r * ld + j * S;
      const int64_t row_index = index0 + r * W + j * S;
      __m512 row_best = load_lanes(row, S, lanes);
      __m512i row_kw = _mm512_setzero_si512();  // the winning kw; the index is formed once per row
      for (int64_t kw = 1; kw < KW; ++kw) {
        const __m512 v = load_lanes(row + kw, S, lanes);
        const __mmask16 take = wins(v, row_best);
        row_best = _mm512_mask_mov_ps(row_best, take, v);
        row_kw = _mm512_mask_mov_epi32(row_kw, take, _mm512_set1_epi32(static_cast<int32_t>(kw)));
      }
      const __m512i row_start = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(row_index)), lane_offsets);
      const __m512i row_arg = _mm512_add_epi32(row_start, row_kw);
      const __mmask16 take = r == 0 ? static_cast<__mmask16>(0xffff) : wins(row_best, best);
      best = _mm512_mask_mov_ps(best, take, row_best);
      arg = _mm512_mask_mov_epi32(arg, take, row_arg);
    }
    const __mmask16 out = static_cast<__mmask16>(first_bits(lanes));
    _mm512_mask_storeu_ps(y + j, out, best);
    _mm512_mask_storeu_epi32(idx + j, out, arg);
  }
}

}  // namespace convkit
