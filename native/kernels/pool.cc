#include "kernels/pool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "runtime/cpu.h"
#include "runtime/parallel.h"
#include "runtime/scratch.h"

namespace convkit {
namespace {

using MaxPoolRows = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                             int64_t, float*, int32_t*);

// Padded copies of one plane for max pooling, one per thread, reused.
thread_local Scratch tl_padded;

MaxPoolRows max_pool_rows_for_isa() {
#if defined(CONVKIT_X86_KERNELS)
  return select_isa<MaxPoolRows>(max_pool_rows_generic, max_pool_rows_avx2, max_pool_rows_avx512);
#else
  return max_pool_rows_generic;
#endif
}

// The window of output (oh, ow) clipped to the input: rows [*h0, *h1), columns [*w0, *w1).
void window(const PoolShape& s, int64_t oh, int64_t ow, int64_t* h0, int64_t* h1, int64_t* w0, int64_t* w1) {
  const int64_t top = oh * s.stride_h - s.pad_h, left = ow * s.stride_w - s.pad_w;
  *h0 = std::max<int64_t>(top, 0);
  *h1 = std::min(top + s.KH, s.H);
  *w0 = std::max<int64_t>(left, 0);
  *w1 = std::min(left + s.KW, s.W);
}

// Work below this many window elements per chunk is not worth waking a thread for.
constexpr int64_t kMinWorkPerChunk = 32768;

// Calls fn(plane) for each of the N*C planes, split over the pool; `work` is per plane.
template <typename Fn>
void for_each_plane(const PoolShape& s, int64_t work, Fn fn) {
  const int64_t grain = std::max<int64_t>(1, kMinWorkPerChunk / std::max<int64_t>(1, work));
  parallel_for(s.N * s.C, grain, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) fn(p);
  });
}

float divisor(const PoolShape& s, bool count_include_pad, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
  return static_cast<float>(count_include_pad ? s.KH * s.KW : (h1 - h0) * (w1 - w0));
}

}  // namespace

// One output row at a time; taps outer, outputs inner, without branches: the j loops vectorise
// where the compiler can.
void max_pool_rows_generic(const float* x, int64_t ld, int64_t W, int64_t KH, int64_t KW, int64_t Sh, int64_t S,
                           int64_t R, int64_t count, int64_t index0, float* y, int32_t* idx) {
  for (int64_t t = 0; t < R; ++t) {
    const float* xt = x + t * Sh * ld;
    const int64_t index_t = index0 + t * Sh * W;
    float* yt = y + t * count;
    int32_t* it = idx + t * count;
    for (int64_t j = 0; j < count; ++j) {
      yt[j] = xt[j * S];
      it[j] = static_cast<int32_t>(index_t + j * S);
    }
    for (int64_t r = 0; r < KH; ++r) {
      for (int64_t kw = 0; kw < KW; ++kw) {
        const float* tap = xt + r * ld + kw;
        const int32_t at = static_cast<int32_t>(index_t + r * W + kw);
        for (int64_t j = 0; j < count; ++j) {
          const float v = tap[j * S];
          const bool take = v > yt[j] || v != v;
          yt[j] = take ? v : yt[j];
          it[j] = take ? at + static_cast<int32_t>(j * S) : it[j];
        }
      }
    }
  }
}

namespace {

// Output (oh, ow) of a plane straight from its clipped window (first maximum; a NaN wins).
void max_window(const PoolShape& s, const float* x, int64_t oh, int64_t ow, float* y, int32_t* idx) {
  int64_t h0, h1, w0, w1;
  window(s, oh, ow, &h0, &h1, &w0, &w1);
  float best = x[h0 * s.W + w0];
  int64_t arg = h0 * s.W + w0;
  for (int64_t ih = h0; ih < h1; ++ih) {
    for (int64_t iw = w0; iw < w1; ++iw) {
      const float v = x[ih * s.W + iw];
      if (v > best || v != v) best = v, arg = ih * s.W + iw;
    }
  }
  *y = best;
  *idx = static_cast<int32_t>(arg);
}

// A (H + 2 pad_h) x ld plane of `fill` (followed by `extra` floats of scratch), for pad_plane to
// fill the middle of: the frame keeps its value from plane to plane.
float* framed_plane(const PoolShape& s, int64_t ld, float fill, int64_t extra = 0) {
  const int64_t size = (s.H + 2 * s.pad_h) * ld;
  float* padded = tl_padded.get(size + extra);
  std::fill(padded, padded + size, fill);
  return padded;
}

const float* pad_plane(const PoolShape& s, const float* x, int64_t ld, float* framed) {
  for (int64_t ih = 0; ih < s.H; ++ih) {
    std::memcpy(framed + (ih + s.pad_h) * ld + s.pad_w, x + ih * s.W, sizeof(float) * s.W);
  }
  return framed;
}

}  // namespace

