// Drivers of the direct stride-1 convolution (conv_direct.h): geometry, lane masks, weight
// packing, work split. The arithmetic is in the per-ISA tiles.
#include "kernels/conv_direct.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "runtime/cpu.h"
#include "runtime/parallel.h"
#include "runtime/scratch.h"

namespace convkit {
namespace {

constexpr int64_t kNR = 16 * kDirectVectors;  // output pixels per AVX-512 forward tile
// Output pixels per forward work item: a few output rows of one image, whose input rows stay in
// L2 while every block of output channels passes over them.
constexpr int64_t kItemPixels = 8 * kNR;
// Forward and dx: at least this share of the lanes must be output pixels (OW / W).
constexpr double kMinUsefulLanes = 0.6;
// Forward and dx: a mask table (taps x vectors of 16 pixels, 2 bytes each) of at most 8 MiB; larger
// images and kernels go through im2col bands instead.
constexpr int64_t kMaxMaskEntries = int64_t{1} << 22;
// dw: the per-chunk partial sums (O*K*16 floats) should stay in L2.
constexpr int64_t kMaxDwSums = 4096;
// dw tiles: the shifted planes of one image's group (a per-thread scratch) at most 4 MiB.
constexpr int64_t kMaxShiftedFloats = int64_t{1} << 20;
// dw on AVX2: at most this many filters per group for the dw tiles (the lanes tile has no limit).
constexpr int64_t kMaxDwFiltersAvx2 = 8;
// dw: images per pass over the tiles, so that their dy and x planes stay in L1.
constexpr int64_t kDwImageBytes = 24 * 1024;

thread_local Scratch tl_packed, tl_dy, tl_dyT, tl_xs, tl_sums, tl_acc;
thread_local std::vector<int64_t> tl_pair_offset;
thread_local std::vector<double> tl_bias;

// Planes are indexed with row stride Wv = max(W, OW); P = OH*Wv pixels, V vectors of 16 (whole
// AVX-512 tiles).
struct Geometry {
  int64_t Wv, P, V;
};

Geometry geometry(const ConvShape& s) {
  Geometry g;
  g.Wv = std::max(s.W, s.OW);
  g.P = s.OH * g.Wv;
  g.V = (g.P + kNR - 1) / kNR * kDirectVectors;
  return g;
}

// Tap offsets and lane masks for one geometry: mask[t*V + v] holds the lanes of vector v that are
// output pixels whose input for tap t lies inside the image; valid[v] the lanes that are output
// pixels, the first of them at dest[v] in the compact OH x OW plane.
using MaskKey = std::array<int64_t, 10>;

struct Masks {
  MaskKey key;
  std::vector<int64_t> offset;
  std::vector<uint16_t> mask, valid;
  std::vector<int32_t> dest;
};
// Training repeats the same few shapes, so each thread keeps the last few tables.
constexpr size_t kMaskCache = 8;
thread_local std::vector<Masks> tl_masks;

const Masks& masks(const ConvShape& s) {
  const MaskKey key{s.H, s.W, s.OH, s.OW, s.KH, s.KW, s.pad_top, s.pad_left, s.dilation_h, s.dilation_w};
  auto& cache = tl_masks;
  for (const Masks& m : cache) {
    if (m.key == key) return m;
  }
  if (cache.size() == kMaskCache) cache.erase(cache.begin());
  const Geometry g = geometry(s);
  const int64_t taps = s.KH * s.KW;
  Masks m;
  m.key = key;
  for (int64_t t = 0; t < taps; ++t) {
    m.offset.push_back((t / s.KW * s.dilation_h - s.pad_top) * g.Wv + t % s.KW * s.dilation_w - s.pad_left);
  }
  m.mask.assign(static_cast<size_t>(taps * g.V), 0);
  m.valid.assign(static_cast<size_t>(g.V), 0);
  m.dest.assign(static_cast<size_t>(g.V), 0);
  for (int64_t p = 0; p < g.P; ++p) {
    const int64_t oh = p / g.Wv, ow = p % g.Wv;
    if (ow >= s.OW) continue;
    const uint16_t bit = static_cast<uint16_t>(1u << (p % 16));
    if (m.valid[static_cast<size_t>(p / 16)] == 0) m.dest[static_cast<size_t>(p / 16)] = static_cast<int32_t>(oh * s.OW + ow);
    m.valid[static_cast<size_t>(p / 16)] |= bit;
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t ih = oh + t / s.KW * s.dilation_h - s.pad_top, iw = ow + t % s.KW * s.dilation_w - s.pad_left;
      if (ih >= 0 && ih < s.H && iw >= 0 && iw < s.W) m.mask[static_cast<size_t>(t * g.V + p / 16)] |= bit;
    }
  }
  cache.push_back(std::move(m));
  return cache.back();
}

// The forward tile of the calling thread's ISA: at most `rows` output channels x `vectors`
// vectors of 16 pixels.
struct ForwardTile {
  void (*fn)(const DirectTile&);
  int64_t rows, vectors;
};

ForwardTile forward_tile() {
  if (current_isa() == Isa::avx512) return ForwardTile{conv_direct_tile_avx512, kDirectRows, kDirectVectors};
  return ForwardTile{conv_direct_tile_avx2, kDirectRowsAvx2, 1};
}

// Weights for forward tiles of `rows` output channels: block [o0, o0 + mb) of group g at
// (g*Og + o0)*taps*Cg holds wp[(t*Cg + c)*mb + m] = w[g*Og + o0 + m, c, t]. With `flipped`, s is
// transposed(forward) and w the forward weights, [C, Og, KH, KW] per group in s's terms: wp takes
// w[g*Cg + c, o0 + m, taps - 1 - t].
const float* pack_weights(const ConvShape& s, const float* w, bool flipped, int64_t rows) {
  const int64_t Cg = s.C / s.groups, Og = s.O / s.groups, taps = s.KH * s.KW;
  float* wp = tl_packed.get(s.O * Cg * taps);
  for (int64_t g = 0; g < s.groups; ++g) {
    for (int64_t o0 = 0; o0 < Og; o0 += rows) {
      const int64_t mb = std::min(rows, Og - o0);
      float* block = wp + (g * Og + o0) * taps * Cg;
      for (int64_t t = 0; t < taps; ++t) {
        for (int64_t c = 0; c < Cg; ++c) {
          for (int64_t m = 0; m < mb; ++m) {
            block[(t * Cg + c) * mb + m] = flipped ? w[((g * Cg + c) * Og + o0 + m) * taps + taps - 1 - t]
                                                   : w[((g * Og + o0 + m) * Cg + c) * taps + t];
          }
        }
      }
    }
  }
  return wp;
}

// The convolution of s with x's planes H x Wv (rows Wv floats apart), y compact NCHW.
void forward(const ConvShape& s, const float* x, const float* w, bool flipped, const float* b, float* y) {
  const int64_t Cg = s.C / s.groups, Og = s.O / s.groups, taps = s.KH * s.KW;
  const Geometry geo = geometry(s);
  const int64_t HW = s.H * geo.Wv, Pout = s.OH * s.OW;
  const ForwardTile ft = forward_tile();
  const int64_t tile_pixels = 16 * ft.vectors, per_image = (geo.P + kItemPixels - 1) / kItemPixels;
  parallel_for(s.N * s.groups * per_image, 1, [&](int64_t i0, int64_t i1) {
    // Each thread packs the weights and finds the masks in its own memory, alongside the
    // others: reading lines that another core has just written costs more than the packing.
    const Masks& m = masks(s);
    const float* wp = pack_weights(s, w, flipped, ft.rows);
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t image = item / per_image / s.groups, g = item / per_image % s.groups;
      const int64_t first = item % per_image * kItemPixels, last = std::min(geo.P, first + kItemPixels);
      float* yg = y + (image * s.O + g * Og) * Pout;
      for (int64_t o0 = 0; o0 < Og; o0 += ft.rows) {
        // A tile is about 100 ns of work: only its pixel fields are written per tile.
        DirectTile a;
        a.C = Cg;
        a.HW = HW;
        a.w = wp + (g * Og + o0) * taps * Cg;
        a.offset = m.offset.data();
        a.mask_ld = geo.V;
        a.taps = taps;
        a.bias = b ? b + g * Og + o0 : nullptr;
        a.y = yg + o0 * Pout;
        a.P = Pout;
        a.MR = static_cast<int>(std::min(ft.rows, Og - o0));
        a.sparse_taps = flipped;
        for (int64_t p0 = first; p0 < last; p0 += tile_pixels) {
          a.x = x + (image * s.C + g * Cg) * HW + p0;
          a.mask = m.mask.data() + p0 / 16;
          a.store = m.valid.data() + p0 / 16;
          a.dest = m.dest.data() + p0 / 16;
          a.NV = static_cast<int>(std::min(ft.vectors, (last - p0 + 15) / 16));
          ft.fn(a);
        }
      }
    }
  });
}

