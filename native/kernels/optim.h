// Fused optimizer steps: each reads a parameter, its gradient and its state once and writes
// them once, with the regularization gradient added on the fly.
#pragma once
#include <cstddef>
#include <cstdint>

namespace convkit {

// Hyper-parameters of one step, already combined by the caller (see each kernel for which it
// reads). Every kernel first forms the effective gradient
//   g = grad + l1 sign(θ) + c2 θ        (c2 = 2 λ2 + coupled weight decay)
// and, for AdamW, decays θ ← keep θ (keep = 1 − lr wd; 1 for the others).
struct OptimHyper {
  float lr;        // α or η
  float l1;        // L1 coefficient λ1
  float c2;        // coefficient of θ in the gradient
  float keep;      // decoupled decay factor applied to θ before the update
  float gamma;     // momentum γ, RMSprop/AdaDelta decay, Adam β1
  float beta2;     // Adam β2
  float eps;       // ε
  float step1;     // Adam: lr / (1 − β1ᵗ)
  float rsqrt2;    // Adam: 1 / √(1 − β2ᵗ)
  float gscale;    // gradient scale (global-norm clipping)
  float gclip;     // gradient clip value
};

// SGD family: mode 0 = plain, 1 = momentum, 2 = Nesterov (v unused in mode 0).
enum class SgdMode : int32_t { plain = 0, momentum = 1, nesterov = 2 };

// Per-ISA microkernels over elements [0, n); the drivers below split a tensor over threads.
#define CONVKIT_OPTIM_KERNELS(isa)                                                                          \
  void sgd_##isa(int64_t n, const OptimHyper& h, int32_t mode, float* theta, const float* grad, float* v); \
  void adagrad_##isa(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* G);          \
  void rmsprop_##isa(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* E);          \
  void adadelta_##isa(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* Eg,          \
                      float* Ed);                                                                           \
  void adam_##isa(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* m, float* v);    \
  void sum_abs_sq_##isa(int64_t n, const float* x, double* abs_sq);

CONVKIT_OPTIM_KERNELS(generic)
CONVKIT_OPTIM_KERNELS(avx2)
CONVKIT_OPTIM_KERNELS(avx512)
#undef CONVKIT_OPTIM_KERNELS

// Threaded drivers (optim.cc), same arguments as the microkernels.
void sgd_step(int64_t n, const OptimHyper& h, SgdMode mode, float* theta, const float* grad, float* v);
void adagrad_step(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* G);
void rmsprop_step(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* E);
void adadelta_step(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* Eg, float* Ed);
void adam_step(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* m, float* v);

// abs_sq[0] = Σ|x|, abs_sq[1] = Σ x², in double over fixed blocks summed in order: the same
// bits for any thread count. A non-finite x makes abs_sq[1] non-finite.
void sum_abs_sq(int64_t n, const float* x, double* abs_sq);
// x ← s x
void scale_inplace(int64_t n, float s, float* x);
// x ← min(max(x, −c), c)
void clamp_inplace(int64_t n, float c, float* x);

}  // namespace convkit
