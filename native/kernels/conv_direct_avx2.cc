// AVX2 tiles of the direct stride-1 convolution (conv_direct.cc's driver). Forward: MR <= 6 output
// channels x one vector of 16 output pixels (two ymm), 12 accumulators of the 16 ymm registers.
// vmaskmovps reads each tap's input in place (a lane outside the input reads 0, and faults only
// where its mask is set). Weight gradient: the lanes tile, and tiles of 4 filters x 3 (channel,
// tap) pairs over shifted planes. Only intrinsics and plain loops here (see gemm_avx512.cc).
#include <immintrin.h>

#include "kernels/conv_direct.h"
#include "kernels/lanes_avx2.h"

namespace convkit {
namespace {

// For each 8-bit lane mask: the lane indices that move its set lanes to the front, in order, and
// how many there are (AVX2 has no vcompressps).
struct PackTable {
  int32_t index[256][8];
  int count[256];
};

constexpr PackTable pack_table() {
  PackTable t{};
  for (int bits = 0; bits < 256; ++bits) {
    for (int lane = 0; lane < 8; ++lane) {
      if (bits >> lane & 1) t.index[bits][t.count[bits]++] = lane;
    }
  }
  return t;
}

constexpr PackTable kPack = pack_table();

// The lanes of `bits` in v, moved to the front.
inline __m256 pack(__m256 v, unsigned bits) {
  return _mm256_permutevar8x32_ps(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kPack.index[bits])));
}

// y[m*P + l] = b[m] + sum_{t < taps} sum_{c < C} w[(t*C + c)*MR + m] * x[c*HW + offset[t] + l] over
// lanes l of mask[t*mask_ld] (other lanes contribute 0); stores lanes of store[0] packed at dest[0]
// (conv_direct.h).
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
  if (a.store[0] == 0xFFFF) {  // the permutes cost more than the stores: most vectors need none
#pragma GCC unroll 6
    for (int m = 0; m < MR; ++m) {
      _mm256_storeu_ps(a.y + a.dest[0] + m * a.P, acc[m][0]);
      _mm256_storeu_ps(a.y + a.dest[0] + m * a.P + 8, acc[m][1]);
    }
    return;
  }
  const unsigned lo = a.store[0] & 0xFF, hi = a.store[0] >> 8;
  const __m256i lo_mask = first_lanes(kPack.count[lo]), hi_mask = first_lanes(kPack.count[hi]);
  float* y = a.y + a.dest[0];
#pragma GCC unroll 6
  for (int m = 0; m < MR; ++m) {
    _mm256_maskstore_ps(y + m * a.P, lo_mask, pack(acc[m][0], lo));
    _mm256_maskstore_ps(y + m * a.P + kPack.count[lo], hi_mask, pack(acc[m][1], hi));
  }
}

