#include "kernels/activation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/elementwise.h"
#include "runtime/cpu.h"
#include "runtime/parallel.h"

namespace convkit {

void relu_generic(int64_t n, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
void sigmoid_generic(int64_t n, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
}
void tanh_generic(int64_t n, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
void exp_generic(int64_t n, const float* x, float bias, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i] + bias);
}
void relu_backward_generic(int64_t n, const float* x, const float* dy, float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}
void sigmoid_backward_generic(int64_t n, const float* y, const float* dy, float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}
void tanh_backward_generic(int64_t n, const float* y, const float* dy, float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}
void mul_generic(int64_t n, const float* a, const float* b, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
}

namespace {

#if defined(CONVKIT_X86_KERNELS)
#define CONVKIT_SELECT(name) select_isa(name##_generic, name##_avx2, name##_avx512)
#else
#define CONVKIT_SELECT(name) name##_generic
#endif

void exp_bias0_generic(int64_t n, const float* x, float* y) { exp_generic(n, x, 0.0f, y); }
#if defined(CONVKIT_X86_KERNELS)
void exp_bias0_avx2(int64_t n, const float* x, float* y) { exp_avx2(n, x, 0.0f, y); }
void exp_bias0_avx512(int64_t n, const float* x, float* y) { exp_avx512(n, x, 0.0f, y); }
#endif

UnaryKernel forward_kernel(Activation f) {
  switch (f) {
    case Activation::relu: return CONVKIT_SELECT(relu);
    case Activation::sigmoid: return CONVKIT_SELECT(sigmoid);
    case Activation::tanh: return CONVKIT_SELECT(tanh);
    default: return CONVKIT_SELECT(exp_bias0);
  }
}

BinaryKernel backward_kernel(Activation f) {
  switch (f) {
    case Activation::relu: return CONVKIT_SELECT(relu_backward);
    case Activation::sigmoid: return CONVKIT_SELECT(sigmoid_backward);
    case Activation::tanh: return CONVKIT_SELECT(tanh_backward);
    default: return CONVKIT_SELECT(mul);
  }
}

ExpKernel exp_kernel() { return CONVKIT_SELECT(exp); }

// Elements per thread-pool chunk: a LeNet-sized activation (tens of thousands of floats) stays on
// one thread, where waking the pool would cost more than the work.
int64_t grain(Activation f) { return f == Activation::relu ? int64_t{1} << 17 : int64_t{1} << 15; }

// Rows per chunk so that a chunk holds at least ~32K elements.
int64_t row_grain(int64_t K) { return std::max<int64_t>(1, (int64_t{1} << 15) / K); }

constexpr int64_t kBlock = 256;  // stack scratch for exp() of a row, in floats
constexpr int kLanes = 8;        // independent maxima: the loop runs at throughput, not latency

// max_k x_k (NaNs are skipped; they reach the result through exp).
float row_max(int64_t K, const float* x) {
  float m[kLanes];
  for (float& v : m) v = -std::numeric_limits<float>::infinity();
  int64_t k = 0;
  for (; k + kLanes <= K; k += kLanes) {
    for (int j = 0; j < kLanes; ++j) m[j] = x[k + j] > m[j] ? x[k + j] : m[j];
  }
  for (; k < K; ++k) m[0] = x[k] > m[0] ? x[k] : m[0];
  for (int j = 1; j < kLanes; ++j) m[0] = m[j] > m[0] ? m[j] : m[0];
  return m[0];
}

}  // namespace

void activation_forward(Activation f, int64_t n, const float* x, float* y) {
  UnaryKernel kernel = forward_kernel(f);
  parallel_for(n, grain(f), [&](int64_t i0, int64_t i1) { kernel(i1 - i0, x + i0, y + i0); });
}

void activation_backward(Activation f, int64_t n, const float* xy, const float* dy, float* dx) {
  BinaryKernel kernel = backward_kernel(f);
  parallel_for(n, grain(f), [&](int64_t i0, int64_t i1) { kernel(i1 - i0, xy + i0, dy + i0, dx + i0); });
}

// m = max_k x_k, s = sum_k exp(x_k - m); softmax: y_k = scale * exp(x_k - m) / s,
// log-softmax: y_k = x_k - m - log s. Returns m + log s.
double softmax_row(bool log, int64_t K, const float* x, float scale, float* y) {
  ExpKernel vexp = exp_kernel();
  const float m = row_max(K, x);
  double s = 0.0;
  float tmp[kBlock];
  for (int64_t k0 = 0; k0 < K; k0 += kBlock) {
    int64_t len = std::min(kBlock, K - k0);
    float* e = log ? tmp : y + k0;
    vexp(len, x + k0, -m, e);
    s += sum_f64(len, e);
  }
  double lse = static_cast<double>(m) + std::log(s);
  if (log) {
    for (int64_t k = 0; k < K; ++k) y[k] = static_cast<float>(static_cast<double>(x[k]) - lse);
  } else {
    float r = static_cast<float>(scale / s);
    for (int64_t k = 0; k < K; ++k) y[k] *= r;
  }
  return lse;
}

void softmax_forward(bool log, int64_t N, int64_t K, const float* x, float* y) {
  parallel_for(N, row_grain(K), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) softmax_row(log, K, x + r * K, 1.0f, y + r * K);
  });
}

// softmax: dx_k = y_k (dy_k - sum_j dy_j y_j); log-softmax: dx_k = dy_k - exp(y_k) sum_j dy_j.
void softmax_backward(bool log, int64_t N, int64_t K, const float* y, const float* dy, float* dx) {
  ExpKernel vexp = exp_kernel();
  parallel_for(N, row_grain(K), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* yr = y + r * K;
      const float* g = dy + r * K;
      float* d = dx + r * K;
      float sf = static_cast<float>(log ? sum_f64(K, g) : dot_f64(K, g, yr));
      if (!log) {
        for (int64_t k = 0; k < K; ++k) d[k] = yr[k] * (g[k] - sf);
        continue;
      }
      float tmp[kBlock];
      for (int64_t k0 = 0; k0 < K; k0 += kBlock) {
        int64_t len = std::min(kBlock, K - k0);
        vexp(len, yr + k0, 0.0f, tmp);
        for (int64_t k = 0; k < len; ++k) d[k0 + k] = g[k0 + k] - tmp[k] * sf;
      }
    }
  });
}

}  // namespace convkit
