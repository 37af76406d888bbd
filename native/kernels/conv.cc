#include "kernels/conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/gemm.h"
#include "runtime/parallel.h"

namespace convkit {
namespace {

// im2col buffers stay below this many floats (8 MiB); larger images are done in bands of
// output rows.
constexpr int64_t kColCap = int64_t{1} << 21;

// Reused per thread: a convolution allocates nothing once its buffers have grown.
thread_local std::vector<float> tl_col;
thread_local std::vector<float> tl_partials;

float* grow(std::vector<float>& buffer, int64_t size) {
  if (static_cast<int64_t>(buffer.size()) < size) buffer.resize(static_cast<size_t>(size));
  return buffer.data();
}

// 1x1, stride 1, no padding: the image itself is the im2col matrix.
bool is_pointwise(const ConvShape& s) {
  return s.KH == 1 && s.KW == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 && s.pad_left == 0 &&
         s.OH == s.H && s.OW == s.W;
}

struct Plan {
  int64_t Cg, Og, K;  // channels in and out per group, K = Cg*KH*KW
  int64_t P;          // OH*OW
  int64_t band;       // output rows per im2col band
  bool pointwise;
  // Images split over the pool when there are enough of them; else one image at a time, with
  // sgemm and im2col parallel inside.
  int64_t chunks;
};

Plan make_plan(const ConvShape& s) {
  Plan p;
  p.Cg = s.C / s.groups;
  p.Og = s.O / s.groups;
  p.K = p.Cg * s.KH * s.KW;
  p.P = s.OH * s.OW;
  const int64_t max_rows = std::max<int64_t>(1, kColCap / p.K / s.OW);
  const int64_t bands = (s.OH + max_rows - 1) / max_rows;
  p.band = (s.OH + bands - 1) / bands;
  p.pointwise = is_pointwise(s);
  const int64_t threads = num_threads();
  p.chunks = threads > 1 && s.N >= threads ? threads : 1;
  return p;
}

// Runs image_fn(n, chunk, col, parallel) for every image, with a per-thread col buffer, over
// chunks of images; chunk_fn(chunk) runs before the chunk's first image. `parallel` says the
// images come one at a time, so the work inside an image should be split over the pool.
template <typename ImageFn, typename ChunkFn>
void for_each_image(const ConvShape& s, const Plan& p, ImageFn image_fn, ChunkFn chunk_fn) {
  const int64_t col_size = p.pointwise ? 0 : p.K * p.band * s.OW;
  if (p.chunks == 1) {
    chunk_fn(0);
    float* col = grow(tl_col, col_size);
    for (int64_t n = 0; n < s.N; ++n) image_fn(n, 0, col, true);
    return;
  }
  parallel_for(p.chunks, 1, [&](int64_t c0, int64_t c1) {
    float* col = grow(tl_col, col_size);
    for (int64_t c = c0; c < c1; ++c) {
      chunk_fn(c);
      for (int64_t n = s.N * c / p.chunks; n < s.N * (c + 1) / p.chunks; ++n) image_fn(n, c, col, false);
    }
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

void im2col_channels(const ConvShape& s, int64_t C, const float* x, int64_t oh0, int64_t oh1, float* col,
                     bool parallel) {
  const int64_t rows = s.KH * s.KW * (oh1 - oh0) * s.OW;
  over_channels(C, parallel, [&](int64_t c0, int64_t c1) {
    im2col(s, c1 - c0, x + c0 * s.H * s.W, oh0, oh1, col + c0 * rows);
  });
}

void col2im_channels(const ConvShape& s, int64_t C, const float* col, int64_t oh0, int64_t oh1, float* dx,
                     bool parallel) {
  const int64_t rows = s.KH * s.KW * (oh1 - oh0) * s.OW;
  over_channels(C, parallel, [&](int64_t c0, int64_t c1) {
    col2im(s, c1 - c0, col + c0 * rows, oh0, oh1, dx + c0 * s.H * s.W);
  });
}

// sum_i p[i], in eight fixed lanes so it vectorises and gives the same bits every time.
float sum(const float* p, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) lane[j] += p[i + j];
  }
  for (; i < n; ++i) lane[0] += p[i];
  return ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
}

}  // namespace

// y[n, g*Og + o, p] = b[g*Og + o] + sum_k W_g[o, k] col_{n,g}[k, p]
void conv2d_forward(const ConvShape& s, const float* x, const float* w, const float* b, float* y) {
  const Plan p = make_plan(s);
  auto image = [&](int64_t n, int64_t, float* col, bool parallel) {
    for (int64_t g = 0; g < s.groups; ++g) {
      const float* xg = x + (n * s.C + g * p.Cg) * s.H * s.W;
      const float* wg = w + g * p.Og * p.K;
      float* yg = y + (n * s.O + g * p.Og) * p.P;
      if (p.pointwise) {
        sgemm(false, false, p.Og, p.P, p.K, 1.0f, wg, p.K, xg, p.P, 0.0f, yg, p.P);
        continue;
      }
      for (int64_t oh0 = 0; oh0 < s.OH; oh0 += p.band) {
        const int64_t oh1 = std::min(s.OH, oh0 + p.band), cols = (oh1 - oh0) * s.OW;
        im2col_channels(s, p.Cg, xg, oh0, oh1, col, parallel);
        sgemm(false, false, p.Og, cols, p.K, 1.0f, wg, p.K, col, cols, 0.0f, yg + oh0 * s.OW, p.P);
      }
    }
    if (b) {
      for (int64_t o = 0; o < s.O; ++o) {
        float* row = y + (n * s.O + o) * p.P;
        for (int64_t i = 0; i < p.P; ++i) row[i] += b[o];
      }
    }
  };
  for_each_image(s, p, image, [](int64_t) {});
}

// dW_g += sum_n dY_{n,g} col_{n,g}^T (per chunk of images, then summed in chunk order),
// dcol = W_g^T dY_{n,g} scattered into dx by col2im, db[o] += sum_{n,p} dy[n, o, p].
void conv2d_backward(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                     float* db) {
  const Plan p = make_plan(s);
  const int64_t w_size = s.O * p.K;
  float* partials = grow(tl_partials, p.chunks * w_size);
  auto chunk_start = [&](int64_t chunk) { std::memset(partials + chunk * w_size, 0, sizeof(float) * w_size); };
  auto image = [&](int64_t n, int64_t chunk, float* col, bool parallel) {
    float* dx_n = dx ? dx + n * s.C * s.H * s.W : nullptr;
    if (dx_n && !p.pointwise) std::memset(dx_n, 0, sizeof(float) * s.C * s.H * s.W);
    for (int64_t g = 0; g < s.groups; ++g) {
      const float* xg = x + (n * s.C + g * p.Cg) * s.H * s.W;
      const float* wg = w + g * p.Og * p.K;
      const float* dyg = dy + (n * s.O + g * p.Og) * p.P;
      float* dwg = partials + chunk * w_size + g * p.Og * p.K;
      float* dxg = dx_n ? dx_n + g * p.Cg * s.H * s.W : nullptr;
      if (p.pointwise) {
        sgemm(false, true, p.Og, p.K, p.P, 1.0f, dyg, p.P, xg, p.P, 1.0f, dwg, p.K);
        if (dxg) sgemm(true, false, p.K, p.P, p.Og, 1.0f, wg, p.K, dyg, p.P, 0.0f, dxg, p.P);
        continue;
      }
      for (int64_t oh0 = 0; oh0 < s.OH; oh0 += p.band) {
        const int64_t oh1 = std::min(s.OH, oh0 + p.band), cols = (oh1 - oh0) * s.OW;
        const float* dy_band = dyg + oh0 * s.OW;
        im2col_channels(s, p.Cg, xg, oh0, oh1, col, parallel);
        sgemm(false, true, p.Og, p.K, cols, 1.0f, dy_band, p.P, col, cols, 1.0f, dwg, p.K);
        if (!dxg) continue;
        sgemm(true, false, p.K, cols, p.Og, 1.0f, wg, p.K, dy_band, p.P, 0.0f, col, cols);  // col := dcol
        col2im_channels(s, p.Cg, col, oh0, oh1, dxg, parallel);
      }
    }
  };
  for_each_image(s, p, image, chunk_start);
  parallel_for(w_size, 4096, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float total = partials[i];
      for (int64_t c = 1; c < p.chunks; ++c) total += partials[c * w_size + i];
      dw[i] += total;
    }
  });
  if (!db) return;
  parallel_for(s.O, 1, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      double total = 0;
      for (int64_t n = 0; n < s.N; ++n) total += sum(dy + (n * s.O + o) * p.P, p.P);
      db[o] += static_cast<float>(total);
    }
  });
}

}  // namespace convkit
