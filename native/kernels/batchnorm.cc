#include "kernels/batchnorm.h"

#include <algorithm>
#include <cmath>

#include "kernels/elementwise.h"
#include "runtime/parallel.h"

namespace convkit {
namespace {

// Channels per thread-pool chunk so that a chunk covers at least ~64K elements.
int64_t channel_grain(int64_t M) { return std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(M, 1)); }

// Over channel c's values: y = (x - shift) a + b. Subtracting first keeps float precision when
// |mean| >> std.
void shift_scale(int64_t N, int64_t C, int64_t S, int64_t c, const float* x, float shift, float a, float b, float* y) {
  for (int64_t n = 0; n < N; ++n) {
    const float* xr = x + (n * C + c) * S;
    float* yr = y + (n * C + c) * S;
    for (int64_t s = 0; s < S; ++s) yr[s] = (xr[s] - shift) * a + b;
  }
}

// sum_n row_sum(offset of row (n, c)), in order of n.
template <typename F>
double channel_sum(int64_t N, int64_t C, int64_t S, int64_t c, F row_sum) {
  double total = 0.0;
  for (int64_t n = 0; n < N; ++n) total += row_sum((n * C + c) * S);
  return total;
}

}  // namespace

void batchnorm_forward_train(int64_t N, int64_t C, int64_t S, const float* x, const float* gamma, const float* beta,
                             float eps, float momentum, float* running_mean, float* running_var, float* y,
                             float* save_mean, float* save_invstd) {
  const int64_t M = N * S;
  parallel_for(C, channel_grain(M), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double mean = channel_sum(N, C, S, c, [&](int64_t at) { return sum_f64(S, x + at); }) / M;
      // Two passes: no cancellation when |mean| >> std.
      const double var = channel_sum(N, C, S, c, [&](int64_t at) { return sum_sq_dev_f64(S, x + at, mean); }) / M;
      const double invstd = 1.0 / std::sqrt(var + eps);
      save_mean[c] = static_cast<float>(mean);
      save_invstd[c] = static_cast<float>(invstd);
      running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean);
      running_var[c] = static_cast<float>((1.0 - momentum) * running_var[c] +
                                          momentum * var * static_cast<double>(M) / static_cast<double>(M - 1));
      shift_scale(N, C, S, c, x, static_cast<float>(mean), static_cast<float>(invstd * gamma[c]), beta[c], y);
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
      shift_scale(N, C, S, c, x, running_mean[c], static_cast<float>(invstd * gamma[c]), beta[c], y);
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
      const double sum_dy = channel_sum(N, C, S, c, [&](int64_t at) { return sum_f64(S, dy + at); });
      // sum dy (x - mean) = sum dy x - mean sum dy, both in double.
      const double sum_dy_xc = channel_sum(N, C, S, c, [&](int64_t at) { return dot_f64(S, dy + at, x + at); }) -
                               mean * sum_dy;
      dgamma[c] += static_cast<float>(sum_dy_xc * invstd);
      dbeta[c] += static_cast<float>(sum_dy);
      if (dx == nullptr) continue;
      const double k = gamma[c] * invstd;
      if (!training) {
        shift_scale(N, C, S, c, dy, 0.0f, static_cast<float>(k), 0.0f, dx);
        continue;
      }
      // dx = k (dy - mean(dy) - xhat mean(dy xhat)) with xhat = (x - mean) invstd
      //    = k dy + p (x - mean) + q, p = -k invstd^2 mean(dy (x - mean)), q = -k mean(dy).
      const float kf = static_cast<float>(k), mf = static_cast<float>(mean);
      const float p = static_cast<float>(-k * invstd * invstd * sum_dy_xc / M);
      const float q = static_cast<float>(-k * sum_dy / M);
      for (int64_t n = 0; n < N; ++n) {
        const int64_t at = (n * C + c) * S;
        for (int64_t s = 0; s < S; ++s) dx[at + s] = kf * dy[at + s] + p * (x[at + s] - mf) + q;
      }
    }
  });
}

}  // namespace convkit
