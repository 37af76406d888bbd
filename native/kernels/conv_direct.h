// Direct stride-1 convolution: conv.cc's drivers use it, when it applies, for the forward pass,
// the input gradient and the weight gradient; the tiles are per ISA (AVX-512 and AVX2).
#pragma once
#include <cstdint>

#include "kernels/conv.h"

namespace convkit {

// Direct convolution, for stride 1. Input and output planes are indexed with one row stride Wv
// (the virtual width, >= W and OW): output pixel p = oh*Wv + ow then reads input pixel
// p + offset[t] for kernel tap t, in every channel, so a tile of output pixels is a run of input
// pixels, read in place. Lanes whose input lies outside the image, or that are no output pixel
// (ow >= OW), are masked off.
constexpr int kDirectRows = 8, kDirectVectors = 3;  // AVX-512 tiles: MR <= 8, NV <= 3
constexpr int kDirectRowsAvx2 = 6;                  // AVX2 forward tiles: MR <= 6, NV = 1

// Forward tile: MR output channels x NV vectors of 16 consecutive output pixels.
struct DirectTile {
  const float* x;          // the group's first input channel, at the tile's first output pixel
  int64_t C, HW;           // input channels and the input plane's size
  const float* w;          // packed weights w[(t*C + c)*MR + m]
  const int64_t* offset;   // offset[t]: input pixel of output pixel p for tap t, minus p
  const uint16_t* mask;    // mask[t*mask_ld + v]: lanes of vector v to read for tap t
  int64_t mask_ld;
  const uint16_t* store;   // store[v]: lanes of vector v to store (the output pixels)
  const int32_t* dest;     // dest[v]: the compact OH x OW index of vector v's first output pixel
  int64_t taps;
  const float* bias;       // MR values, or null
  float* y;                // the block's first output channel, pixel 0 of its compact plane
  int64_t P;               // output channel stride
  int MR, NV;              // 1 <= MR <= kDirectRows, 1 <= NV <= kDirectVectors
  // Many taps read only padding at the tile's ends (an input gradient): worth checking per vector.
  bool sparse_taps;
};

// For the lanes l of store[v], in order, the k-th of them at y[m*P + dest[v] + k]:
// bias[m] + sum_t sum_c w[(t*C + c)*MR + m] * x[c*HW + offset[t] + 16v + l], taking x as 0 outside
// mask[t*mask_ld + v]. Rows of OW < Wv pixels are thus written compact.
void conv_direct_tile_avx512(const DirectTile& tile);
void conv_direct_tile_avx2(const DirectTile& tile);

// Weight-gradient tile: MR output channels x NT (input channel, tap) pairs, summed over images
// and pixel vectors into 16-lane partial sums. x is read from shifted planes (below), which hold
// zeros wherever a tap reads padding: only dy's lanes that are no output pixel are masked.
constexpr int kDirectPairs = 4;

struct DirectDwTile {
  const float* dy;                    // image 0, the block's first output channel, pixel 0
  int64_t P, dy_image;                // channel and image strides of dy
  const float* x[kDirectPairs];       // image 0: pair j's shifted plane, at its tap's row
  int64_t x_image;                    // image stride of the shifted planes
  const uint16_t* valid;              // V masks: the lanes that are output pixels
  int64_t images, V;
  float* acc;                         // acc[m*acc_ld + 16j + l]: partial sums, added to
  int64_t acc_ld;
  // AVX-512: 1 <= MR <= kDirectRows, 1 <= NT <= kDirectPairs (MR*NT > 24 spills); AVX2: MR <=
  // kDirectDwRowsAvx2, NT <= kDirectDwPairsAvx2.
  int MR, NT;
};
constexpr int kDirectDwRowsAvx2 = 4, kDirectDwPairsAvx2 = 3;

// acc[m*acc_ld + 16j + l] += sum_{n < images} sum_{v < V} dy[n*dy_image + m*P + 16v + l] *
// x[j][n*x_image + 16v + l], taking dy as 0 outside valid[v]. The AVX2 tile sums the two halves
// of each vector into lanes l < 8 (the lanes are added up afterwards anyway).
void conv_direct_dw_tile_avx512(const DirectDwTile& tile);
void conv_direct_dw_tile_avx2(const DirectDwTile& tile);

// The shifted plane of one input channel for tap column kw, rows Wv apart:
// xs[r*Wv + ow] = x[(r - pad_top)*W + ow + shift] (shift = kw*dilation_w - pad_left) for rows r < R
// and ow < OW where that pixel lies inside the image, else 0 (up to Wv); then 16 zeros.
void conv_direct_shift_plane_avx512(const float* x, int64_t H, int64_t W, int64_t pad_top, int64_t shift,
                                    int64_t R, int64_t Wv, int64_t OW, float* xs);
void conv_direct_shift_plane_avx2(const float* x, int64_t H, int64_t W, int64_t pad_top, int64_t shift,
                                  int64_t R, int64_t Wv, int64_t OW, float* xs);

// Weight-gradient tile with 16 output channels in the lanes, for unpadded convolutions of kernel
// width KW (3 or 5) and horizontal dilation 1: R input rows (channel c, tap row kh) x KW taps.
// dyT holds dy transposed, 16 output channels per pixel.
constexpr int kDirectLaneRows = 9;  // AVX-512: R <= 9 for KW = 3, R <= 5 for KW = 5
constexpr int kDirectLaneRowsAvx2 = 2;  // AVX2 (two ymm per pixel): R <= 2 for KW = 3, R = 1 for KW = 5

struct DirectDwLanesTile {
  const float* dyT;                       // image 0: dyT[(oh*OW + ow)*16 + l] = dy[o0 + l, oh, ow]
  int64_t dyT_image;                      // image stride of dyT
  const float* row[kDirectLaneRows];      // image 0: x[c, kh*dh, 0] of row r
  int64_t x_image, images, OH, OW, W;     // x's rows are W floats apart
  float* acc;                             // acc[(r*KW + kw)*16 + l], added to
  int KW, R;
};

// acc[(r*KW + kw)*16 + l] += sum_{n < images} sum_{oh < OH, ow < OW} dyT[n*dyT_image + (oh*OW + ow)*16 + l] *
// row[r][n*x_image + oh*W + ow + kw].
void conv_direct_dw_lanes_tile_avx512(const DirectDwLanesTile& tile);
void conv_direct_dw_lanes_tile_avx2(const DirectDwLanesTile& tile);

// Drivers (conv_direct.cc). Each output element is computed by one tile, in an order that does
// not depend on the thread count, except dw, whose per-chunk sums are added in chunk order.

// The forward pass: stride 1, OW <= W, and few wasted lanes (OW close to W), on AVX-512 or AVX2.
bool direct_forward_applies(const ConvShape& s);
// The input gradient (a stride-1 convolution of dy): where the forward applies, for kernels > 1x1.
bool direct_dx_applies(const ConvShape& s);
// The weight gradient: where dx applies, the per-chunk partial sums stay small and the shifted
// planes of an image's group take at most 4 MiB; on AVX2 only for at most 8 filters per group,
// or (any size) unpadded convolutions with 16k filters (the lanes tile).
bool direct_dw_applies(const ConvShape& s);

// y = conv(x, w) + b (b may be null).
void conv2d_direct_forward(const ConvShape& s, const float* x, const float* w, const float* b, float* y);

// Given dy = dL/dy: dx = dL/dx (overwritten) unless dx is null, and unless dw is null dw += dL/dw
// and, unless db is null too, db += dL/db. dy is re-strided once for both when OW < W.
void conv2d_direct_backward(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx,
                            float* dw, float* db);

}  // namespace convkit
