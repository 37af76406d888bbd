#include "kernels/conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/conv_direct.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "runtime/parallel.h"
#include "runtime/scratch.h"

namespace convkit {
namespace {

// im2col buffers stay below this many floats (4 MiB); larger images are done in bands of
// output rows.
constexpr int64_t kColCap = int64_t{1} << 20;
// Images smaller than this many output pixels are put side by side in the GEMM's columns: a
// GEMM this wide runs near its best, many narrow ones do not.
constexpr int64_t kMinCols = 512;
// With fewer output channels per group (GEMM rows) than this, producing im2col panel by panel
// costs more than the GEMM saves (measured: LeNet's 6 and 16 are faster with im2col + sgemm).
constexpr int64_t kMinImplicitRows = 32;

// Reused per thread: a convolution allocates nothing once its buffers have grown.
thread_local Scratch tl_col;
thread_local Scratch tl_partials;
// A kernel tap's input offset in a channel plane and its valid output columns [lo, hi).
struct Tap {
  int64_t offset, lo, hi;
};
thread_local std::vector<Tap> tl_taps;

struct Plan {
  int64_t Cg, Og, K;  // channels in and out per group, K = Cg*KH*KW
  int64_t P;          // OH*OW
  int64_t images;     // images per GEMM, side by side in the columns
  int64_t band;       // output rows per im2col band (all of them when images > 1)
  // 1x1, stride 1, unpadded, one image per GEMM: the image is its own im2col matrix.
  bool pointwise;
  // Images split over the pool when there are enough of them; else one batch at a time, with
  // sgemm and im2col parallel inside.
  int64_t chunks;
};

Plan make_plan(const ConvShape& s) {
  Plan p;
  p.Cg = s.C / s.groups;
  p.Og = s.O / s.groups;
  p.K = p.Cg * s.KH * s.KW;
  p.P = s.OH * s.OW;
  p.chunks = image_chunks(s.N);
  const int64_t per_chunk = (s.N + p.chunks - 1) / p.chunks;
  p.images = std::max<int64_t>(1, std::min({(kMinCols + p.P - 1) / p.P, per_chunk, kColCap / p.K / p.P}));
  const int64_t max_rows = p.images > 1 ? s.OH : std::max<int64_t>(1, kColCap / p.K / s.OW);
  const int64_t bands = (s.OH + max_rows - 1) / max_rows;
  p.band = (s.OH + bands - 1) / bands;
  p.pointwise = p.images == 1 && s.KH == 1 && s.KW == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 &&
                s.pad_left == 0 && s.OH == s.H && s.OW == s.W;
  return p;
}

// Per-thread buffers: the im2col matrix, and (for several images per GEMM) the GEMM's output or
// the gathered dy, [Og, columns].
struct Buffers {
  float* col;
  float* gathered;
};

// Runs batch_fn(n0, count, chunk, scratch, parallel) for consecutive batches of at most
// p.images images (one GEMM each per channel group), over chunks of images; chunk_fn(chunk) runs
// before the chunk's first batch. `parallel` says the batches come one at a time, so work inside
// a batch should use the pool.
template <typename BatchFn, typename ChunkFn>
void for_each_batch(const ConvShape& s, const Plan& p, BatchFn batch_fn, ChunkFn chunk_fn) {
  const int64_t cols = p.images > 1 ? p.images * p.P : p.band * s.OW;
  const int64_t col_size = p.pointwise ? 0 : p.K * cols, gathered_size = p.images > 1 ? p.Og * cols : 0;
  auto run_chunk = [&](int64_t chunk, bool parallel) {
    float* buffer = tl_col.get(col_size + gathered_size);
    chunk_fn(chunk);
    const int64_t end = s.N * (chunk + 1) / p.chunks;
    for (int64_t n = s.N * chunk / p.chunks; n < end; n += p.images) {
      batch_fn(n, std::min(p.images, end - n), chunk, Buffers{buffer, buffer + col_size}, parallel);
    }
  };
  if (p.chunks == 1) return run_chunk(0, true);
  parallel_for(p.chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) run_chunk(c, false);
  });
}

// Splits channels [0, C) over the pool when `parallel`, else runs fn(0, C).
template <typename Fn>
void over_channels(int64_t C, bool parallel, Fn fn) {
  if (parallel) {
    parallel_for(C, 1, [&](int64_t c0, int64_t c1) { fn(c0, c1); });
  } else {
    fn(0, C);
  }
}

