// AVX2+FMA sgemm microkernel, 6 x 16 tile: 12 ymm accumulators, 2 ymm for the B row, one
// broadcast of A per row. Only intrinsics and plain loops here: shared inline code compiled
// with these flags could be picked by the linker for machines without AVX2.
#include <immintrin.h>

#include "kernels/gemm.h"

namespace convkit {

// C[i, j] = alpha * sum_k Ap[k*6 + i] * Bp[k*16 + j] + beta * C[i, j], i < m, j < n.
void sgemm_ukernel_avx2(int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha, float beta,
                        int64_t m, int64_t n) {
  constexpr int MR = kSgemmMrAvx2;
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    const __m256 b0 = _mm256_load_ps(Bp), b1 = _mm256_load_ps(Bp + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 a = _mm256_broadcast_ss(Ap + i);
      acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);
    }
    Ap += MR;
    Bp += 16;
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (m == MR && n == 16) {
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      float* c = C + i * ldc;
      __m256 r0 = _mm256_mul_ps(va, acc[i][0]), r1 = _mm256_mul_ps(va, acc[i][1]);
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), r1);
      }
      _mm256_storeu_ps(c, r0);
      _mm256_storeu_ps(c + 8, r1);
    }
    return;
  }
  // Edge tile: the full tile goes through a buffer, only m x n of it reaches C.
  alignas(32) float tile[MR * 16];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    _mm256_store_ps(tile + i * 16, _mm256_mul_ps(va, acc[i][0]));
    _mm256_store_ps(tile + i * 16 + 8, _mm256_mul_ps(va, acc[i][1]));
  }
  for (int64_t i = 0; i < m; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < n; ++j) c[j] = tile[i * 16 + j];
    } else {
      for (int64_t j = 0; j < n; ++j) c[j] = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(beta), _mm_set_ss(c[j]), _mm_set_ss(tile[i * 16 + j])));
    }
  }
}

}  // namespace convkit
