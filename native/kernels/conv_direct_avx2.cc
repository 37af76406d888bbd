// AVX2 forward tile of the direct stride-1 convolution (conv_direct.cc's driver): MR <= 6 output
// channels x one vector of 16 output pixels (two ymm), 12 accumulators of the 16 ymm registers.
// vmaskmovps reads each tap's input in place (a lane outside the input reads 0, and faults only
// where its mask is set). Only intrinsics and plain loops here (see gemm_avx512.cc).
#include <immintrin.h>

#include "kernels/conv_direct.h"

namespace convkit {
namespace {

// The 8 lanes of `bits` as a vmaskmovps mask (lane i all ones when bit i is set).
inline __m256i lane_mask(unsigned bits) {
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), bit), bit);
}

// y[m*P + l] = b[m] + sum_{t < taps} sum_{c < C} w[(t*C + c)*MR + m] * x[c*HW + offset[t] + l] over
// lanes l of mask[t*mask_ld] (other lanes contribute 0); stores lanes of store[0].
template <int MR>
void tile(const DirectTile& a) {
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int m = 0; m < MR; ++m) acc[m][0] = acc[m][1] = _mm256_set1_ps(a.bias ? a.bias[m] : 0.0f);
  const float* w = a.w;
  for (int64_t t = 0; t < a.taps; ++t, w += a.C * MR) {
    const unsigned bits = a.mask[t * a.mask_ld];
    // A tap that reads only padding adds nothing (dx's 'full' convolutions have many).
    if (bits == 0) continue;
    const __m256i lo = lane_mask(bits & 0xFF), hi = lane_mask(bits >> 8);
    const float* x = a.x + a.offset[t];
    for (int64_t c = 0; c < a.C; ++c) {
      const __m256 in0 = _mm256_maskload_ps(x + c * a.HW, lo), in1 = _mm256_maskload_ps(x + c * a.HW + 8, hi);
#pragma GCC unroll 6
      for (int m = 0; m < MR; ++m) {
        const __m256 wm = _mm256_broadcast_ss(w + c * MR + m);
        acc[m][0] = _mm256_fmadd_ps(wm, in0, acc[m][0]);
        acc[m][1] = _mm256_fmadd_ps(wm, in1, acc[m][1]);
      }
    }
  }
  const unsigned store = a.store[0];
  const __m256i lo = lane_mask(store & 0xFF), hi = lane_mask(store >> 8);
#pragma GCC unroll 6
  for (int m = 0; m < MR; ++m) {
    _mm256_maskstore_ps(a.y + m * a.P, lo, acc[m][0]);
    _mm256_maskstore_ps(a.y + m * a.P + 8, hi, acc[m][1]);
  }
}

using Tile = void (*)(const DirectTile&);

constexpr Tile by_rows[kDirectRowsAvx2] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};

}  // namespace

void conv_direct_tile_avx2(const DirectTile& a) { by_rows[a.MR - 1](a); }

}  // namespace convkit
