// AVX-512 tiles of the direct stride-1 convolution (conv.cc's driver). Forward: MR <= 8 output
// channels x NV <= 3 vectors of 16 output pixels, 24 zmm accumulators at most. Each tap reads its input
// straight from the image with masked loads (a lane outside the input reads 0), so there is no
// im2col copy. Weight gradient: tiles of MR filters x NT (channel, tap) pairs over shifted planes,
// and the lanes tile. Only intrinsics and plain loops here (see gemm_avx512.cc).
#include <immintrin.h>

#include "kernels/conv_direct.h"
#include "kernels/lanes_avx512.h"

namespace convkit {
namespace {

// One tap of tile(): acc[m][v] += sum_c w[c*MR + m] * x[c*HW + 16v + l] for the vectors
// LO <= v < HI (the others read only padding for this tap).
template <int MR, int NV, int LO, int HI>
inline void tap(const DirectTile& a, const float* x, const float* w, const __mmask16 (&mask)[NV],
                __m512 (&acc)[MR][NV]) {
  for (int64_t c = 0; c < a.C; ++c, x += a.HW, w += MR) {
    __m512 in[NV];
#pragma GCC unroll 3
    for (int v = LO; v < HI; ++v) in[v] = _mm512_maskz_loadu_ps(mask[v], x + 16 * v);
#pragma GCC unroll 3
    for (int v = LO; v < HI; ++v) _mm_prefetch(reinterpret_cast<const char*>(x + 16 * (NV + v)), _MM_HINT_T0);
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
      const __m512 wm = _mm512_set1_ps(w[m]);
#pragma GCC unroll 3
      for (int v = LO; v < HI; ++v) acc[m][v] = _mm512_fmadd_ps(wm, in[v], acc[m][v]);
    }
  }
}

// y[m*P + 16v + l] = b[m] + sum_{t < taps} sum_{c < C} w[(t*C + c)*MR + m] * x[c*HW + offset[t] + 16v + l]
// over lanes l of mask[t*mask_ld + v] (other lanes contribute 0); stores lanes of store[v] packed
// at dest[v] (conv_direct.h). With kSkip a tap leaves out the vectors at either end that read only
// padding (dx's 'full' convolutions have many); without, only taps that read nothing else.
template <int MR, int NV, bool kSkip>
void tile(const DirectTile& a) {
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) {
    const __m512 bias = _mm512_set1_ps(a.bias ? a.bias[m] : 0.0f);
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) acc[m][v] = bias;
  }
  for (int64_t t = 0; t < a.taps; ++t) {
    __mmask16 mask[NV];
    int lo = NV, hi = 0;
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) {
      mask[v] = a.mask[t * a.mask_ld + v];
      if (mask[v] != 0) {
        lo = v < lo ? v : lo;
        hi = v + 1;
      }
    }
    const float* x = a.x + a.offset[t];
    const float* w = a.w + t * a.C * MR;
    if (!kSkip || (lo == 0 && hi == NV)) {
      if (hi > 0) tap<MR, NV, 0, NV>(a, x, w, mask, acc);
      continue;
    }
    switch (lo * 4 + hi) {
      case 0 * 4 + 1: tap<MR, NV, 0, 1>(a, x, w, mask, acc); break;
      case 0 * 4 + 2: tap<MR, NV, 0, (NV < 2 ? NV : 2)>(a, x, w, mask, acc); break;
      case 0 * 4 + 3: tap<MR, NV, 0, NV>(a, x, w, mask, acc); break;
      case 1 * 4 + 2: tap<MR, NV, (NV < 2 ? 0 : 1), (NV < 2 ? NV : 2)>(a, x, w, mask, acc); break;
      case 1 * 4 + 3: tap<MR, NV, (NV < 2 ? 0 : 1), NV>(a, x, w, mask, acc); break;
      case 2 * 4 + 3: tap<MR, NV, (NV < 3 ? 0 : 2), NV>(a, x, w, mask, acc); break;
      default: break;  // only padding
    }
  }
