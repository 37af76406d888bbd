// avx512 kernels for optim.cc: 16 lanes, the tail handled with masked loads and stores. Only
// intrinsics and static helpers here (see the ISA-file rule in native/kernels).
#include <immintrin.h>

#include "kernels/lanes_avx512.h"
#include "kernels/optim.h"

// GCC 12's avx512 headers seed some intrinsics with a self-initialised "undefined" vector,
// which -Wuninitialized reports at every use.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace convkit {
namespace {

// Calls block(i, mask) for every 16 elements of [0, n), the last ones with a partial mask.
template <typename Block>
void run(int64_t n, Block block) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) block(i, first_lanes(16));
  if (i < n) block(i, first_lanes(n - i));
}

struct Consts {
  __m512 lr, l1, c2, keep, gamma, rest, beta2, rest2, eps, step1, rsqrt2, gscale, gclip;
};

Consts broadcast(const OptimHyper& h) {
  return {_mm512_set1_ps(h.lr),     _mm512_set1_ps(h.l1),          _mm512_set1_ps(h.c2),
          _mm512_set1_ps(h.keep),   _mm512_set1_ps(h.gamma),       _mm512_set1_ps(1.0f - h.gamma),
          _mm512_set1_ps(h.beta2),  _mm512_set1_ps(1.0f - h.beta2), _mm512_set1_ps(h.eps),
          _mm512_set1_ps(h.step1),  _mm512_set1_ps(h.rsqrt2),      _mm512_set1_ps(h.gscale),
          _mm512_set1_ps(h.gclip)};
}

// clamp(gscale g, −gclip, gclip) + λ1 sign(θ) + c2 θ, sign(0) = 0; a NaN g stays NaN
// (min/max return their second operand when one is NaN)
inline __m512 effective_grad(const Consts& c, __m512 theta, __m512 grad) {
  const __m512 sign_bit = _mm512_set1_ps(-0.0f);
  __mmask16 nonzero = _mm512_cmp_ps_mask(theta, _mm512_setzero_ps(), _CMP_NEQ_OQ);
  __m512 l1_sign = _mm512_maskz_mov_ps(nonzero, _mm512_or_ps(_mm512_and_ps(theta, sign_bit), c.l1));
  __m512 clipped = _mm512_min_ps(c.gclip, _mm512_max_ps(_mm512_xor_ps(c.gclip, sign_bit), _mm512_mul_ps(c.gscale, grad)));
  return _mm512_fmadd_ps(c.c2, theta, _mm512_add_ps(clipped, l1_sign));
}

}  // namespace

// θ ← keep θ − lr g (plain); v ← γ v + lr g, θ ← keep θ − v (momentum);
// v ← γ v + lr g, θ ← keep θ − (γ v + lr g) (Nesterov)
void sgd_avx512(int64_t n, const OptimHyper& h, int32_t mode, float* theta, const float* grad, float* v) {
  const Consts c = broadcast(h);
  run(n, [&](int64_t i, __mmask16 k) {
    __m512 t = load_lanes(theta + i, k);
    __m512 step = _mm512_mul_ps(c.lr, effective_grad(c, t, load_lanes(grad + i, k)));
    if (mode != static_cast<int32_t>(SgdMode::plain)) {
      __m512 vi = _mm512_fmadd_ps(c.gamma, load_lanes(v + i, k), step);
      store_lanes(v + i, k, vi);
      step = mode == static_cast<int32_t>(SgdMode::momentum) ? vi : _mm512_fmadd_ps(c.gamma, vi, step);
    }
    store_lanes(theta + i, k, _mm512_fmsub_ps(c.keep, t, step));
  });
}

// G ← G + g²; θ ← keep θ − lr g / √(G + ε)
void adagrad_avx512(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* G) {
  const Consts c = broadcast(h);
  run(n, [&](int64_t i, __mmask16 k) {
    __m512 t = load_lanes(theta + i, k);
    __m512 g = effective_grad(c, t, load_lanes(grad + i, k));
    __m512 Gi = _mm512_fmadd_ps(g, g, load_lanes(G + i, k));
    store_lanes(G + i, k, Gi);
    __m512 step = _mm512_div_ps(_mm512_mul_ps(c.lr, g), _mm512_sqrt_ps(_mm512_add_ps(Gi, c.eps)));
    store_lanes(theta + i, k, _mm512_fmsub_ps(c.keep, t, step));
  });
}