// im2col of `count` images (x points at the first image's group channels), side by side:
// image i fills columns [i*band_cols, (i+1)*band_cols) of rows ld floats apart.
void im2col_images(const ConvShape& s, const Plan& p, const float* x, int64_t count, int64_t oh0, int64_t oh1,
                   float* col, int64_t ld, bool parallel) {
  const int64_t band_cols = (oh1 - oh0) * s.OW, rows = s.KH * s.KW * ld;
  for (int64_t i = 0; i < count; ++i) {
    over_channels(p.Cg, parallel, [&](int64_t c0, int64_t c1) {
      im2col(s, c1 - c0, x + (i * s.C + c0) * s.H * s.W, oh0, oh1, col + c0 * rows + i * band_cols, ld);
    });
  }
}

void col2im_images(const ConvShape& s, const Plan& p, const float* col, int64_t ld, int64_t count, int64_t oh0,
                   int64_t oh1, float* dx, bool parallel) {
  const int64_t band_cols = (oh1 - oh0) * s.OW, rows = s.KH * s.KW * ld;
  for (int64_t i = 0; i < count; ++i) {
    over_channels(p.Cg, parallel, [&](int64_t c0, int64_t c1) {
      col2im(s, c1 - c0, col + c0 * rows + i * band_cols, ld, oh0, oh1, dx + (i * s.C + c0) * s.H * s.W);
    });
  }
}

// Copies the Og x P block of each of `count` images between NCHW (image stride O*P) and the
// side-by-side layout [Og, count*P].
void to_side_by_side(const ConvShape& s, const Plan& p, const float* nchw, int64_t count, float* out) {
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t o = 0; o < p.Og; ++o) {
      std::memcpy(out + o * count * p.P + i * p.P, nchw + (i * s.O + o) * p.P, sizeof(float) * p.P);
    }
  }
}

void from_side_by_side(const ConvShape& s, const Plan& p, const float* in, int64_t count, float* nchw) {
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t o = 0; o < p.Og; ++o) {
      std::memcpy(nchw + (i * s.O + o) * p.P, in + o * count * p.P + i * p.P, sizeof(float) * p.P);
    }
  }
}

// The im2col matrix of `count` images side by side (image i in columns [i*P, (i+1)*P)), x at the
// first image's group channels, produced one sgemm B panel of NR columns at a time.
struct ColPanels {
  const ConvShape* s;
  const float* x;
  int64_t P, NR;
};

// Bp[k * NR + j] = col[p0 + k, j0 + j] for k < K, j < N (im2col's formula), zero for N <= j < NR.
// Walks the panel in runs of columns on one output row: for each kernel tap (kh, kw) a run reads
// one stretch of an input row per channel, found once per run.
void pack_col_panel(const void* ctx, int64_t p0, int64_t j0, int64_t K, int64_t N, float* Bp) {
  const ColPanels& cp = *static_cast<const ColPanels*>(ctx);
  const ConvShape& s = *cp.s;
  const int64_t NR = cp.NR, H = s.H, W = s.W, sw = s.stride_w, taps = s.KH * s.KW;
  if (static_cast<int64_t>(tl_taps.size()) < taps) tl_taps.resize(static_cast<size_t>(taps));
  Tap* tap = tl_taps.data();
  for (int64_t k = 0; k < K; ++k) {
    for (int64_t j = N; j < NR; ++j) Bp[k * NR + j] = 0.0f;
  }
  for (int64_t j = 0; j < N;) {
    const int64_t col = j0 + j, q = col % cp.P, oh = q / s.OW, ow0 = q % s.OW, len = std::min(N - j, s.OW - ow0);
    for (int64_t kh = 0; kh < s.KH; ++kh) {
      for (int64_t kw = 0; kw < s.KW; ++kw) {
        // The run's t-th column reads input (ih, iw0 + t*sw), inside the row for t in [lo, hi).
        const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
        const int64_t iw0 = ow0 * sw - s.pad_left + kw * s.dilation_w;
        Tap& tp = tap[kh * s.KW + kw];
        tp = Tap{ih * W + iw0, 0, 0};
        if (ih >= 0 && ih < H && iw0 + (len - 1) * sw >= 0 && iw0 < W) {
          tp.lo = std::min(len, iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw);
          tp.hi = std::max(tp.lo, std::min(len, (W - 1 - iw0) / sw + 1));
        }
      }
    }
    const float* plane = cp.x + col / cp.P * s.C * H * W + p0 / taps * H * W;
    for (int64_t k = 0, r = p0 % taps; k < K; ++k) {
      float* __restrict d = Bp + k * NR + j;
      const int64_t lo = tap[r].lo, hi = tap[r].hi;
      for (int64_t t = 0; t < lo; ++t) d[t] = 0.0f;
      if (hi > lo) {
        const float* __restrict in = plane + tap[r].offset;
        if (sw == 1) {
          for (int64_t t = lo; t < hi; ++t) d[t] = in[t];
        } else {
          for (int64_t t = lo; t < hi; ++t) d[t] = in[t * sw];
        }
      }
      for (int64_t t = hi; t < len; ++t) d[t] = 0.0f;
      if (++r == taps) r = 0, plane += H * W;
    }
    j += len;
  }
}

