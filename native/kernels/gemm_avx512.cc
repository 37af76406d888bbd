// AVX-512 sgemm microkernel, 14 x 32 tile: 28 zmm accumulators, 2 zmm for the B row, A
// broadcast per row. Only intrinsics and plain loops here: shared inline code compiled with
// these flags could be picked by the linker for machines without AVX-512 (the templates are
// in an anonymous namespace, so they stay in this file).
#include <immintrin.h>

#include "kernels/gemm.h"

namespace convkit {
namespace {

constexpr int MR = kSgemmMrAvx512;

// C[i, j] = alpha * sum_k Ap[k*MR + i] * Bp[k*ldbp + j] + beta * C[i, j] for i < m <= R,
// j < n <= 16 V: the tile's first R rows and V vectors of 16 columns, so that small tiles
// do not pay for the full 14 x 32.
template <int R, int V>
void tile(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc, float alpha, float beta,
          int64_t m, int64_t n) {
  __m512 acc[R][V];
#pragma GCC unroll 14
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[i][v] = _mm512_setzero_ps();
  }
  // C's rows are needed only after the k loop: fetch them now so the stores do not wait.
#pragma GCC unroll 14
  for (int i = 0; i < R; ++i) {
    const float* c = C + (i < m ? i : 0) * ldc;
    _mm_prefetch(reinterpret_cast<const char*>(c), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + 16 * V - 1), _MM_HINT_T0);
  }
  for (int64_t k = 0; k < K; ++k) {
    __m512 b[V];
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) b[v] = _mm512_loadu_ps(Bp + 16 * v);
#pragma GCC unroll 14
    for (int i = 0; i < R; ++i) {
      const __m512 a = _mm512_set1_ps(Ap[i]);
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
    }
    Ap += MR;
    Bp += ldbp;
  }
  // Masks select the first n columns; rows beyond m are not stored.
  __mmask16 mask[V];
#pragma GCC unroll 2
  for (int v = 0; v < V; ++v) {
    const int64_t cols = n - 16 * v;
    mask[v] = cols >= 16 ? 0xFFFF : cols <= 0 ? 0 : static_cast<__mmask16>((1u << cols) - 1);
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
  for (int i = 0; i < R; ++i) {
    if (i < m) {
      float* c = C + i * ldc;
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) {
        __m512 r = _mm512_mul_ps(va, acc[i][v]);
        if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask[v], c + 16 * v), r);
        _mm512_mask_storeu_ps(c + 16 * v, mask[v], r);
      }
    }
  }
}

}  // namespace

void sgemm_ukernel_avx512(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc,
                          float alpha, float beta, int64_t m, int64_t n) {
  if (n > 16) {
    if (m > 7) return tile<14, 2>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n);
    if (m > 3) return tile<7, 2>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n);
    return tile<3, 2>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n);
  }
  if (m > 7) return tile<14, 1>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n);
  if (m > 3) return tile<7, 1>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n);
  return tile<3, 1>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n);
}

}  // namespace convkit
