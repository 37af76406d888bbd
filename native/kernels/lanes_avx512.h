// Lane masks for the AVX-512 kernel files, which alone include this header. The helpers are
// static: each file keeps its own copy, so the linker cannot hand AVX-512 code to a generic caller.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace convkit {

// Lanes [begin, end) of 16, clamped to [0, 16).
static inline __mmask16 lane_range(int64_t begin, int64_t end) {
  begin = begin < 0 ? 0 : begin;
  end = end > 16 ? 16 : end;
  return end <= begin ? 0 : static_cast<__mmask16>(((1u << end) - 1) & ~((1u << begin) - 1));
}

// Lanes j < n of 16 (n may be <= 0 or > 16).
static inline __mmask16 first_lanes(int64_t n) { return lane_range(0, n); }

// The lanes of mask k at p. A full mask takes the plain load and store, since on Zen 5 a masked
// store can cost more even with every lane set: sgemm's C tile ran 3-4% faster for it. Not a
// rule: the transposing pack in gemm_avx512.cc measured faster with its masks kept.
static inline __m512 load_lanes(const float* p, __mmask16 k) {
  return k == 0xFFFF ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(k, p);
}

static inline void store_lanes(float* p, __mmask16 k, __m512 v) {
  if (k == 0xFFFF) return _mm512_storeu_ps(p, v);
  _mm512_mask_storeu_ps(p, k, v);
}

}  // namespace convkit