#pragma GCC unroll 3
  for (int v = 0; v < NV; ++v) {
    const __mmask16 keep = a.store[v];
    float* y = a.y + a.dest[v];
    if (keep == 0xFFFF) {  // vcompressps costs more than the store: most vectors need none
#pragma GCC unroll 8
      for (int m = 0; m < MR; ++m) _mm512_storeu_ps(y + m * a.P, acc[m][v]);
      continue;
    }
    const __mmask16 packed = first_lanes(__builtin_popcount(keep));
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) _mm512_mask_storeu_ps(y + m * a.P, packed, _mm512_maskz_compress_ps(keep, acc[m][v]));
  }
}

// One pixel vector v of dw_tile.
template <int MR, int NT>
inline void dw_step(const DirectDwTile& a, const float* dy, const float* const (&x)[NT], int64_t v,
                    __m512 (&acc)[MR][NT]) {
  __m512 in[NT];
#pragma GCC unroll 4
  for (int j = 0; j < NT; ++j) in[j] = _mm512_loadu_ps(x[j] + 16 * v);
  const __mmask16 valid = a.valid[v];
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) {
    const __m512 d = _mm512_maskz_loadu_ps(valid, dy + m * a.P + 16 * v);
#pragma GCC unroll 4
    for (int j = 0; j < NT; ++j) acc[m][j] = _mm512_fmadd_ps(d, in[j], acc[m][j]);
  }
}

// acc[m*acc_ld + 16j + l] += sum_n sum_v dy[n*dy_image + m*P + 16v + l] * x[j][n*x_image + 16v + l]
// over lanes of valid[v] (dy); MR*NT + NT + 1 zmm registers.
template <int MR, int NT>
void dw_tile(const DirectDwTile& a) {
  __m512 acc[MR][NT];
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) {
#pragma GCC unroll 4
    for (int j = 0; j < NT; ++j) acc[m][j] = _mm512_loadu_ps(a.acc + m * a.acc_ld + 16 * j);
  }
  for (int64_t n = 0; n < a.images; ++n) {
    const float* dy = a.dy + n * a.dy_image;
    const float* x[NT];
#pragma GCC unroll 4
    for (int j = 0; j < NT; ++j) x[j] = a.x[j] + n * a.x_image;
    for (int64_t v = 0; v < a.V; ++v) dw_step<MR, NT>(a, dy, x, v, acc);
  }
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) {
#pragma GCC unroll 4
    for (int j = 0; j < NT; ++j) _mm512_storeu_ps(a.acc + m * a.acc_ld + 16 * j, acc[m][j]);
  }
}

// GCC's predictive commoning would keep row[r][p + kw] in registers for the next p's broadcasts,
// spilling the accumulators' neighbours: a broadcast from memory costs less.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-predictive-commoning")
#endif
// acc[(r*KW + kw)*16 + l] += sum_n sum_{oh, ow} dyT[n*dyT_image + (oh*OW + ow)*16 + l] *
// row[r][n*x_image + oh*W + ow + kw]: R*KW accumulators, x broadcast straight from its rows.
template <int KW, int R>
void dw_lanes_tile(const DirectDwLanesTile& a) {
  __m512 acc[R][KW];
#pragma GCC unroll 9
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 5
    for (int kw = 0; kw < KW; ++kw) acc[r][kw] = _mm512_loadu_ps(a.acc + (r * KW + kw) * 16);
  }
  for (int64_t n = 0; n < a.images; ++n) {
    const float* dyT = a.dyT + n * a.dyT_image;
    for (int64_t oh = 0; oh < a.OH; ++oh) {
      const float* row[R];
#pragma GCC unroll 9
      for (int r = 0; r < R; ++r) row[r] = a.row[r] + n * a.x_image + oh * a.W;
      for (int64_t ow = 0; ow < a.OW; ++ow, dyT += 16) {
        const __m512 d = _mm512_loadu_ps(dyT);
#pragma GCC unroll 9
        for (int r = 0; r < R; ++r) {
#pragma GCC unroll 5
          for (int kw = 0; kw < KW; ++kw) acc[r][kw] = _mm512_fmadd_ps(d, _mm512_set1_ps(row[r][ow + kw]), acc[r][kw]);
        }
      }
    }
  }
