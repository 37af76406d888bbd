// avx2 kernels for optim.cc: 8 lanes; the tail runs the same vector code on zero-padded copies
// (masked stores are slow on AMD). Only intrinsics and internal helpers here (see the ISA-file
// rule in native/kernels).
#include <immintrin.h>

#include "kernels/optim.h"

namespace convkit {
namespace {

struct Consts {
  __m256 lr, l1, c2, keep, gamma, rest, beta2, rest2, eps, step1, rsqrt2, gscale, gclip;
};

Consts broadcast(const OptimHyper& h) {
  return {_mm256_set1_ps(h.lr),    _mm256_set1_ps(h.l1),          _mm256_set1_ps(h.c2),
          _mm256_set1_ps(h.keep),  _mm256_set1_ps(h.gamma),       _mm256_set1_ps(1.0f - h.gamma),
          _mm256_set1_ps(h.beta2), _mm256_set1_ps(1.0f - h.beta2), _mm256_set1_ps(h.eps),
          _mm256_set1_ps(h.step1), _mm256_set1_ps(h.rsqrt2),       _mm256_set1_ps(h.gscale),
          _mm256_set1_ps(h.gclip)};
}

// clamp(gscale g, −gclip, gclip) + λ1 sign(θ) + c2 θ, sign(0) = 0; a NaN g stays NaN
// (min/max return their second operand when one is NaN)
inline __m256 effective_grad(const Consts& c, __m256 theta, __m256 grad) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  __m256 nonzero = _mm256_cmp_ps(theta, _mm256_setzero_ps(), _CMP_NEQ_OQ);
  __m256 l1_sign = _mm256_and_ps(nonzero, _mm256_or_ps(_mm256_and_ps(theta, sign_bit), c.l1));
  __m256 clipped = _mm256_min_ps(c.gclip, _mm256_max_ps(_mm256_xor_ps(c.gclip, sign_bit), _mm256_mul_ps(c.gscale, grad)));
  return _mm256_fmadd_ps(c.c2, theta, _mm256_add_ps(clipped, l1_sign));
}

// Calls block(p, i) for every 8 elements of the `count` arrays p[0..count) (p[1], the gradient,
// is only read); the last n % 8 go through zero-padded copies.
template <typename Block>
void run(int64_t n, float* const* p, int count, Block block) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) block(p, i);
  if (i == n) return;
  float buf[5][8] = {};
  float* q[5];
  for (int a = 0; a < count; ++a) {
    q[a] = buf[a];
    for (int64_t j = i; j < n; ++j) buf[a][j - i] = p[a][j];
  }
  block(q, 0);
  for (int a = 0; a < count; ++a) {
    if (a == 1) continue;
    for (int64_t j = i; j < n; ++j) p[a][j] = buf[a][j - i];
  }
}

}  // namespace

// θ ← keep θ − lr g (plain); v ← γ v + lr g, θ ← keep θ − v (momentum);
// v ← γ v + lr g, θ ← keep θ − (γ v + lr g) (Nesterov)
void sgd_avx2(int64_t n, const OptimHyper& h, int32_t mode, float* theta, const float* grad, float* v) {
  const Consts c = broadcast(h);
  float* p[3] = {theta, const_cast<float*>(grad), v};
  run(n, p, mode == static_cast<int32_t>(SgdMode::plain) ? 2 : 3, [&](float* const* q, int64_t i) {
    __m256 t = _mm256_loadu_ps(q[0] + i);
    __m256 step = _mm256_mul_ps(c.lr, effective_grad(c, t, _mm256_loadu_ps(q[1] + i)));
    if (mode != static_cast<int32_t>(SgdMode::plain)) {
      __m256 vi = _mm256_fmadd_ps(c.gamma, _mm256_loadu_ps(q[2] + i), step);
      _mm256_storeu_ps(q[2] + i, vi);
      step = mode == static_cast<int32_t>(SgdMode::momentum) ? vi : _mm256_fmadd_ps(c.gamma, vi, step);
    }
    _mm256_storeu_ps(q[0] + i, _mm256_fmsub_ps(c.keep, t, step));
  });
}

// G ← G + g²; θ ← keep θ − lr g / √(G + ε)
void adagrad_avx2(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* G) {
  const Consts c = broadcast(h);
  float* p[3] = {theta, const_cast<float*>(grad), G};
  run(n, p, 3, [&](float* const* q, int64_t i) {
    __m256 t = _mm256_loadu_ps(q[0] + i);
    __m256 g = effective_grad(c, t, _mm256_loadu_ps(q[1] + i));
    __m256 Gi = _mm256_fmadd_ps(g, g, _mm256_loadu_ps(q[2] + i));
    _mm256_storeu_ps(q[2] + i, Gi);
    __m256 step = _mm256_div_ps(_mm256_mul_ps(c.lr, g), _mm256_sqrt_ps(_mm256_add_ps(Gi, c.eps)));
    _mm256_storeu_ps(q[0] + i, _mm256_fmsub_ps(c.keep, t, step));
  });
}