// dy as the direct tiles read it: dy itself when OW = W, else a copy with rows W floats apart
// (zero past OW), valid until the calling thread's next call.
const float* direct_dy(const ConvShape& s, const float* dy) {
  if (s.OW == s.W) return dy;
  const int64_t planes = s.N * s.O, rows = s.OH;
  float* dyv = tl_dy.get(planes * rows * s.W);
  parallel_for(planes, 16, [&](int64_t p0, int64_t p1) {
    for (int64_t i = p0 * rows; i < p1 * rows; ++i) {
      const float* __restrict src = dy + i * s.OW;
      float* __restrict dst = dyv + i * s.W;
      for (int64_t j = 0; j < s.OW; ++j) dst[j] = src[j];
      for (int64_t j = s.OW; j < s.W; ++j) dst[j] = 0.0f;
    }
  });
  return dyv;
}

// The convolution whose forward pass is the input gradient of s: dy [N, O, OH, OW] in, dx
// [N, C, H, W] out, the kernel flipped, padding (K-1)*d - pad.
ConvShape transposed(const ConvShape& s) {
  return ConvShape{s.N, s.O, s.OH, s.OW, s.C, s.KH, s.KW, s.H, s.W, 1, 1,
                   (s.KH - 1) * s.dilation_h - s.pad_top, (s.KW - 1) * s.dilation_w - s.pad_left,
                   s.dilation_h, s.dilation_w, s.groups};
}

