// Element-wise activations (ReLU, sigmoid, tanh, exp) and row softmax, forward and backward.
#pragma once
#include <cstdint>

namespace convkit {

enum class Activation { relu = 0, sigmoid = 1, tanh = 2, exp = 3 };

// y[i] = f(x[i]) for i < n; y may alias x. Splits large n over the thread pool.
void activation_forward(Activation f, int64_t n, const float* x, float* y);
// dx[i] = dy[i] * f'(.) where `xy` holds the input x for ReLU and the output y for sigmoid,
// tanh and exp (their derivatives are cheaper from y). dx may alias dy.
void activation_backward(Activation f, int64_t n, const float* xy, const float* dy, float* dx);

// Over each row of x [N, K]: y = softmax(x) or, with log, y = log softmax(x). y may alias x.
void softmax_forward(bool log, int64_t N, int64_t K, const float* x, float* y);
// Given y from softmax_forward, dx = J^T dy per row:
// softmax: dx = y * (dy - sum(dy * y)); log-softmax: dx = dy - exp(y) * sum(dy). dx may alias dy.
void softmax_backward(bool log, int64_t N, int64_t K, const float* y, const float* dy, float* dx);

// One row: y = softmax(x) scaled by `scale` (log = false), or log softmax (log = true);
// returns log sum exp(x). y may alias x. Shared with the fused loss kernels.
double softmax_row(bool log, int64_t K, const float* x, float scale, float* y);

// Per-ISA microkernels on n contiguous floats.
using UnaryKernel = void (*)(int64_t n, const float* x, float* y);
using BinaryKernel = void (*)(int64_t n, const float* a, const float* b, float* y);
// y = exp(x + bias); the vector versions saturate to 0 / +inf and give NaN only for NaN.
using ExpKernel = void (*)(int64_t n, const float* x, float bias, float* y);

void relu_generic(int64_t n, const float* x, float* y);
void relu_avx2(int64_t n, const float* x, float* y);
void relu_avx512(int64_t n, const float* x, float* y);
void sigmoid_generic(int64_t n, const float* x, float* y);
void sigmoid_avx2(int64_t n, const float* x, float* y);
void sigmoid_avx512(int64_t n, const float* x, float* y);
void tanh_generic(int64_t n, const float* x, float* y);
void tanh_avx2(int64_t n, const float* x, float* y);
void tanh_avx512(int64_t n, const float* x, float* y);
void exp_generic(int64_t n, const float* x, float bias, float* y);
void exp_avx2(int64_t n, const float* x, float bias, float* y);
void exp_avx512(int64_t n, const float* x, float bias, float* y);

// Backward microkernels: dx = dy * (x > 0) ; dy * y * (1 - y) ; dy * (1 - y^2) ; dy * y.
void relu_backward_generic(int64_t n, const float* x, const float* dy, float* dx);
void relu_backward_avx2(int64_t n, const float* x, const float* dy, float* dx);
void relu_backward_avx512(int64_t n, const float* x, const float* dy, float* dx);
void sigmoid_backward_generic(int64_t n, const float* y, const float* dy, float* dx);
void sigmoid_backward_avx2(int64_t n, const float* y, const float* dy, float* dx);
void sigmoid_backward_avx512(int64_t n, const float* y, const float* dy, float* dx);
void tanh_backward_generic(int64_t n, const float* y, const float* dy, float* dx);
void tanh_backward_avx2(int64_t n, const float* y, const float* dy, float* dx);
void tanh_backward_avx512(int64_t n, const float* y, const float* dy, float* dx);
void mul_generic(int64_t n, const float* a, const float* b, float* y);
void mul_avx2(int64_t n, const float* a, const float* b, float* y);
void mul_avx512(int64_t n, const float* a, const float* b, float* y);

}  // namespace convkit
