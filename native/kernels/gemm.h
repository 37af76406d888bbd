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

// Microkernel contract. Ap: K steps of MR floats (op(A) column k of the tile's rows,
// zero-padded to MR); Bp: K rows of NR floats, row k at Bp + k*ldbp (a packed panel with
// ldbp = NR, zero-padded, or B itself when it needs no packing).
// C[i, j] = alpha * sum_k Ap[k*MR + i] * Bp[k*ldbp + j] + beta * C[i, j] for i < m <= MR,
// j < n <= NR; beta = 0 does not read C. Accumulation runs in k order, one FMA (or
// multiply-add) per k, so a tile's result does not depend on where the tile lies.
// next: 4 K floats that the tile fetches into L2 while it runs, a 64-byte line every 4 k steps
// (a share of the next B micro-panel, or the tile's own Ap when there is nothing to fetch).
using SgemmMicrokernel = void (*)(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc,
                                  float alpha, float beta, int64_t m, int64_t n, const float* next);

constexpr int64_t kSgemmMrGeneric = 4, kSgemmNrGeneric = 8;
constexpr int64_t kSgemmMrAvx2 = 6, kSgemmNrAvx2 = 16;
constexpr int64_t kSgemmMrAvx512 = 14, kSgemmNrAvx512 = 32;

void sgemm_ukernel_generic(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc,
                           float alpha, float beta, int64_t m, int64_t n, const float* next);
void sgemm_ukernel_avx2(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc,
                        float alpha, float beta, int64_t m, int64_t n, const float* next);
void sgemm_ukernel_avx512(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc,
                          float alpha, float beta, int64_t m, int64_t n, const float* next);

// Packing of a transposed slice into panels of P: dst[(w / P) * K * P + k * P + w % P] =
// src[w * ld + k] for k < K, w < W, zero for w from W up to a multiple of P.
using SgemmPackCols = void (*)(const float* src, int64_t ld, int64_t K, int64_t W, int64_t P, float* dst);

void sgemm_pack_cols_generic(const float* src, int64_t ld, int64_t K, int64_t W, int64_t P, float* dst);
// P <= 8 or a multiple of 8.
void sgemm_pack_cols_avx2(const float* src, int64_t ld, int64_t K, int64_t W, int64_t P, float* dst);
// P <= 16 or a multiple of 16.
void sgemm_pack_cols_avx512(const float* src, int64_t ld, int64_t K, int64_t W, int64_t P, float* dst);

// Internal interface for drivers that produce B's panels themselves (conv.cc's implicit GEMM:
// im2col written straight into panels, so the column matrix never exists).
// pack_b(ctx, p0, j0, K, N, Bp): Bp[k * NR + j] = B[p0 + k, j0 + j] for k < K, j < N <= NR,
// zero for N <= j < NR.
using SgemmPackB = void (*)(const void* ctx, int64_t p0, int64_t j0, int64_t K, int64_t N, float* Bp);

// The microkernel's tile width NR for the current ISA.
int64_t sgemm_nr();

// C[M x N] = A * B (beta = 0), A row-major with leading dimension lda, B given by pack_b.
// Splits B's panels over the thread pool; bit-identical results for a given thread count.
void sgemm_packed_b(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, SgemmPackB pack_b, const void* ctx,
                    float* C, int64_t ldc);

}  // namespace convkit