// No padding: every output's window lies inside the input.
bool unpadded(const ConvShape& s) {
  return s.pad_top == 0 && s.pad_left == 0 && s.OH + (s.KH - 1) * s.dilation_h == s.H &&
         s.OW + (s.KW - 1) * s.dilation_w == s.W;
}

// Images of one thread's chunk, and images per pass so that their dy and x planes stay in L1.
// With db, each chunk also sums its images' dy planes while they are in cache
// (bias[chunk*bias_ld + o]), and add_bias adds the chunks up in order.
struct DwChunks {
  int64_t chunks, block, bias_ld;
  double* bias;
  DwChunks(const ConvShape& s, int64_t image_bytes, const float* db) {
    chunks = image_chunks(s.N);
    block = std::max<int64_t>(1, kDwImageBytes / image_bytes);
    // Chunks' sums a cache line apart: their threads add to them image by image.
    bias_ld = s.O + 64 / static_cast<int64_t>(sizeof(double));
    tl_bias.assign(db ? static_cast<size_t>(chunks * bias_ld) : 0, 0.0);
    bias = db ? tl_bias.data() : nullptr;
  }
  void add_bias(const ConvShape& s, float* db) const {
    if (!db) return;
    for (int64_t o = 0; o < s.O; ++o) {
      double total = 0.0;
      for (int64_t chunk = 0; chunk < chunks; ++chunk) total += bias[chunk * bias_ld + o];
      db[o] += static_cast<float>(total);
    }
  }
};

// v[0] + ... + v[15], added in a tree (halves first): short dependency chains.
float tree_sum16(const float* v) {
  float h[8];
  for (int l = 0; l < 8; ++l) h[l] = v[l] + v[l + 8];
  for (int l = 0; l < 4; ++l) h[l] += h[l + 4];
  return (h[0] + h[2]) + (h[1] + h[3]);
}

