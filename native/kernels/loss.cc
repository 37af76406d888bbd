#include "kernels/loss.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/activation.h"
#include "runtime/parallel.h"

namespace convkit {
namespace {

// Blocks hold ~4K elements; a thread-pool chunk takes at least 8 of them.
constexpr int64_t kElementBlock = 4096;
constexpr int64_t kBlocksPerChunk = 8;

// sum over blocks of `block` items of block_sum(begin, end): the blocks are fixed by n and
// block alone, and their partial sums are added in order, so threads never change the bits.
double blocked_sum(int64_t n, int64_t block, FunctionRef<double(int64_t, int64_t)> block_sum) {
  int64_t blocks = (n + block - 1) / block;
  std::vector<double> partial(static_cast<size_t>(blocks));
  parallel_for(blocks, kBlocksPerChunk, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) partial[b] = block_sum(b * block, std::min(n, (b + 1) * block));
  });
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

int64_t rows_per_block(int64_t K) { return std::max<int64_t>(1, kElementBlock / K); }

// log(1 + e^z) without overflow.
double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))); }

}  // namespace

double softmax_cross_entropy_labels(int64_t N, int64_t K, const float* logits, const int32_t* labels, float* grad) {
  const float inv_n = 1.0f / static_cast<float>(N);
  double total = blocked_sum(N, rows_per_block(K), [&](int64_t r0, int64_t r1) {
    double s = 0.0;
    for (int64_t r = r0; r < r1; ++r) {
      const float* x = logits + r * K;
      float* g = grad + r * K;
      double target = x[labels[r]];
      s += softmax_row(false, K, x, inv_n, g) - target;
      g[labels[r]] -= inv_n;
    }
    return s;
  });
  return total / static_cast<double>(N);
}

double softmax_cross_entropy_targets(int64_t N, int64_t K, const float* logits, const float* targets, float* grad) {
  const float inv_n = 1.0f / static_cast<float>(N);
  double total = blocked_sum(N, rows_per_block(K), [&](int64_t r0, int64_t r1) {
    double s = 0.0;
    for (int64_t r = r0; r < r1; ++r) {
      const float* x = logits + r * K;
      const float* t = targets + r * K;
      float* g = grad + r * K;
      double t_sum = 0.0, tx = 0.0;
      for (int64_t k = 0; k < K; ++k) {
        t_sum += t[k];
        if (t[k] != 0.0f) tx += static_cast<double>(t[k]) * x[k];  // 0 * -inf would be NaN
      }
      double lse = softmax_row(false, K, x, static_cast<float>(t_sum / N), g);
      s += t_sum * lse - tx;
      for (int64_t k = 0; k < K; ++k) g[k] -= t[k] * inv_n;
    }
    return s;
  });
  return total / static_cast<double>(N);
}

double binary_cross_entropy_logits(int64_t n, const float* x, const float* t, float* grad) {
  const double inv_n = 1.0 / static_cast<double>(n);
  double total = blocked_sum(n, kElementBlock, [&](int64_t i0, int64_t i1) {
    double s = 0.0;
    for (int64_t i = i0; i < i1; ++i) {
      double xi = x[i], ti = t[i];
      // Each term only where its weight is non-zero, so that x = +-inf gives 0 or inf, not NaN.
      if (ti != 0.0) s += ti * softplus(-xi);
      if (ti != 1.0) s += (1.0 - ti) * softplus(xi);
      double e = std::exp(-std::abs(xi));
      double sig = xi >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      grad[i] = static_cast<float>((sig - ti) * inv_n);
    }
    return s;
  });
  return total * inv_n;
}

double mean_squared_error(int64_t n, const float* p, const float* t, float* grad) {
  const double inv_n = 1.0 / static_cast<double>(n);
  double total = blocked_sum(n, kElementBlock, [&](int64_t i0, int64_t i1) {
    double s = 0.0;
    for (int64_t i = i0; i < i1; ++i) {
      double d = static_cast<double>(p[i]) - t[i];
      s += d * d;
      grad[i] = static_cast<float>(2.0 * d * inv_n);
    }
    return s;
  });
  return total * inv_n;
}

}  // namespace convkit
