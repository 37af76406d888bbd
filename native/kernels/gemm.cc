#include "kernels/gemm.h"

#include "runtime/cpu.h"
#include "runtime/parallel.h"

namespace convkit {
namespace {

using Saxpy = void (*)(int64_t, float, const float*, float*);

Saxpy saxpy_for_isa() {
#if defined(CONVKIT_X86_KERNELS)
  return select_isa<Saxpy>(saxpy_generic, saxpy_avx2, saxpy_avx512);
#else
  return saxpy_generic;
#endif
}

}  // namespace

void saxpy_generic(int64_t n, float a, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// C[i, :] = beta * C[i, :] + sum_k alpha * op(A)[i, k] * op(B)[k, :], rows split over threads.
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  Saxpy saxpy = saxpy_for_isa();
  parallel_for(M, 4, [&](int64_t m0, int64_t m1) {
    for (int64_t i = m0; i < m1; ++i) {
      float* c = C + i * ldc;
      for (int64_t j = 0; j < N; ++j) c[j] = beta == 0.0f ? 0.0f : beta * c[j];
      for (int64_t k = 0; k < K; ++k) {
        float a = alpha * (trans_a ? A[k * lda + i] : A[i * lda + k]);
        if (!trans_b) {
          saxpy(N, a, B + k * ldb, c);
        } else {
          for (int64_t j = 0; j < N; ++j) c[j] += a * B[j * ldb + k];
        }
      }
    }
  });
}

}  // namespace convkit