// The shifted planes of one image's group for direct_dw: rows reach every tap row of every output
// row, plus 16 zeros for the last vector; Cg*KW planes, then the plane of ones.
struct ShiftedPlanes {
  int64_t rows, plane, image;
};

ShiftedPlanes shifted_planes(const ConvShape& s) {
  ShiftedPlanes sp;
  sp.rows = s.OH + (s.KH - 1) * s.dilation_h;
  sp.plane = sp.rows * geometry(s).Wv + 16;
  sp.image = (s.C / s.groups * s.KW + 1) * sp.plane;
  return sp;
}

// The weight gradient with 16 output channels in the lanes (DirectDwLanesTile): for unpadded
// convolutions with KW = 3 or 5, horizontal dilation 1 and a multiple of 16 filters per group.
bool lanes_apply(const ConvShape& s) {
  return unpadded(s) && s.dilation_w == 1 && (s.KW == 3 || s.KW == 5) && (s.O / s.groups) % 16 == 0;
}

// dW_g[o, c, kh, kw] += sum_n sum_{oh, ow} dy[n, g*Og + o, oh, ow] x[n, g*Cg + c, oh + kh*dh, ow + kw],
// each chunk's sums apart, then added in chunk order.
void dw_lanes(const ConvShape& s, const float* x, const float* dy, float* dw, float* db) {
  const int64_t Cg = s.C / s.groups, Og = s.O / s.groups, HW = s.H * s.W, rows = Cg * s.KH;
  const int64_t blocks = s.O / 16, P = s.OH * s.OW, size = s.O * rows * s.KW;
  const DwChunks work(s, 4 * (s.O * P + s.C * HW), db);
  // In the caller's scratch, unlike direct_dw's sums: each chunk's sums outlive the chunk (until
  // the reduction below), and one thread may run two chunks.
  float* partial = tl_sums.get(work.chunks * size);
  const bool avx512 = current_isa() == Isa::avx512;
  const auto tile = avx512 ? conv_direct_dw_lanes_tile_avx512 : conv_direct_dw_lanes_tile_avx2;
  // The transposing pack of sgemm's B panels: dyT[p*16 + l] = dy[l*P + p] for 16 planes.
  const auto interleave = avx512 ? sgemm_pack_cols_avx512 : sgemm_pack_cols_avx2;
  const int64_t R = s.KW == 3 ? (avx512 ? kDirectLaneRows : kDirectLaneRowsAvx2) : (avx512 ? 5 : 1);
  parallel_for(work.chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t chunk = c0; chunk < c1; ++chunk) {
      float* acc = partial + chunk * size;
      std::memset(acc, 0, sizeof(float) * size);
      const int64_t n_begin = s.N * chunk / work.chunks, n_end = s.N * (chunk + 1) / work.chunks;
      // The chunk's images of dy, interleaved (and summed for db), in this thread's memory.
      float* dyT = tl_dyT.get((n_end - n_begin) * blocks * P * 16);
      for (int64_t b = n_begin * blocks; b < n_end * blocks; ++b) {
        interleave(dy + b * 16 * P, P, P, 16, 16, dyT + (b - n_begin * blocks) * P * 16);
        for (int64_t l = 0; work.bias && l < 16; ++l) {
          work.bias[chunk * work.bias_ld + (b * 16 + l) % s.O] += sum_f32(P, dy + (b * 16 + l) * P);
        }
      }
      for (int64_t n0 = n_begin; n0 < n_end; n0 += work.block) {
        DirectDwLanesTile a;
        a.dyT_image = blocks * P * 16;
        a.x_image = s.C * HW;
        a.images = std::min(work.block, n_end - n0);
        a.OH = s.OH;
        a.OW = s.OW;
        a.W = s.W;
        a.KW = static_cast<int>(s.KW);
        for (int64_t g = 0; g < s.groups; ++g) {
          for (int64_t ob = g * Og / 16; ob < (g + 1) * Og / 16; ++ob) {
            a.dyT = dyT + ((n0 - n_begin) * blocks + ob) * P * 16;
            for (int64_t r0 = 0; r0 < rows; r0 += R) {
              a.R = static_cast<int>(std::min(R, rows - r0));
              for (int r = 0; r < a.R; ++r) {
                const int64_t c = (r0 + r) / s.KH, kh = (r0 + r) % s.KH;
                a.row[r] = x + (n0 * s.C + g * Cg + c) * HW + kh * s.dilation_h * s.W;
              }
              a.acc = acc + (ob * rows + r0) * s.KW * 16;
              tile(a);
            }
          }
        }
      }
    }
  });
  // acc[(ob*rows + row)*KW*16 + kw*16 + l] is dW[ob*16 + l, row*KW + kw].
  parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t ob = b0; ob < b1; ++ob) {
      for (int64_t k = 0; k < rows * s.KW; ++k) {
        for (int64_t l = 0; l < 16; ++l) {
          const float* sums = partial + (ob * rows * s.KW + k) * 16 + l;
          float total = 0.0f;
          for (int64_t chunk = 0; chunk < work.chunks; ++chunk) total += sums[chunk * size];
          dw[(ob * 16 + l) * rows * s.KW + k] += total;
        }
      }
    }
  });
  work.add_bias(s, db);
}

}  // namespace