// A kernel that covers the whole unpadded input (LeNet's C5: a classifier written as a
// convolution) has a 1x1 output: the convolution is a dense layer on x as [N, C*H*W] rows, with
// no im2col copy and no col2im.
bool whole_image(const ConvShape& s) {
  return s.OH == 1 && s.OW == 1 && s.KH == s.H && s.KW == s.W && s.pad_top == 0 && s.pad_left == 0 &&
         s.dilation_h == 1 && s.dilation_w == 1;
}

// y[:, g*Og + o] = b[g*Og + o] + X_g W_g^T, X_g = x[:, g*K : (g+1)*K] as an N x K matrix.
void whole_image_forward(const ConvShape& s, const float* x, const float* w, const float* b, float* y) {
  const int64_t Og = s.O / s.groups, K = s.C / s.groups * s.H * s.W, image = s.C * s.H * s.W;
  for (int64_t g = 0; g < s.groups; ++g) {
    sgemm(false, true, s.N, Og, K, 1.0f, x + g * K, image, w + g * Og * K, K, 0.0f, y + g * Og, s.O);
  }
  if (b) bias_add(s.N, s.O, 1, y, b, y);
}

// dW_g += dY_g^T X_g, dX_g = dY_g W_g (skipped when dx is null).
void whole_image_backward(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw) {
  const int64_t Og = s.O / s.groups, K = s.C / s.groups * s.H * s.W, image = s.C * s.H * s.W;
  for (int64_t g = 0; g < s.groups; ++g) {
    sgemm(true, false, Og, K, s.N, 1.0f, dy + g * Og, s.O, x + g * K, image, 1.0f, dw + g * Og * K, K);
    if (dx) sgemm(false, false, s.N, K, Og, 1.0f, dy + g * Og, s.O, w + g * Og * K, K, 0.0f, dx + g * K, image);
  }
}

}  // namespace

int64_t image_chunks(int64_t N) {
  const int64_t threads = num_threads();
  return threads > 1 && N >= threads ? threads : 1;
}

// y[n, g*Og + o, p] = b[g*Og + o] + sum_k W_g[o, k] col_{n,g}[k, p]
void conv2d_forward(const ConvShape& s, const float* x, const float* w, const float* b, float* y) {
  if (direct_forward_applies(s)) return conv2d_direct_forward(s, x, w, b, y);
  if (whole_image(s)) return whole_image_forward(s, x, w, b, y);
  const Plan p = make_plan(s);
  auto batch = [&](int64_t n0, int64_t count, int64_t, Buffers scratch, bool parallel) {
    for (int64_t g = 0; g < s.groups; ++g) {
      const float* xg = x + (n0 * s.C + g * p.Cg) * s.H * s.W;
      const float* wg = w + g * p.Og * p.K;
      float* yg = y + (n0 * s.O + g * p.Og) * p.P;
      if (p.pointwise) {
        sgemm(false, false, p.Og, p.P, p.K, 1.0f, wg, p.K, xg, p.P, 0.0f, yg, p.P);
        continue;
      }
      if (p.Og >= kMinImplicitRows) {
        const ColPanels col{&s, xg, p.P, sgemm_nr()};
        const int64_t cols = count * p.P;
        sgemm_packed_b(p.Og, cols, p.K, wg, p.K, pack_col_panel, &col, count == 1 ? yg : scratch.gathered, cols);
        if (count > 1) from_side_by_side(s, p, scratch.gathered, count, yg);
        continue;
      }
      for (int64_t oh0 = 0; oh0 < s.OH; oh0 += p.band) {
        const int64_t oh1 = std::min(s.OH, oh0 + p.band), cols = count * (oh1 - oh0) * s.OW;
        im2col_images(s, p, xg, count, oh0, oh1, scratch.col, cols, parallel);
        if (count == 1) {
          sgemm(false, false, p.Og, cols, p.K, 1.0f, wg, p.K, scratch.col, cols, 0.0f, yg + oh0 * s.OW, p.P);
        } else {
          sgemm(false, false, p.Og, cols, p.K, 1.0f, wg, p.K, scratch.col, cols, 0.0f, scratch.gathered, cols);
          from_side_by_side(s, p, scratch.gathered, count, yg);
        }
      }
    }
    float* yb = y + n0 * s.O * p.P;
    if (b) bias_add(count, s.O, p.P, yb, b, yb);
  };
  for_each_batch(s, p, batch, [](int64_t) {});
}

