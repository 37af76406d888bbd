#include "kernels/batchnorm.h"

#include <algorithm>
#include <cmath>

#include "runtime/parallel.h"

namespace convkit {
namespace {

// Channels per thread-pool chunk so that a chunk covers at least ~64K elements.
int64_t channel_grain(int64_t M) { return std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(M, 1)); }

// y = x * a + b over channel c's values.
void scale_shift(int64_t N, int64_t C, int64_t S, int64_t c, const float* x, float a, float b, float* y) {
  for (int64_t n = 0; n < N; ++n) {
    const float* xr = x + (n * C + c) * S;
    float* yr = y + (n * C + c) * S;
    for (int64_t s = 0; s < S; ++s) yr[s] = xr[s] * a + b;
  }
}

}  // namespace

void batchnorm_forward_train(int64_t N, int64_t C, int64_t S, const float* x, const float* gamma, const float* beta,
                             float eps, float momentum, float* running_mean, float* running_var, float* y,
                             float* save_mean, float* save_invstd) {
  const int64_t M = N * S;
  parallel_for(C, channel_grain(M), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double sum = 0.0;
      for (int64_t n = 0; n < N; ++n) {
        const float* xr = x + (n * C + c) * S;
        for (int64_t s = 0; s < S; ++s) sum += xr[s];
      }
      const double mean = sum / static_cast<double>(M);
      double sq = 0.0;  // two passes: no cancellation when |mean| >> std
      for (int64_t n = 0; n < N; ++n) {
        const float* xr = x + (n * C + c) * S;
        for (int64_t s = 0; s < S; ++s) sq += (xr[s] - mean) * (xr[s] - mean);
      }
      const double var = sq / static_cast<double>(M);
      const double invstd = 1.0 / std::sqrt(var + eps);
      save_mean[c] = static_cast<float>(mean);
      save_invstd[c] = static_cast<float>(invstd);
      running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean);
      running_var[c] = static_cast<float>((1.0 - momentum) * running_var[c] +
                                          momentum * var * static_cast<double>(M) / static_cast<double>(M - 1));
      const double a = invstd * gamma[c];
      scale_shift(N, C, S, c, x, static_cast<float>(a), static_cast<float>(beta[c] - mean * a), y);
    }
  });
}

void batchnorm_forward_eval(int64_t N, int64_t C, int64_t S, const float* x, const float* gamma, const float* beta,
                            float eps, const float* running_mean, const float* running_var, float* y,
                            float* save_mean, float* save_invstd) {
  parallel_for(C, channel_grain(N * S), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
      save_mean[c] = running_mean[c];
      save_invstd[c] = static_cast<float>(invstd);
      const double a = invstd * gamma[c];
      scale_shift(N, C, S, c, x, static_cast<float>(a), static_cast<float>(beta[c] - running_mean[c] * a), y);
    }
  });
}

void batchnorm_backward(bool training, int64_t N, int64_t C, int64_t S, const float* x, const float* dy,
                        const float* gamma, const float* save_mean, const float* save_invstd, float* dx,
                        float* dgamma, float* dbeta) {
  const int64_t M = N * S;
  parallel_for(C, channel_grain(M), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double mean = save_mean[c], invstd = save_invstd[c];
      double sum_dy = 0.0, sum_dy_xhat = 0.0;
      for (int64_t n = 0; n < N; ++n) {
        const float* xr = x + (n * C + c) * S;
        const float* g = dy + (n * C + c) * S;
        for (int64_t s = 0; s < S; ++s) {
          sum_dy += g[s];
          sum_dy_xhat += g[s] * ((xr[s] - mean) * invstd);
        }
      }
      dgamma[c] += static_cast<float>(sum_dy_xhat);
      dbeta[c] += static_cast<float>(sum_dy);
      if (dx == nullptr) continue;
      const double k = gamma[c] * invstd;
      if (!training) {
        scale_shift(N, C, S, c, dy, static_cast<float>(k), 0.0f, dx);
        continue;
      }
      // dx = k (dy - mean(dy) - xhat mean(dy xhat)), xhat = (x - mean) invstd, folded to
      // dx = k dy + p x + q with p = -k invstd mean(dy xhat), q = -k mean(dy) - p mean.
      const double p = -k * invstd * sum_dy_xhat / static_cast<double>(M);
      const double q = -k * sum_dy / static_cast<double>(M) - p * mean;
      for (int64_t n = 0; n < N; ++n) {
        const float* xr = x + (n * C + c) * S;
        const float* g = dy + (n * C + c) * S;
        float* d = dx + (n * C + c) * S;
        for (int64_t s = 0; s < S; ++s) d[s] = static_cast<float>(k * g[s] + p * xr[s] + q);
      }
    }
  });
}

}  // namespace convkit