// y[n, c, oh, ow] = max_{window} x[n, c, ih, iw], kMaxPoolRows rows of outputs at a time. With
// padding the plane is copied into a frame of -inf so that every window lies inside; a window
// whose maximum is -inf may then point into the frame, so those few outputs are redone from
// the clipped window.
void max_pool2d_forward(const PoolShape& s, const float* x, float* y, int32_t* idx) {
  const MaxPoolRows rows_kernel = max_pool_rows_for_isa();
  const bool padded = s.pad_h > 0 || s.pad_w > 0;
  const int64_t ld = s.W + 2 * s.pad_w;
  const int64_t grain = std::max<int64_t>(1, kMinWorkPerChunk / (s.OH * s.OW * s.KH * s.KW));
  parallel_for(s.N * s.C, grain, [&](int64_t p0, int64_t p1) {
    float* framed = padded ? framed_plane(s, ld, -std::numeric_limits<float>::infinity()) : nullptr;
    for (int64_t p = p0; p < p1; ++p) {
      const float* plane = x + p * s.H * s.W;
      const float* src = padded ? pad_plane(s, plane, ld, framed) : plane;
      for (int64_t oh0 = 0; oh0 < s.OH; oh0 += kMaxPoolRows) {
        const int64_t R = std::min(kMaxPoolRows, s.OH - oh0), top = oh0 * s.stride_h;
        const int64_t first = (p * s.OH + oh0) * s.OW;
        rows_kernel(src + top * ld, ld, s.W, s.KH, s.KW, s.stride_h, s.stride_w, R, s.OW,
                    (top - s.pad_h) * s.W - s.pad_w, y + first, idx + first);
        if (!padded) continue;
        int64_t minus_inf = 0;  // counted without a branch, so the check vectorises
        for (int64_t i = 0; i < R * s.OW; ++i) minus_inf += y[first + i] == -std::numeric_limits<float>::infinity();
        for (int64_t i = 0; minus_inf > 0 && i < R * s.OW; ++i) {
          if (y[first + i] == -std::numeric_limits<float>::infinity()) {
            max_window(s, plane, oh0 + i / s.OW, i % s.OW, y + first + i, idx + first + i);
          }
        }
      }
    }
  });
}

void max_pool2d_backward(const PoolShape& s, const float* dy, const int32_t* idx, float* dx) {
  for_each_plane(s, s.H * s.W + s.OH * s.OW, [&](int64_t p) {
    float* dxp = dx + p * s.H * s.W;
    std::memset(dxp, 0, sizeof(float) * s.H * s.W);
    const float* dyp = dy + p * s.OH * s.OW;
    const int32_t* ip = idx + p * s.OH * s.OW;
    for (int64_t i = 0; i < s.OH * s.OW; ++i) dxp[ip[i]] += dyp[i];
  });
}

namespace {

// 1 / divisor for each output position [OH, OW], the same in every plane: the caller's, reused.
thread_local Scratch tl_inverse;

const float* inverse_divisors(const PoolShape& s, bool count_include_pad) {
  float* inv = tl_inverse.get(s.OH * s.OW);
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    for (int64_t ow = 0; ow < s.OW; ++ow) {
      int64_t h0, h1, w0, w1;
      window(s, oh, ow, &h0, &h1, &w0, &w1);
      inv[oh * s.OW + ow] = 1.0f / divisor(s, count_include_pad, h0, h1, w0, w1);
    }
  }
  return inv;
}

// out[j] += in[j*S] for j < n: contiguous when S = 1, so it vectorises.
void add_strided(int64_t n, int64_t S, const float* in, float* out) {
  if (S == 1) {
    for (int64_t j = 0; j < n; ++j) out[j] += in[j];
  } else {
    for (int64_t j = 0; j < n; ++j) out[j] += in[j * S];
  }
}

// out[j*S] += in[j] for j < n.
void scatter_add_strided(int64_t n, int64_t S, const float* in, float* out) {
  if (S == 1) {
    for (int64_t j = 0; j < n; ++j) out[j] += in[j];
  } else {
    for (int64_t j = 0; j < n; ++j) out[j * S] += in[j];
  }
}

}  // namespace

