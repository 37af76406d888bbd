// AVX2 + FMA microkernels for activation.cc (same algorithms as activation_avx512.cc). Only
// intrinsics and static helpers here: shared inline code compiled with these flags could be
// picked by the linker for machines without AVX2.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/activation.h"
#include "kernels/lanes_avx2.h"

namespace convkit {
namespace {

typedef __m256 (*VecUnary)(__m256);
typedef __m256 (*VecBinary)(__m256, __m256);

// exp(x) = 2^n * e^r, n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (ln 2 split in two
// for an exact product), e^r by the Cephes expf polynomial (~1 ulp). 2^n is applied as two
// factors 2^(n/2) so results in the subnormal range round once and x > 88.73 overflows to +inf.
// x is clamped to [-104, 89] first (beyond both ends the result is 0 or +inf); NaN stays NaN.
__attribute__((always_inline)) inline __m256 exp_ps(__m256 x) {
  x = _mm256_max_ps(_mm256_set1_ps(-104.0f), _mm256_min_ps(_mm256_set1_ps(89.0f), x));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  __m256i ni = _mm256_cvtps_epi32(n);
  __m256i n1 = _mm256_srai_epi32(ni, 1);
  __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

__attribute__((always_inline)) inline __m256 relu_ps(__m256 x) { return _mm256_max_ps(x, _mm256_setzero_ps()); }

// 1 / (1 + e^-x): e^-x = +inf for x < -88.7 gives 0, e^-x = 0 gives 1.
__attribute__((always_inline)) inline __m256 sigmoid_ps(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

// Cephes tanhf: x + x^3 P(x^2) for |x| < 0.625 (no cancellation near 0), else
// sign(x) (1 - 2 / (e^2|x| + 1)), which tends to +-1 as e^2|x| overflows.
__attribute__((always_inline)) inline __m256 tanh_ps(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 a = _mm256_andnot_ps(sign, x);
  __m256 e = exp_ps(_mm256_add_ps(a, a));
  __m256 big = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  big = _mm256_or_ps(big, _mm256_and_ps(sign, x));
  __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  return _mm256_blendv_ps(big, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

__attribute__((always_inline)) inline __m256 relu_grad_ps(__m256 x, __m256 dy) {
  return _mm256_and_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ), dy);
}
__attribute__((always_inline)) inline __m256 sigmoid_grad_ps(__m256 y, __m256 dy) {
  return _mm256_mul_ps(_mm256_mul_ps(dy, y), _mm256_sub_ps(_mm256_set1_ps(1.0f), y));
}
__attribute__((always_inline)) inline __m256 tanh_grad_ps(__m256 y, __m256 dy) {
  return _mm256_mul_ps(dy, _mm256_fnmadd_ps(y, y, _mm256_set1_ps(1.0f)));
}
__attribute__((always_inline)) inline __m256 mul_ps(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }

// y = f(x) over n floats; the tail runs through the same vector code under a lane mask.
__attribute__((always_inline)) inline void map_unary(int64_t n, const float* x, float* y, VecUnary f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    __m256i m = first_lanes(n - i);
    _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));
  }
}

__attribute__((always_inline)) inline void map_binary(int64_t n, const float* a, const float* b, float* y,
                                                      VecBinary f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  if (i < n) {
    __m256i m = first_lanes(n - i);
    _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m)));
  }
}

}  // namespace

void relu_avx2(int64_t n, const float* x, float* y) { map_unary(n, x, y, relu_ps); }
void sigmoid_avx2(int64_t n, const float* x, float* y) { map_unary(n, x, y, sigmoid_ps); }
void tanh_avx2(int64_t n, const float* x, float* y) { map_unary(n, x, y, tanh_ps); }

// y = exp(x + bias)
void exp_avx2(int64_t n, const float* x, float bias, float* y) {
  const __m256 b = _mm256_set1_ps(bias);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp_ps(_mm256_add_ps(_mm256_loadu_ps(x + i), b)));
  if (i < n) {
    __m256i m = first_lanes(n - i);
    _mm256_maskstore_ps(y + i, m, exp_ps(_mm256_add_ps(_mm256_maskload_ps(x + i, m), b)));
  }
}

void relu_backward_avx2(int64_t n, const float* x, const float* dy, float* dx) { map_binary(n, x, dy, dx, relu_grad_ps); }
void sigmoid_backward_avx2(int64_t n, const float* y, const float* dy, float* dx) {
  map_binary(n, y, dy, dx, sigmoid_grad_ps);
}
void tanh_backward_avx2(int64_t n, const float* y, const float* dy, float* dx) { map_binary(n, y, dy, dx, tanh_grad_ps); }
void mul_avx2(int64_t n, const float* a, const float* b, float* y) { map_binary(n, a, b, y, mul_ps); }

}  // namespace convkit
