// AVX2 max-pool rows: 8 outputs per vector, the last vector masked.
#include <immintrin.h>

#include "kernels/pool.h"

namespace convkit {
namespace {

// All-ones in lanes j < n of 8 (n may be <= 0 or > 8).
__m256i first_lanes(int64_t n) {
  const int32_t clamped = static_cast<int32_t>(n < 0 ? 0 : n > 8 ? 8 : n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(clamped), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Lanes j < lanes get x[S*j] (S = 1 or 2), the others 0; reads only x[0 .. S*(lanes-1)].
__m256 load_lanes(const float* x, int64_t S, int64_t lanes) {
  if (S == 1) return _mm256_maskload_ps(x, first_lanes(lanes));
  const __m256 a = _mm256_maskload_ps(x, first_lanes(2 * lanes - 1));
  const __m256 b = _mm256_maskload_ps(x + 8, first_lanes(2 * lanes - 9));
  const __m256 pairs = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));  // a0 a2 b0 b2 | a4 a6 b4 b6
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(pairs), _MM_SHUFFLE(3, 1, 2, 0)));
}

// Lanes of v that replace best: greater, or NaN.
__m256 wins(__m256 v, __m256 best) {
  return _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

__m256i select(__m256 take, __m256i a, __m256i b) {  // take ? b : a
  return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), take));
}

}  // namespace

// Each window row is reduced on its own, then the rows are merged in order: "the later one wins
// iff greater or NaN" is associative, so this equals the plain (r, kw) scan, with shorter
// dependency chains.
void max_pool_row_avx2(const float* x, int64_t ld, int64_t W, int64_t KH, int64_t KW, int64_t S, int64_t count,
                       int64_t index0, float* y, int32_t* idx) {
  if (S > 2) return max_pool_row_generic(x, ld, W, KH, KW, S, count, index0, y, idx);
  const __m256i lane_offsets = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                                  _mm256_set1_epi32(static_cast<int32_t>(S)));
  for (int64_t j = 0; j < count; j += 8) {
    const int64_t lanes = count - j < 8 ? count - j : 8;
    __m256 best = _mm256_setzero_ps();
    __m256i arg = _mm256_setzero_si256();
    for (int64_t r = 0; r < KH; ++r) {
      const float* row = x + r * ld + j * S;
      const int64_t row_index = index0 + r * W + j * S;
      __m256 row_best = load_lanes(row, S, lanes);
      __m256i row_kw = _mm256_setzero_si256();  // the winning kw; the index is formed once per row
      for (int64_t kw = 1; kw < KW; ++kw) {
        const __m256 v = load_lanes(row + kw, S, lanes);
        const __m256 take = wins(v, row_best);
        row_best = _mm256_blendv_ps(row_best, v, take);
        row_kw = select(take, row_kw, _mm256_set1_epi32(static_cast<int32_t>(kw)));
      }
      const __m256i row_start = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(row_index)), lane_offsets);
      const __m256i row_arg = _mm256_add_epi32(row_start, row_kw);
      const __m256 take = r == 0 ? _mm256_castsi256_ps(_mm256_set1_epi32(-1)) : wins(row_best, best);
      best = _mm256_blendv_ps(best, row_best, take);
      arg = select(take, arg, row_arg);
    }
    const __m256i out = first_lanes(lanes);
    _mm256_maskstore_ps(y + j, out, best);
    _mm256_maskstore_epi32(idx + j, out, arg);
  }
}

}  // namespace convkit
