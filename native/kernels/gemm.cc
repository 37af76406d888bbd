// sgemm driver: cache blocking (KC, MC, NC), packing of op(A) and op(B) into micro-panels,
// threading, and the choice of microkernel. Portable: the per-ISA code is the microkernels.
#include "kernels/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/cpu.h"
#include "runtime/parallel.h"

namespace convkit {
namespace {

// MR x NR: the microkernel's register tile. KC: depth of a packed panel (a KC x NR B
// micro-panel stays in L1). MC: rows of a packed A block (MC x KC in L2). NC: columns of a
// packed B block (KC x NC in L3).
struct Blocking {
  SgemmMicrokernel ukernel;
  int64_t MR, NR, KC, MC, NC;
};

const Blocking& blocking() {
  static const Blocking generic{sgemm_ukernel_generic, kSgemmMrGeneric, kSgemmNrGeneric, 256, 128, 2048};
#if defined(CONVKIT_X86_KERNELS)
  static const Blocking avx2{sgemm_ukernel_avx2, kSgemmMrAvx2, kSgemmNrAvx2, 256, 144, 4096};
  static const Blocking avx512{sgemm_ukernel_avx512, kSgemmMrAvx512, kSgemmNrAvx512, 256, 280, 4096};
  return *select_isa(&generic, &avx2, &avx512);
#else
  return generic;
#endif
}

// Below this many flops per chunk, waking another thread costs more than it saves.
constexpr double kMinFlopsPerChunk = 2e6;

// A grow-only, 64-byte aligned scratch buffer, one per thread per use: packing allocates
// nothing once the thread has seen its largest shape.
class Scratch {
 public:
  ~Scratch() { std::free(data_); }
  float* get(int64_t n) {
    size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
    if (bytes > capacity_) {
      std::free(data_);
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data_) {
        capacity_ = 0;
        throw std::bad_alloc();
      }
      capacity_ = bytes;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

thread_local Scratch a_scratch, b_scratch;

// op(X)[r, c] of a row-major X with leading dimension ld.
struct Operand {
  const float* data;
  int64_t ld;
  bool trans;
};

// Ap[(i / MR) * K * MR + k * MR + i % MR] = op(A)[i0 + i, p0 + k] for i < M, k < K; rows
// beyond M up to the next multiple of MR are zero.
void pack_a(const Operand& a, int64_t i0, int64_t p0, int64_t M, int64_t K, int64_t MR, float* Ap) {
  for (int64_t ir = 0; ir < M; ir += MR) {
    const int64_t m = std::min(MR, M - ir);
    float* dst = Ap + ir * K;
    if (a.trans) {
      const float* src = a.data + p0 * a.ld + i0 + ir;
      for (int64_t k = 0; k < K; ++k) {
        for (int64_t i = 0; i < m; ++i) dst[k * MR + i] = src[k * a.ld + i];
        for (int64_t i = m; i < MR; ++i) dst[k * MR + i] = 0.0f;
      }
    } else {
      for (int64_t i = 0; i < MR; ++i) {
        if (i < m) {
          const float* src = a.data + (i0 + ir + i) * a.ld + p0;
          for (int64_t k = 0; k < K; ++k) dst[k * MR + i] = src[k];
        } else {
          for (int64_t k = 0; k < K; ++k) dst[k * MR + i] = 0.0f;
        }
      }
    }
  }
}

// Bp[(j / NR) * K * NR + k * NR + j % NR] = op(B)[p0 + k, j0 + j] for k < K, j < N; columns
// beyond N up to the next multiple of NR are zero.
void pack_b(const Operand& b, int64_t p0, int64_t j0, int64_t K, int64_t N, int64_t NR, float* Bp) {
  for (int64_t jr = 0; jr < N; jr += NR) {
    const int64_t n = std::min(NR, N - jr);
    float* dst = Bp + jr * K;
    if (b.trans) {
      for (int64_t j = 0; j < NR; ++j) {
        if (j < n) {
          const float* src = b.data + (j0 + jr + j) * b.ld + p0;
          for (int64_t k = 0; k < K; ++k) dst[k * NR + j] = src[k];
        } else {
          for (int64_t k = 0; k < K; ++k) dst[k * NR + j] = 0.0f;
        }
      }
    } else {
      const float* src = b.data + p0 * b.ld + j0 + jr;
      for (int64_t k = 0; k < K; ++k) {
        for (int64_t j = 0; j < n; ++j) dst[k * NR + j] = src[k * b.ld + j];
        for (int64_t j = n; j < NR; ++j) dst[k * NR + j] = 0.0f;
      }
    }
  }
}

// C[M x N] = alpha * op(A)[rows i0.., cols p0..] * op(B)[rows p0.., cols j0..] + beta * C on
// one thread, Goto's loop nest: jc (NC) > pc (KC, pack B) > ic (MC, pack A) > jr > ir.
void sgemm_block(const Blocking& cfg, const Operand& a, const Operand& b, int64_t i0, int64_t j0, int64_t M, int64_t N,
                 int64_t K, float alpha, float beta, float* C, int64_t ldc) {
  const int64_t MR = cfg.MR, NR = cfg.NR;
  const int64_t kc_max = std::min(cfg.KC, K);
  float* Bp = b_scratch.get(kc_max * ((std::min(cfg.NC, N) + NR - 1) / NR * NR));
  float* Ap = a_scratch.get(kc_max * ((std::min(cfg.MC, M) + MR - 1) / MR * MR));
  for (int64_t jc = 0; jc < N; jc += cfg.NC) {
    const int64_t nc = std::min(cfg.NC, N - jc);
    for (int64_t pc = 0; pc < K; pc += cfg.KC) {
      const int64_t kc = std::min(cfg.KC, K - pc);
      const float beta_pc = pc == 0 ? beta : 1.0f;
      pack_b(b, pc, j0 + jc, kc, nc, NR, Bp);
      for (int64_t ic = 0; ic < M; ic += cfg.MC) {
        const int64_t mc = std::min(cfg.MC, M - ic);
        pack_a(a, i0 + ic, pc, mc, kc, MR, Ap);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          for (int64_t ir = 0; ir < mc; ir += MR) {
            cfg.ukernel(kc, Ap + ir * kc, Bp + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc, alpha, beta_pc,
                        std::min(MR, mc - ir), std::min(NR, nc - jr));
          }
        }
      }
    }
  }
}

// C = beta * C, with beta = 0 writing zeros whatever C holds.
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) {
      std::memset(c, 0, static_cast<size_t>(N) * sizeof(float));
    } else {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

}  // namespace

// Threads split the larger of M and N into contiguous ranges of whole tiles; each runs the
// blocked algorithm on its range (repacking the smaller operand), so every element of C is
// computed by the same sequence of operations whatever the thread count.
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) return scale_c(M, N, beta, C, ldc);
  const Blocking& cfg = blocking();
  const Operand a{A, lda, trans_a}, b{B, ldb, trans_b};
  const bool split_n = N >= M;
  const int64_t tile = split_n ? cfg.NR : cfg.MR;
  const int64_t tiles = ((split_n ? N : M) + tile - 1) / tile;
  const double flops_per_tile = 2.0 * static_cast<double>(tile) * static_cast<double>(split_n ? M : N) * K;
  const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(kMinFlopsPerChunk / flops_per_tile));
  parallel_for(tiles, grain, [&](int64_t t0, int64_t t1) {
    if (split_n) {
      const int64_t j0 = t0 * tile, j1 = std::min(N, t1 * tile);
      sgemm_block(cfg, a, b, 0, j0, M, j1 - j0, K, alpha, beta, C + j0, ldc);
    } else {
      const int64_t i0 = t0 * tile, i1 = std::min(M, t1 * tile);
      sgemm_block(cfg, a, b, i0, 0, i1 - i0, N, K, alpha, beta, C + i0 * ldc, ldc);
    }
  });
}

}  // namespace convkit