// E ← γ E + (1 − γ) g²; θ ← keep θ − lr g / √(E + ε)
void rmsprop_avx2(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* E) {
  const Consts c = broadcast(h);
  float* p[3] = {theta, const_cast<float*>(grad), E};
  run(n, p, 3, [&](float* const* q, int64_t i) {
    __m256 t = _mm256_loadu_ps(q[0] + i);
    __m256 g = effective_grad(c, t, _mm256_loadu_ps(q[1] + i));
    __m256 Ei = _mm256_fmadd_ps(c.gamma, _mm256_loadu_ps(q[2] + i), _mm256_mul_ps(c.rest, _mm256_mul_ps(g, g)));
    _mm256_storeu_ps(q[2] + i, Ei);
    __m256 step = _mm256_div_ps(_mm256_mul_ps(c.lr, g), _mm256_sqrt_ps(_mm256_add_ps(Ei, c.eps)));
    _mm256_storeu_ps(q[0] + i, _mm256_fmsub_ps(c.keep, t, step));
  });
}

// Eg ← γ Eg + (1 − γ) g²; d = √(Ed + ε) / √(Eg + ε) g; Ed ← γ Ed + (1 − γ) d²; θ ← keep θ − lr d
void adadelta_avx2(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* Eg, float* Ed) {
  const Consts c = broadcast(h);
  float* p[4] = {theta, const_cast<float*>(grad), Eg, Ed};
  run(n, p, 4, [&](float* const* q, int64_t i) {
    __m256 t = _mm256_loadu_ps(q[0] + i);
    __m256 g = effective_grad(c, t, _mm256_loadu_ps(q[1] + i));
    __m256 Egi = _mm256_fmadd_ps(c.gamma, _mm256_loadu_ps(q[2] + i), _mm256_mul_ps(c.rest, _mm256_mul_ps(g, g)));
    __m256 Edi = _mm256_loadu_ps(q[3] + i);
    __m256 ratio = _mm256_div_ps(_mm256_sqrt_ps(_mm256_add_ps(Edi, c.eps)), _mm256_sqrt_ps(_mm256_add_ps(Egi, c.eps)));
    __m256 d = _mm256_mul_ps(ratio, g);
    _mm256_storeu_ps(q[2] + i, Egi);
    _mm256_storeu_ps(q[3] + i, _mm256_fmadd_ps(c.gamma, Edi, _mm256_mul_ps(c.rest, _mm256_mul_ps(d, d))));
    _mm256_storeu_ps(q[0] + i, _mm256_fmsub_ps(c.keep, t, _mm256_mul_ps(c.lr, d)));
  });
}

// m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; θ ← keep θ − step1 m / (√v rsqrt2 + ε)
void adam_avx2(int64_t n, const OptimHyper& h, float* theta, const float* grad, float* m, float* v) {
  const Consts c = broadcast(h);
  float* p[4] = {theta, const_cast<float*>(grad), m, v};
  run(n, p, 4, [&](float* const* q, int64_t i) {
    __m256 t = _mm256_loadu_ps(q[0] + i);
    __m256 g = effective_grad(c, t, _mm256_loadu_ps(q[1] + i));
    __m256 mi = _mm256_fmadd_ps(c.gamma, _mm256_loadu_ps(q[2] + i), _mm256_mul_ps(c.rest, g));
    __m256 vi = _mm256_fmadd_ps(c.beta2, _mm256_loadu_ps(q[3] + i), _mm256_mul_ps(c.rest2, _mm256_mul_ps(g, g)));
    _mm256_storeu_ps(q[2] + i, mi);
    _mm256_storeu_ps(q[3] + i, vi);
    __m256 denom = _mm256_fmadd_ps(_mm256_sqrt_ps(vi), c.rsqrt2, c.eps);
    __m256 step = _mm256_div_ps(_mm256_mul_ps(c.step1, mi), denom);
    _mm256_storeu_ps(q[0] + i, _mm256_fmsub_ps(c.keep, t, step));
  });
}

// abs_sq = (Σ|x|, Σx²) in double: 2 x 4 lanes per accumulator, lanes summed in a fixed order.
void sum_abs_sq_avx2(int64_t n, const float* x, double* abs_sq) {
  const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFLL));
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd(), s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256d lo = _mm256_cvtps_pd(_mm_loadu_ps(x + i)), hi = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
    a0 = _mm256_add_pd(a0, _mm256_and_pd(lo, abs_mask));
    a1 = _mm256_add_pd(a1, _mm256_and_pd(hi, abs_mask));
    s0 = _mm256_fmadd_pd(lo, lo, s0);
    s1 = _mm256_fmadd_pd(hi, hi, s1);
  }
  double lanes[2][4];
  _mm256_storeu_pd(lanes[0], _mm256_add_pd(a0, a1));
  _mm256_storeu_pd(lanes[1], _mm256_add_pd(s0, s1));
  for (int j = 0; j < 2; ++j) abs_sq[j] = (lanes[j][0] + lanes[j][1]) + (lanes[j][2] + lanes[j][3]);
  for (; i < n; ++i) {
    double xi = x[i];
    abs_sq[0] += xi < 0 ? -xi : xi;
    abs_sq[1] += xi * xi;
  }
}

}  // namespace convkit
