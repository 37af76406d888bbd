#include "kernels/elementwise.h"

#include <algorithm>
#include <cstring>

#include "runtime/parallel.h"

namespace convkit {
namespace {

// Elements per thread-pool chunk for memory-bound loops: LeNet-sized tensors stay on one thread.
constexpr int64_t kGrain = int64_t{1} << 17;

int64_t rows_grain(int64_t row) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(row, 1)); }

}  // namespace

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
  parallel_for(C, rows_grain(N * S), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double total = 0.0;
      for (int64_t n = 0; n < N; ++n) {
        const float* row = dy + (n * C + c) * S;
        float partial = 0.0f;  // a float row sum vectorises; rows are short (H*W)
        for (int64_t s = 0; s < S; ++s) partial += row[s];
        total += partial;
      }
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
