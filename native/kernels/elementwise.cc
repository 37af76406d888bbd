#include "kernels/elementwise.h"

#include <algorithm>
#include <cstring>

#include "runtime/cpu.h"
#include "runtime/parallel.h"

namespace convkit {
namespace {

// Elements per thread-pool chunk for memory-bound loops: LeNet-sized tensors stay on one thread.
constexpr int64_t kGrain = int64_t{1} << 17;

int64_t rows_grain(int64_t row) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(row, 1)); }

constexpr int kLanes = 8;

// sum_i f(i) over eight interleaved double accumulators, added in order at the end.
template <typename F>
double lane_sum(int64_t n, F f) {
  double s[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) s[j] += f(i + j);
  }
  for (; i < n; ++i) s[0] += f(i);
  double total = 0.0;
  for (double p : s) total += p;
  return total;
}

// Columns per block of a dense layer's bias gradient (double sums on the stack).
constexpr int64_t kColumns = 256;

}  // namespace

// 32 partial sums: the adds run at throughput, not latency.
float sum_f32_generic(int64_t n, const float* x) {
  constexpr int kWide = 32;
  if (n < kWide) {
    float total = 0.0f;
    for (int64_t i = 0; i < n; ++i) total += x[i];
    return total;
  }
  float s[kWide] = {};
  int64_t i = 0;
  for (; i + kWide <= n; i += kWide) {
    for (int j = 0; j < kWide; ++j) s[j] += x[i + j];
  }
  for (int j = 0; i < n; ++i, ++j) s[j] += x[i];
  for (int width = kWide / 2; width > 0; width /= 2) {
    for (int j = 0; j < width; ++j) s[j] += s[j + width];
  }
  return s[0];
}

float sum_f32(int64_t n, const float* x) {
#if defined(CONVKIT_X86_KERNELS)
  return select_isa(sum_f32_generic, sum_f32_avx2, sum_f32_avx512)(n, x);
#else
  return sum_f32_generic(n, x);
#endif
}

double sum_f64(int64_t n, const float* x) {
  return lane_sum(n, [x](int64_t i) { return static_cast<double>(x[i]); });
}

double dot_f64(int64_t n, const float* a, const float* b) {
  return lane_sum(n, [a, b](int64_t i) { return static_cast<double>(a[i]) * b[i]; });
}

double sum_sq_dev_f64(int64_t n, const float* x, double c) {
  return lane_sum(n, [x, c](int64_t i) { return (x[i] - c) * (x[i] - c); });
}

void bias_add(int64_t N, int64_t C, int64_t S, const float* x, const float* b, float* y) {
  parallel_for(N * C, rows_grain(S), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float bc = b[r % C];
      const float* xr = x + r * S;
      float* yr = y + r * S;
      for (int64_t s = 0; s < S; ++s) yr[s] = xr[s] + bc;
    }
  });
}

void bias_grad(int64_t N, int64_t C, int64_t S, const float* dy, float* db) {
  if (S == 1) {  // a dense layer's [N, C]: column sums, a block of columns at a time, rows in order
    parallel_for((C + kColumns - 1) / kColumns, rows_grain(N * kColumns), [&](int64_t b0, int64_t b1) {
      for (int64_t c0 = b0 * kColumns; c0 < std::min(C, b1 * kColumns); c0 += kColumns) {
        const int64_t width = std::min(kColumns, C - c0);
        double total[kColumns] = {};
        for (int64_t n = 0; n < N; ++n) {
          for (int64_t c = 0; c < width; ++c) total[c] += dy[n * C + c0 + c];
        }
        for (int64_t c = 0; c < width; ++c) db[c0 + c] += static_cast<float>(total[c]);
      }
    });
    return;
  }
  parallel_for(C, rows_grain(N * S), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double total = 0.0;
      for (int64_t n = 0; n < N; ++n) total += sum_f32(S, dy + (n * C + c) * S);
      db[c] += static_cast<float>(total);
    }
  });
}

void add_scaled(int64_t n, float alpha, const float* a, float beta, const float* b, float* y) {
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    if (beta == 0.0f) {
      for (int64_t i = i0; i < i1; ++i) y[i] = alpha * a[i];
    } else {
      for (int64_t i = i0; i < i1; ++i) y[i] = alpha * a[i] + beta * b[i];
    }
  });
}

void concat_rows(int64_t outer, int64_t count, const float* const* src, const int64_t* width, float* dst) {
  int64_t total = 0;
  for (int64_t i = 0; i < count; ++i) total += width[i];
  parallel_for(outer, rows_grain(total), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      float* d = dst + o * total;
      for (int64_t i = 0; i < count; ++i) {
        std::memcpy(d, src[i] + o * width[i], static_cast<size_t>(width[i]) * sizeof(float));
        d += width[i];
      }
    }
  });
}

void split_rows(int64_t outer, int64_t count, const float* src, const int64_t* width, float* const* dst) {
  int64_t total = 0;
  for (int64_t i = 0; i < count; ++i) total += width[i];
  parallel_for(outer, rows_grain(total), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const float* s = src + o * total;
      for (int64_t i = 0; i < count; ++i) {
        std::memcpy(dst[i] + o * width[i], s, static_cast<size_t>(width[i]) * sizeof(float));
        s += width[i];
      }
    }
  });
}

}  // namespace convkit
