// AVX2 max-pool rows: 8 outputs per vector, the last vector masked.
#include <immintrin.h>

#include "kernels/pool.h"
#include "kernels/lanes_avx2.h"

namespace convkit {
namespace {

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

// Each input row is reduced over kw once, then merged, in row order, into every output row
// whose windows hold it: "the later one wins iff greater or NaN" is associative, so this equals
// the plain (r, kw) scan of each window, with shorter dependency chains and, for Sh < KH, the
// overlapping rows reduced once.
void max_pool_rows_avx2(const float* x, int64_t ld, int64_t W, int64_t KH, int64_t KW, int64_t Sh, int64_t S,
                        int64_t R, int64_t count, int64_t index0, float* y, int32_t* idx) {
  if (S > 2) return max_pool_rows_generic(x, ld, W, KH, KW, Sh, S, R, count, index0, y, idx);
  const __m256i lane_offsets = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                                  _mm256_set1_epi32(static_cast<int32_t>(S)));
  const int64_t rows = (R - 1) * Sh + KH;
  for (int64_t j = 0; j < count; j += 8) {
    const int64_t lanes = count - j < 8 ? count - j : 8;
    __m256 best[kMaxPoolRows];
    __m256i arg[kMaxPoolRows];
    for (int64_t ir = 0; ir < rows; ++ir) {
      const int64_t t_first = ir < KH ? 0 : (ir - KH) / Sh + 1;  // outputs whose windows hold row ir
      const int64_t t_last = ir / Sh < R - 1 ? ir / Sh : R - 1;
      if (t_first > t_last) continue;
      const float* row = x + ir * ld + j * S;
      __m256 row_best = load_lanes(row, S, lanes);
      __m256i row_kw = _mm256_setzero_si256();  // the winning kw; the index is formed once per row
      for (int64_t kw = 1; kw < KW; ++kw) {
        const __m256 v = load_lanes(row + kw, S, lanes);
        const __m256 take = wins(v, row_best);
        row_best = _mm256_blendv_ps(row_best, v, take);
        row_kw = select(take, row_kw, _mm256_set1_epi32(static_cast<int32_t>(kw)));
      }
      const int64_t row_index = index0 + ir * W + j * S;
      const __m256i row_start = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(row_index)), lane_offsets);
      const __m256i row_arg = _mm256_add_epi32(row_start, row_kw);
      for (int64_t t = t_first; t <= t_last; ++t) {
        if (ir == t * Sh) {  // the window's first row
          best[t] = row_best;
          arg[t] = row_arg;
          continue;
        }
        const __m256 take = wins(row_best, best[t]);
        best[t] = _mm256_blendv_ps(best[t], row_best, take);
        arg[t] = select(take, arg[t], row_arg);
      }
    }
    const __m256i out = first_lanes(lanes);
    for (int64_t t = 0; t < R; ++t) {
      _mm256_maskstore_ps(y + t * count + j, out, best[t]);
      _mm256_maskstore_epi32(idx + t * count + j, out, arg[t]);
    }
  }
}

}  // namespace convkit