// E ← γ E + (1 − γ) g²; θ ← keep θ − lr g / √(E + ε)
void rmsprop_avx512(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* E) {
  const Consts c = broadcast(h);
  run(n, [&](int64_t i, __mmask16 k) {
    __m512 t = load_lanes(theta + i, k);
    __m512 g = effective_grad(c, t, load_lanes(grad + i, k));
    __m512 Ei = _mm512_fmadd_ps(c.gamma, load_lanes(E + i, k), _mm512_mul_ps(c.rest, _mm512_mul_ps(g, g)));
    store_lanes(E + i, k, Ei);
    __m512 step = _mm512_div_ps(_mm512_mul_ps(c.lr, g), _mm512_sqrt_ps(_mm512_add_ps(Ei, c.eps)));
    store_lanes(theta + i, k, _mm512_fmsub_ps(c.keep, t, step));
  });
}

// Eg ← γ Eg + (1 − γ) g²; d = √(Ed + ε) / √(Eg + ε) g; Ed ← γ Ed + (1 − γ) d²; θ ← keep θ − lr d
void adadelta_avx512(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* Eg, float* Ed) {
  const Consts c = broadcast(h);
  run(n, [&](int64_t i, __mmask16 k) {
    __m512 t = load_lanes(theta + i, k);
    __m512 g = effective_grad(c, t, load_lanes(grad + i, k));
    __m512 Egi = _mm512_fmadd_ps(c.gamma, load_lanes(Eg + i, k), _mm512_mul_ps(c.rest, _mm512_mul_ps(g, g)));
    __m512 Edi = load_lanes(Ed + i, k);
    __m512 ratio = _mm512_div_ps(_mm512_sqrt_ps(_mm512_add_ps(Edi, c.eps)), _mm512_sqrt_ps(_mm512_add_ps(Egi, c.eps)));
    __m512 d = _mm512_mul_ps(ratio, g);
    store_lanes(Eg + i, k, Egi);
    store_lanes(Ed + i, k, _mm512_fmadd_ps(c.gamma, Edi, _mm512_mul_ps(c.rest, _mm512_mul_ps(d, d))));
    store_lanes(theta + i, k, _mm512_fmsub_ps(c.keep, t, _mm512_mul_ps(c.lr, d)));
  });
}

// m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; θ ← keep θ − step1 m / (√v rsqrt2 + ε)
void adam_avx512(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* m, float* v) {
  const Consts c = broadcast(h);
  run(n, [&](int64_t i, __mmask16 k) {
    __m512 t = load_lanes(theta + i, k);
    __m512 g = effective_grad(c, t, load_lanes(grad + i, k));
    __m512 mi = _mm512_fmadd_ps(c.gamma, load_lanes(m + i, k), _mm512_mul_ps(c.rest, g));
    __m512 vi = _mm512_fmadd_ps(c.beta2, load_lanes(v + i, k), _mm512_mul_ps(c.rest2, _mm512_mul_ps(g, g)));
    store_lanes(m + i, k, mi);
    store_lanes(v + i, k, vi);
    __m512 denom = _mm512_fmadd_ps(_mm512_sqrt_ps(vi), c.rsqrt2, c.eps);
    __m512 step = _mm512_div_ps(_mm512_mul_ps(c.step1, mi), denom);
    store_lanes(theta + i, k, _mm512_fmsub_ps(c.keep, t, step));
  });
}

// abs_sq = (Σ|x|, Σx²) in double: 2 x 8 lanes per accumulator, lanes summed in a fixed order.
void sum_abs_sq_avx512(int64_t n, const float* x, double* abs_sq) {
  const __m512d abs_mask = _mm512_castsi512_pd(_mm512_set1_epi64(0x7FFFFFFFFFFFFFFFLL));
  __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd(), s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
  run(n, [&](int64_t i, __mmask16 k) {
    __m512 xi = load_lanes(x + i, k);
    __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(xi));
    __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(xi), 1)));
    a0 = _mm512_add_pd(a0, _mm512_and_pd(lo, abs_mask));
    a1 = _mm512_add_pd(a1, _mm512_and_pd(hi, abs_mask));
    s0 = _mm512_fmadd_pd(lo, lo, s0);
    s1 = _mm512_fmadd_pd(hi, hi, s1);
  });
  abs_sq[0] = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
  abs_sq[1] = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
}

}  // namespace convkit
