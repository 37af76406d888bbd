#include "kernels/pool.h"

#include <algorithm>
#include <cstring>

#include "runtime/cpu.h"
#include "runtime/parallel.h"

namespace convkit {
namespace {

using MaxPoolRow = int64_t (*)(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float*,
                               int32_t*);

MaxPoolRow max_pool_row_for_isa() {
#if defined(CONVKIT_X86_KERNELS)
  return select_isa<MaxPoolRow>(max_pool_row_generic, max_pool_row_avx2, max_pool_row_avx512);
#else
  return max_pool_row_generic;
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

// Output columns whose window lies inside [0, W) horizontally: [*lo, *hi).
void inner_columns(const PoolShape& s, int64_t* lo, int64_t* hi) {
  *lo = std::min((s.pad_w + s.stride_w - 1) / s.stride_w, s.OW);
  const int64_t last = s.W - s.KW + s.pad_w;  // largest ow*stride_w whose window fits
  *hi = last < 0 ? *lo : std::max(*lo, std::min(last / s.stride_w + 1, s.OW));
}

// Calls fn(plane) for each of the N*C planes, split over the pool.
template <typename Fn>
void for_each_plane(const PoolShape& s, Fn fn) {
  parallel_for(s.N * s.C, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) fn(p);
  });
}

float divisor(const PoolShape& s, bool count_include_pad, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
  return static_cast<float>(count_include_pad ? s.KH * s.KW : (h1 - h0) * (w1 - w0));
}

}  // namespace

int64_t max_pool_row_generic(const float* x, int64_t W, int64_t ih0, int64_t ih1, int64_t KW, int64_t S,
                             int64_t iw0, int64_t count, float* y, int32_t* idx) {
  for (int64_t j = 0; j < count; ++j) {
    const int64_t first = ih0 * W + iw0 + j * S;
    float best = x[first];
    int64_t arg = first;
    for (int64_t r = ih0; r < ih1; ++r) {
      for (int64_t kw = 0; kw < KW; ++kw) {
        const int64_t at = r * W + iw0 + j * S + kw;
        const float v = x[at];
        if (v > best || v != v) best = v, arg = at;
      }
    }
    y[j] = best;
    idx[j] = static_cast<int32_t>(arg);
  }
  return count;
}

// y[n, c, oh, ow] = max_{window} x[n, c, ih, iw]: inner columns by the ISA's row kernel, the
// edge columns (windows cut by the padding) by the generic one.
void max_pool2d_forward(const PoolShape& s, const float* x, float* y, int32_t* idx) {
  const MaxPoolRow row_kernel = max_pool_row_for_isa();
  int64_t lo, hi;
  inner_columns(s, &lo, &hi);
  for_each_plane(s, [&](int64_t p) {
    const float* xp = x + p * s.H * s.W;
    for (int64_t oh = 0; oh < s.OH; ++oh) {
      float* yr = y + (p * s.OH + oh) * s.OW;
      int32_t* ir = idx + (p * s.OH + oh) * s.OW;
      int64_t h0, h1, w0, w1;
      for (int64_t ow = 0; ow < s.OW; ++ow) {
        if (ow == lo && hi > lo) {
          const int64_t iw0 = lo * s.stride_w - s.pad_w, count = hi - lo;
          window(s, oh, ow, &h0, &h1, &w0, &w1);
          const int64_t done = row_kernel(xp, s.W, h0, h1, s.KW, s.stride_w, iw0, count, yr + lo, ir + lo);
          max_pool_row_generic(xp, s.W, h0, h1, s.KW, s.stride_w, iw0 + done * s.stride_w, count - done,
                               yr + lo + done, ir + lo + done);
          ow = hi - 1;
          continue;
        }
        window(s, oh, ow, &h0, &h1, &w0, &w1);
        max_pool_row_generic(xp, s.W, h0, h1, w1 - w0, 1, w0, 1, yr + ow, ir + ow);
      }
    }
  });
}

void max_pool2d_backward(const PoolShape& s, const float* dy, const int32_t* idx, float* dx) {
  for_each_plane(s, [&](int64_t p) {
    float* dxp = dx + p * s.H * s.W;
    std::memset(dxp, 0, sizeof(float) * s.H * s.W);
    const float* dyp = dy + p * s.OH * s.OW;
    const int32_t* ip = idx + p * s.OH * s.OW;
    for (int64_t i = 0; i < s.OH * s.OW; ++i) dxp[ip[i]] += dyp[i];
  });
}

// y[n, c, oh, ow] = sum_{window} x[n, c, ih, iw] / divisor
void avg_pool2d_forward(const PoolShape& s, bool count_include_pad, const float* x, float* y) {
  for_each_plane(s, [&](int64_t p) {
    const float* xp = x + p * s.H * s.W;
    for (int64_t oh = 0; oh < s.OH; ++oh) {
      for (int64_t ow = 0; ow < s.OW; ++ow) {
        int64_t h0, h1, w0, w1;
        window(s, oh, ow, &h0, &h1, &w0, &w1);
        float total = 0;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) total += xp[ih * s.W + iw];
        }
        y[(p * s.OH + oh) * s.OW + ow] = total / divisor(s, count_include_pad, h0, h1, w0, w1);
      }
    }
  });
}

// dx[n, c, ih, iw] = sum over the windows holding (ih, iw) of dy / divisor
void avg_pool2d_backward(const PoolShape& s, bool count_include_pad, const float* dy, float* dx) {
  for_each_plane(s, [&](int64_t p) {
    float* dxp = dx + p * s.H * s.W;
    std::memset(dxp, 0, sizeof(float) * s.H * s.W);
    for (int64_t oh = 0; oh < s.OH; ++oh) {
      for (int64_t ow = 0; ow < s.OW; ++ow) {
        int64_t h0, h1, w0, w1;
        window(s, oh, ow, &h0, &h1, &w0, &w1);
        const float g = dy[(p * s.OH + oh) * s.OW + ow] / divisor(s, count_include_pad, h0, h1, w0, w1);
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) dxp[ih * s.W + iw] += g;
        }
      }
    }
  });
}

// y[p] = (1/HW) sum_i x[p, i]
void global_avg_pool2d_forward(int64_t P, int64_t HW, const float* x, float* y) {
  parallel_for(P, 16, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      double total = 0;  // one plane is small; float64 keeps a large one accurate
      for (int64_t i = 0; i < HW; ++i) total += x[p * HW + i];
      y[p] = static_cast<float>(total / static_cast<double>(HW));
    }
  });
}

void global_avg_pool2d_backward(int64_t P, int64_t HW, const float* dy, float* dx) {
  parallel_for(P, 16, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float g = dy[p] / static_cast<float>(HW);
      for (int64_t i = 0; i < HW; ++i) dx[p * HW + i] = g;
    }
  });
}

}  // namespace convkit
