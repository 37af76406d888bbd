// AVX2+FMA sgemm microkernel, 6 x 16 tile: 12 ymm accumulators, 2 ymm for the B row, one
// broadcast of A per row. Only intrinsics and plain loops here: shared inline code compiled
// with these flags could be picked by the linker for machines without AVX2 (the template is
// in an anonymous namespace, so it stays in this file).
#include <immintrin.h>

#include "kernels/gemm.h"

namespace convkit {
namespace {

constexpr int MR = kSgemmMrAvx2, NR = kSgemmNrAvx2;

// C[i, j] = alpha * sum_k Ap[k*MR + i] * Bp[k*ldbp + j] + beta * C[i, j] for i < m <= R,
// j < n <= 16: the tile's first R rows.
template <int R>
void tile(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc, float alpha, float beta,
          int64_t m, int64_t n) {
  __m256 acc[R][2];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    const __m256 b0 = _mm256_loadu_ps(Bp), b1 = _mm256_loadu_ps(Bp + 8);
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      const __m256 a = _mm256_broadcast_ss(Ap + i);
      acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);
    }
    Ap += MR;
    Bp += ldbp;
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (n == NR) {
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      if (i < m) {
        float* c = C + i * ldc;
        __m256 r0 = _mm256_mul_ps(va, acc[i][0]), r1 = _mm256_mul_ps(va, acc[i][1]);
        if (beta != 0.0f) {
          r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), r0);
          r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), r1);
        }
        _mm256_storeu_ps(c, r0);
        _mm256_storeu_ps(c + 8, r1);
      }
    }
    return;
  }
  // Partial columns: the rows go through a buffer, only n columns of each reach C.
  alignas(32) float row[NR];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) {
    if (i < m) {
      float* c = C + i * ldc;
      _mm256_store_ps(row, _mm256_mul_ps(va, acc[i][0]));
      _mm256_store_ps(row + 8, _mm256_mul_ps(va, acc[i][1]));
      for (int64_t j = 0; j < n; ++j) {
        const __m128 r = _mm_set_ss(row[j]);
        c[j] = _mm_cvtss_f32(beta == 0.0f ? r : _mm_fmadd_ss(_mm_set_ss(beta), _mm_set_ss(c[j]), r));
      }
    }
  }
}

}  // namespace

void sgemm_ukernel_avx2(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc, float alpha,
                        float beta, int64_t m, int64_t n) {
  if (m > 3) return tile<6>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n);
  return tile<3>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n);
}

}  // namespace convkit