// Without predictive commoning: see conv_direct_avx512.cc.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-predictive-commoning")
#endif
// acc[(r*KW + kw)*16 + l] += sum_n sum_{oh, ow} dyT[n*dyT_image + (oh*OW + ow)*16 + l] *
// row[r][n*x_image + oh*W + ow + kw]: 16 filters as two ymm, R*KW*2 <= 12 accumulators.
template <int KW, int R>
void dw_lanes_tile(const DirectDwLanesTile& a) {
  __m256 acc[R][KW][2];
  for (int r = 0; r < R; ++r) {
    for (int kw = 0; kw < KW; ++kw) {
      acc[r][kw][0] = _mm256_loadu_ps(a.acc + (r * KW + kw) * 16);
      acc[r][kw][1] = _mm256_loadu_ps(a.acc + (r * KW + kw) * 16 + 8);
    }
  }
  for (int64_t n = 0; n < a.images; ++n) {
    const float* dyT = a.dyT + n * a.dyT_image;
    for (int64_t oh = 0; oh < a.OH; ++oh) {
      const float* row[R];
      for (int r = 0; r < R; ++r) row[r] = a.row[r] + n * a.x_image + oh * a.W;
      for (int64_t ow = 0; ow < a.OW; ++ow, dyT += 16) {
        const __m256 d0 = _mm256_loadu_ps(dyT), d1 = _mm256_loadu_ps(dyT + 8);
        for (int r = 0; r < R; ++r) {
          for (int kw = 0; kw < KW; ++kw) {
            const __m256 xv = _mm256_broadcast_ss(row[r] + ow + kw);
            acc[r][kw][0] = _mm256_fmadd_ps(d0, xv, acc[r][kw][0]);
            acc[r][kw][1] = _mm256_fmadd_ps(d1, xv, acc[r][kw][1]);
          }
        }
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int kw = 0; kw < KW; ++kw) {
      _mm256_storeu_ps(a.acc + (r * KW + kw) * 16, acc[r][kw][0]);
      _mm256_storeu_ps(a.acc + (r * KW + kw) * 16 + 8, acc[r][kw][1]);
    }
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

using Tile = void (*)(const DirectTile&);
using LanesTile = void (*)(const DirectDwLanesTile&);

constexpr Tile by_rows[kDirectRowsAvx2] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};
constexpr LanesTile lanes3[kDirectLaneRowsAvx2] = {dw_lanes_tile<3, 1>, dw_lanes_tile<3, 2>};

}  // namespace

void conv_direct_tile_avx2(const DirectTile& a) { by_rows[a.MR - 1](a); }

void conv_direct_dw_lanes_tile_avx2(const DirectDwLanesTile& a) {
  if (a.KW == 5) return dw_lanes_tile<5, 1>(a);
  lanes3[a.R - 1](a);
}

namespace {

// One 8-pixel half of a vector of dw_tile, dy read through `valid` (kMasked) or whole.
template <int MR, int NT, bool kMasked>
inline void dw_half(const DirectDwTile& a, const float* dy, const float* const (&x)[NT], int64_t p,
                    __m256i valid, __m256 (&acc)[MR][NT]) {
  __m256 in[NT];
  for (int j = 0; j < NT; ++j) in[j] = _mm256_loadu_ps(x[j] + p);
  for (int m = 0; m < MR; ++m) {
    const __m256 d = kMasked ? _mm256_maskload_ps(dy + m * a.P + p, valid) : _mm256_loadu_ps(dy + m * a.P + p);
    for (int j = 0; j < NT; ++j) acc[m][j] = _mm256_fmadd_ps(d, in[j], acc[m][j]);
  }
}

// acc[m*acc_ld + 16j + l] (l < 8) += sum_n sum_v sum_h dy[n*dy_image + m*P + 16v + 8h + l] *
// x[j][n*x_image + 16v + 8h + l] over the lanes of valid[v] (dy); MR*NT + NT + 1 ymm registers.
template <int MR, int NT>
void dw_tile(const DirectDwTile& a) {
  __m256 acc[MR][NT];
  for (int m = 0; m < MR; ++m) {
    for (int j = 0; j < NT; ++j) acc[m][j] = _mm256_loadu_ps(a.acc + m * a.acc_ld + 16 * j);
  }
  for (int64_t n = 0; n < a.images; ++n) {
    const float* dy = a.dy + n * a.dy_image;
    const float* x[NT];
    for (int j = 0; j < NT; ++j) x[j] = a.x[j] + n * a.x_image;
    for (int64_t v = 0; v < a.V; ++v) {
      const unsigned valid = a.valid[v];
      if (valid == 0xFFFF) {
        dw_half<MR, NT, false>(a, dy, x, 16 * v, __m256i{}, acc);
        dw_half<MR, NT, false>(a, dy, x, 16 * v + 8, __m256i{}, acc);
      } else {
        dw_half<MR, NT, true>(a, dy, x, 16 * v, lane_mask(valid & 0xFF), acc);
        dw_half<MR, NT, true>(a, dy, x, 16 * v + 8, lane_mask(valid >> 8), acc);
      }
    }
  }
  for (int m = 0; m < MR; ++m) {
    for (int j = 0; j < NT; ++j) _mm256_storeu_ps(a.acc + m * a.acc_ld + 16 * j, acc[m][j]);
  }
}

template <int MR>
constexpr void (*dw_by_pairs[kDirectDwPairsAvx2])(const DirectDwTile&) = {dw_tile<MR, 1>, dw_tile<MR, 2>,
                                                                          dw_tile<MR, 3>};

}  // namespace

void conv_direct_dw_tile_avx2(const DirectDwTile& a) {
  constexpr void (*const* by_rows[kDirectDwRowsAvx2])(const DirectDwTile&) = {dw_by_pairs<1>, dw_by_pairs<2>,
                                                                              dw_by_pairs<3>, dw_by_pairs<4>};
  by_rows[a.MR - 1][a.NT - 1](a);
}

// As the AVX-512 one, column by column of 8 lanes (vmaskmovps neither reads nor faults outside its mask).
void conv_direct_shift_plane_avx2(const float* x, int64_t H, int64_t W, int64_t pad_top, int64_t shift,
                                  int64_t R, int64_t Wv, int64_t OW, float* xs) {
  const int64_t lo = shift < 0 ? -shift : 0, hi = OW < W - shift ? OW : W - shift;
  const int64_t r0 = pad_top < R ? pad_top : R, r1 = pad_top + H < R ? pad_top + H : R;
  for (int64_t ow = 0; ow < Wv; ow += 8) {
    const __m256i read = lane_mask(lane_bits(lo - ow, hi - ow)), store = first_lanes(Wv - ow);
    float* column = xs + ow;
    const float* in = x + ow + shift - pad_top * W;
    for (int64_t r = 0; r < r0; ++r) _mm256_maskstore_ps(column + r * Wv, store, _mm256_setzero_ps());
    for (int64_t r = r0; r < r1; ++r) _mm256_maskstore_ps(column + r * Wv, store, _mm256_maskload_ps(in + r * W, read));
    for (int64_t r = r1; r < R; ++r) _mm256_maskstore_ps(column + r * Wv, store, _mm256_setzero_ps());
  }
  _mm256_storeu_ps(xs + R * Wv, _mm256_setzero_ps());
  _mm256_storeu_ps(xs + R * Wv + 8, _mm256_setzero_ps());
}

}  // namespace convkit