namespace {

// dW_g += sum_n dY_{n,g} col_{n,g}^T (per chunk of images, then summed in chunk order), and
// unless dx is null, dcol = W_g^T dY_{n,g} scattered into dx by col2im.
void gemm_backward(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw) {
  const Plan p = make_plan(s);
  const int64_t w_size = s.O * p.K, image = s.C * s.H * s.W;
  float* partials = tl_partials.get(p.chunks * w_size);
  auto chunk_start = [&](int64_t chunk) { std::memset(partials + chunk * w_size, 0, sizeof(float) * w_size); };
  auto batch = [&](int64_t n0, int64_t count, int64_t chunk, Buffers scratch, bool parallel) {
    if (dx && !p.pointwise) std::memset(dx + n0 * image, 0, sizeof(float) * count * image);
    for (int64_t g = 0; g < s.groups; ++g) {
      const float* xg = x + (n0 * s.C + g * p.Cg) * s.H * s.W;
      const float* wg = w + g * p.Og * p.K;
      const float* dyg = dy + (n0 * s.O + g * p.Og) * p.P;
      float* dwg = partials + chunk * w_size + g * p.Og * p.K;
      float* dxg = dx ? dx + n0 * image + g * p.Cg * s.H * s.W : nullptr;
      if (p.pointwise) {
        sgemm(false, true, p.Og, p.K, p.P, 1.0f, dyg, p.P, xg, p.P, 1.0f, dwg, p.K);
        if (dxg) sgemm(true, false, p.K, p.P, p.Og, 1.0f, wg, p.K, dyg, p.P, 0.0f, dxg, p.P);
        continue;
      }
      for (int64_t oh0 = 0; oh0 < s.OH; oh0 += p.band) {
        const int64_t oh1 = std::min(s.OH, oh0 + p.band), cols = count * (oh1 - oh0) * s.OW;
        im2col_images(s, p, xg, count, oh0, oh1, scratch.col, cols, parallel);
        const float* dy_band = dyg + oh0 * s.OW;
        int64_t ld_dy = p.P;
        if (count > 1) {
          to_side_by_side(s, p, dyg, count, scratch.gathered);
          dy_band = scratch.gathered;
          ld_dy = cols;
        }
        sgemm(false, true, p.Og, p.K, cols, 1.0f, dy_band, ld_dy, scratch.col, cols, 1.0f, dwg, p.K);
        if (!dxg) continue;
        sgemm(true, false, p.K, cols, p.Og, 1.0f, wg, p.K, dy_band, ld_dy, 0.0f, scratch.col, cols);  // col := dcol
        col2im_images(s, p, scratch.col, cols, count, oh0, oh1, dxg, parallel);
      }
    }
  };
  for_each_batch(s, p, batch, chunk_start);
  parallel_for(w_size, 4096, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float total = partials[i];
      for (int64_t c = 1; c < p.chunks; ++c) total += partials[c * w_size + i];
      dw[i] += total;
    }
  });
}

}  // namespace

// Direct tiles where they apply (conv_direct.h), a dense layer for a whole-image kernel, else
// im2col + GEMM.
void conv2d_backward(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                     float* db) {
  const bool direct_dx = direct_dx_applies(s), direct_dw = direct_dw_applies(s);
  if (direct_dx || direct_dw) {
    conv2d_direct_backward(s, x, w, dy, direct_dx ? dx : nullptr, direct_dw ? dw : nullptr, direct_dw ? db : nullptr);
  }
  if (direct_dw) return;
  if (direct_dx) dx = nullptr;
  if (whole_image(s)) {
    whole_image_backward(s, x, w, dy, dx, dw);
  } else {
    gemm_backward(s, x, w, dy, dx, dw);
  }
  if (db) bias_grad(s.N, s.O, s.OH * s.OW, dy, db);
}

}  // namespace convkit
