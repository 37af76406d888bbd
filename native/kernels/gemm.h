// Single-precision matrix multiply, row-major.
#pragma once
#include <cstdint>

namespace convkit {

// C[M x N] = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T; row-major with leading
// dimensions lda, ldb, ldc. op(A) is M x K, op(B) is K x N. beta = 0 ignores C's contents.
// Splits the work over the thread pool.
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Per-ISA inner loop: y[0..n) += a * x[0..n).
void saxpy_generic(int64_t n, float a, const float* x, float* y);
void saxpy_avx2(int64_t n, float a, const float* x, float* y);
void saxpy_avx512(int64_t n, float a, const float* x, float* y);

}  // namespace convkit
