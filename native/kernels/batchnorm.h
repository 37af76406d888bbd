// Batch normalisation over the channels of x viewed as [N, C, S] (S = H*W; S = 1 for [N, C]).
#pragma once
#include <cstdint>

namespace convkit {

// Training, per channel c over its M = N*S values: mean_c, var_c = biased variance,
// invstd_c = 1 / sqrt(var_c + eps), y = (x - mean_c) invstd_c gamma_c + beta_c;
// running_mean = (1 - momentum) running_mean + momentum mean_c,
// running_var = (1 - momentum) running_var + momentum var_c M / (M - 1) (M >= 2).
// Saves mean_c and invstd_c for the backward pass. y may alias x.
void batchnorm_forward_train(int64_t N, int64_t C, int64_t S, const float* x, const float* gamma, const float* beta,
                             float eps, float momentum, float* running_mean, float* running_var, float* y,
                             float* save_mean, float* save_invstd);
// Inference: save_mean = running_mean, save_invstd = 1 / sqrt(running_var + eps),
// y = (x - save_mean) save_invstd gamma + beta. y may alias x.
void batchnorm_forward_eval(int64_t N, int64_t C, int64_t S, const float* x, const float* gamma, const float* beta,
                            float eps, const float* running_mean, const float* running_var, float* y,
                            float* save_mean, float* save_invstd);
// With xhat = (x - mean) invstd: dgamma += sum dy xhat, dbeta += sum dy (over n, s), and
// training: dx = gamma invstd / M (M dy - sum dy - xhat sum dy xhat) (batch statistics depend on x);
// inference: dx = gamma invstd dy. dx may be null (not computed).
void batchnorm_backward(bool training, int64_t N, int64_t C, int64_t S, const float* x, const float* dy,
                        const float* gamma, const float* save_mean, const float* save_invstd, float* dx,
                        float* dgamma, float* dbeta);

}  // namespace convkit
