#include "kernels/optim.h"

#include <cmath>
#include <vector>

#include "runtime/cpu.h"
#include "runtime/parallel.h"

namespace convkit {
namespace {

// Elements per thread chunk: big enough that a chunk streams far more than the pool's wake-up
// costs; a tensor below this runs on the calling thread.
constexpr int64_t kGrain = 32768;
// Reduction block: partial sums per block, added in block order, whatever the thread count.
constexpr int64_t kBlock = 8192;

template <typename F>
F pick(F generic, F avx2, F avx512) {
#if defined(CONVKIT_X86_KERNELS)
  return select_isa<F>(generic, avx2, avx512);
#else
  (void)avx2;
  (void)avx512;
  return generic;
#endif
}

// Clipped, regularized gradient: clamp(gscale g, −gclip, gclip) + λ1 sign(θ) + c2 θ (sign(0) = 0).
// Branch-free so that the loops vectorise; a NaN g passes through, as in the SIMD kernels.
inline float effective_grad(const OptimHyper& h, float theta, float g) {
  float sign = static_cast<float>(theta > 0.0f) - static_cast<float>(theta < 0.0f);
  float scaled = h.gscale * g;
  scaled = scaled < -h.gclip ? -h.gclip : scaled;
  scaled = scaled > h.gclip ? h.gclip : scaled;
  return scaled + h.l1 * sign + h.c2 * theta;
}

}  // namespace

// θ ← keep θ − lr g (plain); v ← γ v + lr g, θ ← keep θ − v (momentum);
// v ← γ v + lr g, θ ← keep θ − (γ v + lr g) (Nesterov, θ stored at the look-ahead point).
void sgd_generic(int64_t n, const OptimHyper& hyper, int32_t mode, float* __restrict theta, const float* __restrict grad,
                 float* __restrict v) {
  const OptimHyper h = hyper;  // a local copy: stores through float* cannot alias it
  for (int64_t i = 0; i < n; ++i) {
    float g = effective_grad(h, theta[i], grad[i]);
    float step = h.lr * g;
    if (mode != static_cast<int32_t>(SgdMode::plain)) {
      float vi = h.gamma * v[i] + step;
      v[i] = vi;
      step = mode == static_cast<int32_t>(SgdMode::momentum) ? vi : h.gamma * vi + step;
    }
    theta[i] = h.keep * theta[i] - step;
  }
}

// G ← G + g²; θ ← keep θ − lr g / √(G + ε)
void adagrad_generic(int64_t n, const OptimHyper& hyper, float* __restrict theta, const float* __restrict grad, float* __restrict G) {
  const OptimHyper h = hyper;
  for (int64_t i = 0; i < n; ++i) {
    float g = effective_grad(h, theta[i], grad[i]);
    float Gi = G[i] + g * g;
    G[i] = Gi;
    theta[i] = h.keep * theta[i] - h.lr * g / std::sqrt(Gi + h.eps);
  }
}

// E ← γ E + (1 − γ) g²; θ ← keep θ − lr g / √(E + ε)
void rmsprop_generic(int64_t n, const OptimHyper& hyper, float* __restrict theta, const float* __restrict grad, float* __restrict E) {
  const OptimHyper h = hyper;
  const float rest = 1.0f - h.gamma;
  for (int64_t i = 0; i < n; ++i) {
    float g = effective_grad(h, theta[i], grad[i]);
    float Ei = h.gamma * E[i] + rest * (g * g);
    E[i] = Ei;
    theta[i] = h.keep * theta[i] - h.lr * g / std::sqrt(Ei + h.eps);
  }
}

// Eg ← γ Eg + (1 − γ) g²; d = √(Ed + ε) / √(Eg + ε) g; Ed ← γ Ed + (1 − γ) d²; θ ← keep θ − lr d
void adadelta_generic(int64_t n, const OptimHyper& hyper, float* __restrict theta, const float* __restrict grad, float* __restrict Eg, float* __restrict Ed) {
  const OptimHyper h = hyper;
  const float rest = 1.0f - h.gamma;
  for (int64_t i = 0; i < n; ++i) {
    float g = effective_grad(h, theta[i], grad[i]);
    float Egi = h.gamma * Eg[i] + rest * (g * g);
    float d = std::sqrt(Ed[i] + h.eps) / std::sqrt(Egi + h.eps) * g;
    Eg[i] = Egi;
    Ed[i] = h.gamma * Ed[i] + rest * (d * d);
    theta[i] = h.keep * theta[i] - h.lr * d;
  }
}

// m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; θ ← keep θ − step1 m / (√v rsqrt2 + ε)
void adam_generic(int64_t n, const OptimHyper& hyper, float* __restrict theta, const float* __restrict grad, float* __restrict m, float* __restrict v) {
  const OptimHyper h = hyper;
  const float rest1 = 1.0f - h.gamma, rest2 = 1.0f - h.beta2;
  for (int64_t i = 0; i < n; ++i) {
    float g = effective_grad(h, theta[i], grad[i]);
    float mi = h.gamma * m[i] + rest1 * g;
    float vi = h.beta2 * v[i] + rest2 * (g * g);
    m[i] = mi;
    v[i] = vi;
    theta[i] = h.keep * theta[i] - h.step1 * mi / (std::sqrt(vi) * h.rsqrt2 + h.eps);
  }
}

// abs_sq = (Σ|x|, Σx²) in double, four interleaved accumulators.
void sum_abs_sq_generic(int64_t n, const float* x, double* abs_sq) {
  double a[4] = {0, 0, 0, 0}, s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int j = 0; j < 4; ++j) {
      double xi = x[i + j];
      a[j] += std::fabs(xi);
      s[j] += xi * xi;
    }
  }
  for (; i < n; ++i) {
    double xi = x[i];
    a[0] += std::fabs(xi);
    s[0] += xi * xi;
  }
  abs_sq[0] = (a[0] + a[1]) + (a[2] + a[3]);
  abs_sq[1] = (s[0] + s[1]) + (s[2] + s[3]);
}

