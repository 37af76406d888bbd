// AVX2 max-pool rows: 8 outputs per vector, windows compared in the generic kernel's order so
// that the argmax (first maximum; a NaN wins) is the same.
#include <immintrin.h>

#include "kernels/pool.h"

namespace convkit {
namespace {

// x[S*j] for j < 8, S = 1 or 2; reads x[0..8S).
__m256 load_strided(const float* x, int64_t S) {
  if (S == 1) return _mm256_loadu_ps(x);
  const __m256 a = _mm256_loadu_ps(x), b = _mm256_loadu_ps(x + 8);
  const __m256 pairs = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));  // a0 a2 b0 b2 | a4 a6 b4 b6
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(pairs), _MM_SHUFFLE(3, 1, 2, 0)));
}

}  // namespace

// y[j] = max_{ih0 <= r < ih1, kw < KW} x[r*W + iw0 + j*S + kw], idx[j] = its first argmax, for S <= 2,
// for the leading blocks of 8 outputs whose loads stay inside the window's rows.
int64_t max_pool_row_avx2(const float* x, int64_t W, int64_t ih0, int64_t ih1, int64_t KW, int64_t S, int64_t iw0,
                          int64_t count, float* y, int32_t* idx) {
  if (S > 2) return 0;
  const __m256i lane_offsets = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                                  _mm256_set1_epi32(static_cast<int32_t>(S)));
  // With S = 2 a block reads one element past its last window: only blocks not ending the row.
  const int64_t blocks = (S == 1 ? count : count - 1) / 8;
  for (int64_t j = 0; j < blocks * 8; j += 8) {
    const int64_t first = ih0 * W + iw0 + j * S;
    __m256 best = load_strided(x + first, S);
    __m256i arg = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(first)), lane_offsets);
    for (int64_t r = ih0; r < ih1; ++r) {
      for (int64_t kw = 0; kw < KW; ++kw) {
        const int64_t at = r * W + iw0 + j * S + kw;
        const __m256 v = load_strided(x + at, S);
        const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        best = _mm256_blendv_ps(best, v, take);
        const __m256i at_lanes = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(at)), lane_offsets);
        arg = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(arg), _mm256_castsi256_ps(at_lanes), take));
      }
    }
    _mm256_storeu_ps(y + j, best);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + j), arg);
  }
  return blocks * 8;
}

}  // namespace convkit