bool direct_forward_applies(const ConvShape& s) {
#if defined(CONVKIT_X86_KERNELS)
  const int64_t vectors = (std::max(s.H, s.OH) * s.W + 15) / 16;
  return current_isa() != Isa::generic && s.stride_h == 1 && s.stride_w == 1 && s.OW <= s.W &&
         static_cast<double>(s.OW) >= kMinUsefulLanes * static_cast<double>(s.W) &&
         s.KH * s.KW <= kMaxMaskEntries / vectors;
#else
  (void)s;
  return false;
#endif
}

// A 1x1 convolution's dx is a plain GEMM already (no col2im), which the direct tiles do not beat.
bool direct_dx_applies(const ConvShape& s) { return s.KH * s.KW > 1 && direct_forward_applies(s); }

bool direct_dw_applies(const ConvShape& s) {
  // AVX2's 4-filter tiles re-read x once per 4 filters: with more filters per group GEMM wins.
  const bool tiles = (current_isa() == Isa::avx512 || s.O / s.groups <= kMaxDwFiltersAvx2) &&
                     shifted_planes(s).image <= kMaxShiftedFloats;
  return (tiles || lanes_apply(s)) && direct_dx_applies(s) && s.O * (s.C / s.groups) * s.KH * s.KW <= kMaxDwSums;
}

void conv2d_direct_forward(const ConvShape& s, const float* x, const float* w, const float* b, float* y) {
  forward(s, x, w, false, b, y);
}

