// Portable sgemm microkernel: plain loops over a fixed 4 x 8 tile that compilers keep in
// vector registers (SSE2 on x86-64, NEON on arm64).
#include "kernels/gemm.h"

namespace convkit {

// C[i, j] = alpha * sum_k Ap[k*MR + i] * Bp[k*NR + j] + beta * C[i, j], i < m, j < n.
void sgemm_ukernel_generic(int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha, float beta,
                           int64_t m, int64_t n) {
  constexpr int64_t MR = kSgemmMrGeneric, NR = kSgemmNrGeneric;
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < K; ++k) {
    for (int64_t i = 0; i < MR; ++i) {
      for (int64_t j = 0; j < NR; ++j) acc[i][j] += Ap[k * MR + i] * Bp[k * NR + j];
    }
  }
  for (int64_t i = 0; i < m; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < n; ++j) c[j] = alpha * acc[i][j];
    } else {
      for (int64_t j = 0; j < n; ++j) c[j] = alpha * acc[i][j] + beta * c[j];
    }
  }
}

}  // namespace convkit
