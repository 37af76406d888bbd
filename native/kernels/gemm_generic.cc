// Portable sgemm microkernel and packing: plain loops over a fixed 4 x 8 tile that compilers keep in
// vector registers (SSE2 on x86-64, NEON on arm64).
#include "kernels/gemm.h"

namespace convkit {

// C[i, j] = alpha * sum_k Ap[k*MR + i] * Bp[k*ldbp + j] + beta * C[i, j], i < m, j < n.
// Fetching `next` ahead is left to the hardware here: portable C++ has no prefetch.
void sgemm_ukernel_generic(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc,
                           float alpha, float beta, int64_t m, int64_t n, const float* /*next*/) {
  constexpr int64_t MR = kSgemmMrGeneric, NR = kSgemmNrGeneric;
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < K; ++k) {
    for (int64_t i = 0; i < MR; ++i) {
      for (int64_t j = 0; j < NR; ++j) acc[i][j] += Ap[k * MR + i] * Bp[k * ldbp + j];
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

// dst[(w / P) * K * P + k * P + w % P] = src[w * ld + k], P source rows read side by side.
void sgemm_pack_cols_generic(const float* src, int64_t ld, int64_t K, int64_t W, int64_t P, float* dst) {
  for (int64_t w0 = 0; w0 < W; w0 += P) {
    const int64_t n = W - w0 < P ? W - w0 : P;
    const float* s = src + w0 * ld;
    float* d = dst + w0 * K;
    for (int64_t k = 0; k < K; ++k) {
      for (int64_t w = 0; w < n; ++w) d[k * P + w] = s[w * ld + k];
      for (int64_t w = n; w < P; ++w) d[k * P + w] = 0.0f;
    }
  }
}

}  // namespace convkit