void sgd_step(int64_t n, const OptimHyper& h, SgdMode mode, float* theta, const float* grad, float* v) {
  auto kernel = pick(sgd_generic, sgd_avx2, sgd_avx512);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    kernel(e - b, h, static_cast<int32_t>(mode), theta + b, grad + b, v ? v + b : nullptr);
  });
}

void adagrad_step(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* G) {
  auto kernel = pick(adagrad_generic, adagrad_avx2, adagrad_avx512);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) { kernel(e - b, h, theta + b, grad + b, G + b); });
}

void rmsprop_step(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* E) {
  auto kernel = pick(rmsprop_generic, rmsprop_avx2, rmsprop_avx512);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) { kernel(e - b, h, theta + b, grad + b, E + b); });
}

void adadelta_step(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* Eg, float* Ed) {
  auto kernel = pick(adadelta_generic, adadelta_avx2, adadelta_avx512);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) { kernel(e - b, h, theta + b, grad + b, Eg + b, Ed + b); });
}

void adam_step(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* m, float* v) {
  auto kernel = pick(adam_generic, adam_avx2, adam_avx512);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) { kernel(e - b, h, theta + b, grad + b, m + b, v + b); });
}

void sum_abs_sq(int64_t n, const float* x, double* abs_sq) {
  auto kernel = pick(sum_abs_sq_generic, sum_abs_sq_avx2, sum_abs_sq_avx512);
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(2 * blocks);
  parallel_for(blocks, kGrain / kBlock, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      int64_t begin = b * kBlock, end = begin + kBlock < n ? begin + kBlock : n;
      kernel(end - begin, x + begin, &partial[2 * b]);
    }
  });
  abs_sq[0] = abs_sq[1] = 0.0;
  for (int64_t b = 0; b < blocks; ++b) {
    abs_sq[0] += partial[2 * b];
    abs_sq[1] += partial[2 * b + 1];
  }
}

// x ← s x, split over threads; plain loops the compiler vectorises.
void scale_inplace(int64_t n, float s, float* x) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) x[i] *= s;
  });
}

// x ← min(max(x, −c), c); NaN stays NaN.
void clamp_inplace(int64_t n, float c, float* x) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) x[i] = x[i] > c ? c : (x[i] < -c ? -c : x[i]);
  });
}

}  // namespace convkit
