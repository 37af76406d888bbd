// AVX-512 microkernels for activation.cc. Only intrinsics and static helpers here: shared inline
// code compiled with these flags could be picked by the linker for machines without AVX-512.
// GCC 12 warns about its own _mm512_undefined_* inside avx512fintrin.h (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/activation.h"
#include "kernels/lanes_avx512.h"

namespace convkit {
namespace {

typedef __m512 (*VecUnary)(__m512);
typedef __m512 (*VecBinary)(__m512, __m512);

// exp(x) = 2^n * e^r, n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (ln 2 split in two
// for an exact product), e^r by the Cephes expf polynomial (~1 ulp). 2^n is applied as two
// factors 2^(n/2) so results in the subnormal range round once and x > 88.73 overflows to +inf.
// x is clamped to [-104, 89] first (beyond both ends the result is 0 or +inf); NaN stays NaN.
__attribute__((always_inline)) inline __m512 exp_ps(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_min_ps(_mm512_set1_ps(89.0f), x));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  __m512i ni = _mm512_cvtps_epi32(n);
  __m512i n1 = _mm512_srai_epi32(ni, 1);
  __m512i n2 = _mm512_sub_epi32(ni, n1);
  const __m512i bias = _mm512_set1_epi32(127);
  __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23));
  __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23));
  return _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
}

__attribute__((always_inline)) inline __m512 relu_ps(__m512 x) { return _mm512_max_ps(x, _mm512_setzero_ps()); }

// 1 / (1 + e^-x): e^-x = +inf for x < -88.7 gives 0, e^-x = 0 gives 1.
__attribute__((always_inline)) inline __m512 sigmoid_ps(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

// Cephes tanhf: x + x^3 P(x^2) for |x| < 0.625 (no cancellation near 0), else
// sign(x) (1 - 2 / (e^2|x| + 1)), which tends to +-1 as e^2|x| overflows.
__attribute__((always_inline)) inline __m512 tanh_ps(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 a = _mm512_abs_ps(x);
  __m512 e = exp_ps(_mm512_add_ps(a, a));
  __m512 big = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
  big = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(big),
      _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(static_cast<int>(0x80000000u)))));
  __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
  __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
  __mmask16 is_small = _mm512_cmp_ps_mask(a, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(is_small, big, small);
}

__attribute__((always_inline)) inline __m512 relu_grad_ps(__m512 x, __m512 dy) {
  return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), dy);
}
__attribute__((always_inline)) inline __m512 sigmoid_grad_ps(__m512 y, __m512 dy) {
  return _mm512_mul_ps(_mm512_mul_ps(dy, y), _mm512_sub_ps(_mm512_set1_ps(1.0f), y));
}
__attribute__((always_inline)) inline __m512 tanh_grad_ps(__m512 y, __m512 dy) {
  return _mm512_mul_ps(dy, _mm512_fnmadd_ps(y, y, _mm512_set1_ps(1.0f)));
}
__attribute__((always_inline)) inline __m512 mul_ps(__m512 a, __m512 b) { return _mm512_mul_ps(a, b); }

// y = f(x) over n floats; the tail runs through the same vector code under a lane mask.
__attribute__((always_inline)) inline void map_unary(int64_t n, const float* x, float* y, VecUnary f) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i)));
  if (i < n) {
    __mmask16 m = first_lanes(n - i);
    _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

__attribute__((always_inline)) inline void map_binary(int64_t n, const float* a, const float* b, float* y,
                                                      VecBinary f) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i)));
  if (i < n) {
    __mmask16 m = first_lanes(n - i);
    _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i)));
  }
}

}  // namespace

void relu_avx512(int64_t n, const float* x, float* y) { map_unary(n, x, y, relu_ps); }
void sigmoid_avx512(int64_t n, const float* x, float* y) { map_unary(n, x, y, sigmoid_ps); }
void tanh_avx512(int64_t n, const float* x, float* y) { map_unary(n, x, y, tanh_ps); }

// y = exp(x + bias)
void exp_avx512(int64_t n, const float* x, float bias, float* y) {
  const __m512 b = _mm512_set1_ps(bias);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, exp_ps(_mm512_add_ps(_mm512_loadu_ps(x + i), b)));
  if (i < n) {
    __mmask16 m = first_lanes(n - i);
    _mm512_mask_storeu_ps(y + i, m, exp_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(m, x + i), b)));
  }
}

void relu_backward_avx512(int64_t n, const float* x, const float* dy, float* dx) { map_binary(n, x, dy, dx, relu_grad_ps); }
void sigmoid_backward_avx512(int64_t n, const float* y, const float* dy, float* dx) {
  map_binary(n, y, dy, dx, sigmoid_grad_ps);
}
void tanh_backward_avx512(int64_t n, const float* y, const float* dy, float* dx) { map_binary(n, y, dy, dx, tanh_grad_ps); }
void mul_avx512(int64_t n, const float* a, const float* b, float* y) { map_binary(n, a, b, y, mul_ps); }

}  // namespace convkit
