// Single-precision matrix multiply, row-major, GotoBLAS/BLIS design: gemm.cc blocks the
// problem for the caches and packs op(A) and op(B) into panels; a per-ISA microkernel
// computes one MR x NR tile of C from a packed A micro-panel and a packed B micro-panel.
#pragma once
#include <cstdint>

namespace convkit {

// C[M x N] = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T; row-major with leading
// dimensions lda, ldb, ldc. op(A) is M x K, op(B) is K x N. beta = 0 ignores C's contents.
// Splits the work over the thread pool; bit-identical results for a given thread count.
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Microkernel contract. Ap: K steps of MR floats (op(A) column k of the tile's rows),
// Bp: K steps of NR floats (op(B) row k of the tile's columns), both zero-padded to MR/NR.
// C[i, j] = alpha * sum_k Ap[k*MR + i] * Bp[k*NR + j] + beta * C[i, j] for i < m <= MR,
// j < n <= NR; beta = 0 does not read C. Accumulation runs in k order, one FMA (or
// multiply-add) per k, so a tile's result does not depend on where the tile lies.
using SgemmMicrokernel = void (*)(int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha,
                                  float beta, int64_t m, int64_t n);

constexpr int64_t kSgemmMrGeneric = 4, kSgemmNrGeneric = 8;
constexpr int64_t kSgemmMrAvx2 = 6, kSgemmNrAvx2 = 16;
constexpr int64_t kSgemmMrAvx512 = 14, kSgemmNrAvx512 = 32;

void sgemm_ukernel_generic(int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha, float beta,
                           int64_t m, int64_t n);
void sgemm_ukernel_avx2(int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha, float beta,
                        int64_t m, int64_t n);
void sgemm_ukernel_avx512(int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha, float beta,
                          int64_t m, int64_t n);

}  // namespace convkit
