// Lane masks for the AVX2 kernel files, which alone include this header. The helpers are static:
// each file keeps its own copy, so the linker cannot hand AVX2 code to a generic caller.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace convkit {

// All-ones in the lanes i < 8 whose bit i is set, as vmaskmovps takes its mask.
static inline __m256i lane_mask(unsigned bits) {
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), bit), bit);
}

// The bits of lanes [begin, end) of 8, clamped to [0, 8).
static inline unsigned lane_bits(int64_t begin, int64_t end) {
  begin = begin < 0 ? 0 : begin;
  end = end > 8 ? 8 : end;
  return end <= begin ? 0u : ((1u << end) - 1) & ~((1u << begin) - 1);
}

// All-ones in lanes j < n of 8 (n may be <= 0 or > 8).
static inline __m256i first_lanes(int64_t n) {
  const int32_t clamped = static_cast<int32_t>(n < 0 ? 0 : n > 8 ? 8 : n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(clamped), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace convkit