// y[n, c, oh, ow] = sum_{window} x[n, c, ih, iw] / divisor, a row of outputs at a time over a
// zero-framed copy of the plane.
void avg_pool2d_forward(const PoolShape& s, bool count_include_pad, const float* x, float* y) {
  const float* inv = inverse_divisors(s, count_include_pad);
  const bool padded = s.pad_h > 0 || s.pad_w > 0;
  const int64_t ld = s.W + 2 * s.pad_w;
  const int64_t grain = std::max<int64_t>(1, kMinWorkPerChunk / (s.OH * s.OW * s.KH * s.KW));
  parallel_for(s.N * s.C, grain, [&](int64_t p0, int64_t p1) {
    float* framed = padded ? framed_plane(s, ld, 0.0f) : nullptr;
    for (int64_t p = p0; p < p1; ++p) {
      const float* src = padded ? pad_plane(s, x + p * s.H * s.W, ld, framed) : x + p * s.H * s.W;
      for (int64_t oh = 0; oh < s.OH; ++oh) {
        float* yr = y + (p * s.OH + oh) * s.OW;
        std::fill(yr, yr + s.OW, 0.0f);
        for (int64_t r = 0; r < s.KH; ++r) {
          const float* row = src + (oh * s.stride_h + r) * ld;
          for (int64_t kw = 0; kw < s.KW; ++kw) add_strided(s.OW, s.stride_w, row + kw, yr);
        }
        for (int64_t ow = 0; ow < s.OW; ++ow) yr[ow] *= inv[oh * s.OW + ow];
      }
    }
  });
}

// dx[n, c, ih, iw] = sum over the windows holding (ih, iw) of dy / divisor, accumulated (with
// padding) in a zero-framed plane whose middle is then dx.
void avg_pool2d_backward(const PoolShape& s, bool count_include_pad, const float* dy, float* dx) {
  const float* inv = inverse_divisors(s, count_include_pad);
  const bool padded = s.pad_h > 0 || s.pad_w > 0;
  const int64_t ld = s.W + 2 * s.pad_w, rows = s.H + 2 * s.pad_h;
  const int64_t grain = std::max<int64_t>(1, kMinWorkPerChunk / (s.OH * s.OW * s.KH * s.KW));
  parallel_for(s.N * s.C, grain, [&](int64_t p0, int64_t p1) {
    float* scratch = framed_plane(s, padded ? ld : 0, 0.0f, s.OW);
    float* g = scratch + (padded ? rows * ld : 0);  // one row of dy / divisor
    for (int64_t p = p0; p < p1; ++p) {
      float* dxp = dx + p * s.H * s.W;
      float* acc = padded ? scratch : dxp;
      std::fill(acc, acc + rows * ld, 0.0f);
      for (int64_t oh = 0; oh < s.OH; ++oh) {
        const float* dyr = dy + (p * s.OH + oh) * s.OW;
        for (int64_t ow = 0; ow < s.OW; ++ow) g[ow] = dyr[ow] * inv[oh * s.OW + ow];
        for (int64_t r = 0; r < s.KH; ++r) {
          float* row = acc + (oh * s.stride_h + r) * ld;
          for (int64_t kw = 0; kw < s.KW; ++kw) scatter_add_strided(s.OW, s.stride_w, g, row + kw);
        }
      }
      if (!padded) continue;
      for (int64_t ih = 0; ih < s.H; ++ih) {
        std::memcpy(dxp + ih * s.W, acc + (ih + s.pad_h) * ld + s.pad_w, sizeof(float) * s.W);
      }
    }
  });
}

// y[p] = (1/HW) sum_i x[p, i]
void global_avg_pool2d_forward(int64_t P, int64_t HW, const float* x, float* y) {
  parallel_for(P, std::max<int64_t>(1, kMinWorkPerChunk / HW), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      double total = 0;  // one plane is small; float64 keeps a large one accurate
      for (int64_t i = 0; i < HW; ++i) total += x[p * HW + i];
      y[p] = static_cast<float>(total / static_cast<double>(HW));
    }
  });
}

void global_avg_pool2d_backward(int64_t P, int64_t HW, const float* dy, float* dx) {
  parallel_for(P, std::max<int64_t>(1, kMinWorkPerChunk / HW), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float g = dy[p] / static_cast<float>(HW);
      for (int64_t i = 0; i < HW; ++i) dx[p * HW + i] = g;
    }
  });
}

}  // namespace convkit