namespace {

// dW_g[o, c, (kh, kw)] += sum_n sum_p dy[n, g*Og + o, p] xs[n, g*Cg + c, kw][p + kh*dh*Wv] over the
// shifted planes xs (conv_direct.h), dyv = direct_dy(s, dy); db as one more pair, with a plane of
// ones. Images in one chunk per thread; each chunk adds up its own 16-lane sums, then the chunks'
// totals are added in chunk order.
void direct_dw(const ConvShape& s, const float* x, const float* dyv, float* dw, float* db) {
  const int64_t Cg = s.C / s.groups, Og = s.O / s.groups, taps = s.KH * s.KW, K = Cg * taps, HW = s.H * s.W;
  const int64_t Kb = K + (db ? 1 : 0);  // pairs per output channel, db's last
  const Geometry geo = geometry(s);
  const ShiftedPlanes sp = shifted_planes(s);
  const int64_t R = sp.rows, plane = sp.plane, shifted = Cg * s.KW, x_image = sp.image;
  const DwChunks work(s, 4 * (Og * geo.P + x_image), nullptr);
  const int64_t chunks = work.chunks, block = work.block, pairs = s.O * Kb, sums = pairs * 16;
  const int64_t totals_ld = (pairs + 15) / 16 * 16;  // a chunk's totals, in their own lines
  float* totals = tl_sums.get(chunks * totals_ld);  // [chunk][o*Kb + k]
  const bool avx512 = current_isa() == Isa::avx512;
  const auto tile = avx512 ? conv_direct_dw_tile_avx512 : conv_direct_dw_tile_avx2;
  const auto shift_plane = avx512 ? conv_direct_shift_plane_avx512 : conv_direct_shift_plane_avx2;
  const int64_t rows = avx512 ? kDirectRows : kDirectDwRowsAvx2;
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    // The tables each thread reads, in its own memory: lines the other core writes cost more.
    const Masks& m = masks(s);
    std::vector<int64_t>& offset = tl_pair_offset;  // pair k: its plane and tap row
    offset.resize(static_cast<size_t>(Kb));
    for (int64_t k = 0; k < Kb; ++k) {
      const int64_t c = k / taps, kh = k % taps / s.KW, kw = k % s.KW;
      offset[static_cast<size_t>(k)] = k < K ? (c * s.KW + kw) * plane + kh * s.dilation_h * geo.Wv : shifted * plane;
    }
    float* xs = tl_xs.get(block * x_image);
    for (int64_t i = 0; db && i < block; ++i) std::fill_n(xs + i * x_image + shifted * plane, plane, 1.0f);
    for (int64_t chunk = c0; chunk < c1; ++chunk) {
      float* acc = tl_acc.get(sums);  // this thread's: no line of it is ever in the other core
      std::memset(acc, 0, sizeof(float) * sums);
      const int64_t n_end = s.N * (chunk + 1) / chunks;
      for (int64_t n0 = s.N * chunk / chunks; n0 < n_end; n0 += block) {
        DirectDwTile a;
        a.images = std::min(block, n_end - n0);
        a.P = geo.P;
        a.dy_image = s.O * geo.P;
        a.x_image = x_image;
        a.valid = m.valid.data();
        a.V = (geo.P + 15) / 16;
        a.acc_ld = Kb * 16;
        for (int64_t g = 0; g < s.groups; ++g) {
          for (int64_t i = 0; i < a.images * shifted; ++i) {
            const int64_t image = i / shifted, c = i % shifted / s.KW, kw = i % s.KW;
            shift_plane(x + ((n0 + image) * s.C + g * Cg + c) * HW, s.H, s.W, s.pad_top, kw * s.dilation_w - s.pad_left,
                        R, geo.Wv, s.OW, xs + image * x_image + (c * s.KW + kw) * plane);
          }
          for (int64_t o0 = 0; o0 < Og; o0 += rows) {
            a.MR = static_cast<int>(std::min(rows, Og - o0));
            a.dy = dyv + (n0 * s.O + g * Og + o0) * geo.P;
            const int64_t NT = !avx512 ? kDirectDwPairsAvx2 : a.MR <= 6 ? 4 : 3;
            for (int64_t k0 = 0; k0 < Kb; k0 += NT) {
              a.NT = static_cast<int>(std::min(NT, Kb - k0));
              for (int j = 0; j < a.NT; ++j) a.x[j] = xs + offset[static_cast<size_t>(k0 + j)];
              a.acc = acc + ((g * Og + o0) * Kb + k0) * 16;
              tile(a);
            }
          }
        }
      }
      // While the sums are in this core's cache: the caller then reads one float per pair.
      for (int64_t i = 0; i < pairs; ++i) totals[chunk * totals_ld + i] = tree_sum16(acc + i * 16);
    }
  });
  for (int64_t o = 0; o < s.O; ++o) {
    for (int64_t k = 0; k < Kb; ++k) {
      float total = totals[o * Kb + k];
      for (int64_t chunk = 1; chunk < chunks; ++chunk) total += totals[chunk * totals_ld + o * Kb + k];
      (k < K ? dw[o * K + k] : db[o]) += total;
    }
  }
}

}  // namespace

void conv2d_direct_backward(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx,
                            float* dw, float* db) {
  const bool lanes = dw && lanes_apply(s);
  const float* dyv = dx || (dw && !lanes) ? direct_dy(s, dy) : dy;
  if (dx) forward(transposed(s), dyv, w, true, nullptr, dx);
  if (lanes) return dw_lanes(s, x, dy, dw, db);
  if (dw) direct_dw(s, x, dyv, dw, db);
}

}  // namespace convkit
