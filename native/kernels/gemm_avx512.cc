// AVX-512 sgemm microkernel, 14 x 32 tile: 28 zmm accumulators, 2 zmm for the B row, A
// broadcast from memory into each FMA. Only intrinsics and plain loops here: shared inline
// code compiled with these flags could be picked by the linker for machines without AVX-512.
#include <immintrin.h>

#include "kernels/gemm.h"

namespace convkit {

// C[i, j] = alpha * sum_k Ap[k*14 + i] * Bp[k*32 + j] + beta * C[i, j], i < m, j < n.
void sgemm_ukernel_avx512(int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha,
                          float beta, int64_t m, int64_t n) {
  constexpr int MR = kSgemmMrAvx512;
  __m512 acc[MR][2];
#pragma GCC unroll 14
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    const __m512 b0 = _mm512_load_ps(Bp), b1 = _mm512_load_ps(Bp + 16);
#pragma GCC unroll 14
    for (int i = 0; i < MR; ++i) {
      const __m512 a = _mm512_set1_ps(Ap[i]);
      acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
    }
    Ap += MR;
    Bp += 32;
  }
  // Masks select the first n columns; rows beyond m are not stored.
  const __mmask16 m0 = n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1);
  const __mmask16 m1 = n >= 32 ? 0xFFFF : n <= 16 ? 0 : static_cast<__mmask16>((1u << (n - 16)) - 1);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
  for (int i = 0; i < MR; ++i) {
    if (i < m) {
      float* c = C + i * ldc;
      __m512 r0 = _mm512_mul_ps(va, acc[i][0]), r1 = _mm512_mul_ps(va, acc[i][1]);
      if (beta != 0.0f) {
        r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), r0);
        r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), r1);
      }
      _mm512_mask_storeu_ps(c, m0, r0);
      _mm512_mask_storeu_ps(c + 16, m1, r1);
    }
  }
}

}  // namespace convkit