#pragma GCC unroll 9
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 5
    for (int kw = 0; kw < KW; ++kw) _mm512_storeu_ps(a.acc + (r * KW + kw) * 16, acc[r][kw]);
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

using Tile = void (*)(const DirectTile&);
using DwTile = void (*)(const DirectDwTile&);

template <int MR, bool kSkip>
constexpr Tile by_vectors[kDirectVectors] = {tile<MR, 1, kSkip>, tile<MR, 2, kSkip>, tile<MR, 3, kSkip>};

template <bool kSkip>
constexpr const Tile* by_rows[kDirectRows] = {by_vectors<1, kSkip>, by_vectors<2, kSkip>, by_vectors<3, kSkip>,
                                              by_vectors<4, kSkip>, by_vectors<5, kSkip>, by_vectors<6, kSkip>,
                                              by_vectors<7, kSkip>, by_vectors<8, kSkip>};

template <int MR>
constexpr DwTile by_pairs[kDirectPairs] = {dw_tile<MR, 1>, dw_tile<MR, 2>, dw_tile<MR, 3>, dw_tile<MR, 4>};

constexpr const DwTile* dw_by_rows[kDirectRows] = {by_pairs<1>, by_pairs<2>, by_pairs<3>, by_pairs<4>,
                                                   by_pairs<5>, by_pairs<6>, by_pairs<7>, by_pairs<8>};

using LanesTile = void (*)(const DirectDwLanesTile&);

constexpr LanesTile lanes3[kDirectLaneRows] = {dw_lanes_tile<3, 1>, dw_lanes_tile<3, 2>, dw_lanes_tile<3, 3>,
                                               dw_lanes_tile<3, 4>, dw_lanes_tile<3, 5>, dw_lanes_tile<3, 6>,
                                               dw_lanes_tile<3, 7>, dw_lanes_tile<3, 8>, dw_lanes_tile<3, 9>};
constexpr LanesTile lanes5[5] = {dw_lanes_tile<5, 1>, dw_lanes_tile<5, 2>, dw_lanes_tile<5, 3>, dw_lanes_tile<5, 4>,
                                 dw_lanes_tile<5, 5>};

}  // namespace

// Column by column of 16 lanes: the lanes read (inside the image) and stored (inside the row) are
// the same for every row, so each row costs one load and one store (masked at the edges).
void conv_direct_shift_plane_avx512(const float* x, int64_t H, int64_t W, int64_t pad_top, int64_t shift,
                                    int64_t R, int64_t Wv, int64_t OW, float* xs) {
  // Columns ow in [lo, hi) read image columns ow + shift in [0, W); rows [r0, r1) read image rows.
  const int64_t lo = shift < 0 ? -shift : 0, hi = OW < W - shift ? OW : W - shift;
  const int64_t r0 = pad_top < R ? pad_top : R, r1 = pad_top + H < R ? pad_top + H : R;
  for (int64_t ow = 0; ow < Wv; ow += 16) {
    const __mmask16 read = lane_range(lo - ow, hi - ow), store = first_lanes(Wv - ow);
    float* column = xs + ow;
    const float* in = x + ow + shift - pad_top * W;
    for (int64_t r = 0; r < r0; ++r) store_lanes(column + r * Wv, store, _mm512_setzero_ps());
    for (int64_t r = r0; r < r1; ++r) store_lanes(column + r * Wv, store, load_lanes(in + r * W, read));
    for (int64_t r = r1; r < R; ++r) store_lanes(column + r * Wv, store, _mm512_setzero_ps());
  }
  _mm512_storeu_ps(xs + R * Wv, _mm512_setzero_ps());
}

void conv_direct_dw_lanes_tile_avx512(const DirectDwLanesTile& a) { (a.KW == 3 ? lanes3 : lanes5)[a.R - 1](a); }

void conv_direct_tile_avx512(const DirectTile& a) {
  (a.sparse_taps ? by_rows<true> : by_rows<false>)[a.MR - 1][a.NV - 1](a);
}

void conv_direct_dw_tile_avx512(const DirectDwTile& a) { dw_by_rows[a.MR - 1][a.NT - 1](a); }

}  // namespace convkit
