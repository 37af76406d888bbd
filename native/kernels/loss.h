// Loss functions with their gradients, reduced in a fixed order (double accumulators, fixed
// blocks) so that the loss does not depend on the thread count.
#pragma once
#include <cstdint>

namespace convkit {

// loss = 1/N sum_n (logsumexp(x_n) - x_n[label_n]); grad = (softmax(x) - onehot(label)) / N.
// Labels must be in [0, K) (the binding checks). grad may alias logits.
double softmax_cross_entropy_labels(int64_t N, int64_t K, const float* logits, const int32_t* labels, float* grad);
// Soft targets t [N, K]: loss = 1/N sum_n sum_k -t_nk log softmax(x_n)_k;
// grad = (softmax(x_n) sum_k t_nk - t_n) / N. grad may alias logits.
double softmax_cross_entropy_targets(int64_t N, int64_t K, const float* logits, const float* targets, float* grad);
// loss = 1/n sum_i t_i softplus(-x_i) + (1 - t_i) softplus(x_i) = mean of -t log s(x) - (1-t) log(1 - s(x));
// grad = (sigmoid(x) - t) / n.
double binary_cross_entropy_logits(int64_t n, const float* x, const float* t, float* grad);
// loss = 1/n sum_i (p_i - t_i)^2; grad = 2 (p - t) / n.
double mean_squared_error(int64_t n, const float* p, const float* t, float* grad);

}  // namespace convkit
