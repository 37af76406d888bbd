// sgemm driver: cache blocking (KC, MC, NC), packing of op(A) and op(B) into micro-panels,
// threading, and the choice of microkernel. Portable: the per-ISA code is the microkernels.
#include "kernels/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/cpu.h"
#include "runtime/parallel.h"
#include "runtime/scratch.h"

namespace convkit {
namespace {

// MR x NR: the microkernel's register tile. KC: the largest depth of a packed panel (the KC x NR B
// micro-panel is reused from L1/L2 by every A micro-panel; a larger KC updates C less
// often). KC_tall: the same when at least two A blocks (M >= 2 MC) share each B block.
// MC: rows of a packed A block (MC x KC in L2). NC: columns of a packed B block (KC x NC in
// L3). Zen 5 (48 KiB L1d, 1 MiB L2) measured best around KC = 512, and for AVX-512 with
// many rows KC_tall = 1024: half as many tile calls, each of which stores C (sgemm 1024 and
// 2048: +1 to +4%). With fewer rows, packing the deeper B block costs more than that saves
// (128 x 2048 x 1024: -4 to -9%); the AVX2 tile gains nothing from it.
struct Blocking {
  SgemmMicrokernel ukernel;
  SgemmPackCols pack_cols;
  int64_t MR, NR, KC, KC_tall, MC, NC;
};

const Blocking& blocking() {
  static const Blocking generic{
      sgemm_ukernel_generic, sgemm_pack_cols_generic, kSgemmMrGeneric, kSgemmNrGeneric, 256, 256, 128, 2048};
#if defined(CONVKIT_X86_KERNELS)
  static const Blocking avx2{
      sgemm_ukernel_avx2, sgemm_pack_cols_avx2, kSgemmMrAvx2, kSgemmNrAvx2, 512, 512, 144, 4096};
  static const Blocking avx512{
      sgemm_ukernel_avx512, sgemm_pack_cols_avx512, kSgemmMrAvx512, kSgemmNrAvx512, 512, 1024, 140, 4096};
  return *select_isa(&generic, &avx2, &avx512);
#else
  return generic;
#endif
}

// Below this many flops per chunk, waking another thread costs more than it saves.
constexpr double kMinFlopsPerChunk = 2e6;

thread_local Scratch a_scratch, b_scratch;

// op(X)[r, c] of a row-major X with leading dimension ld.
struct Operand {
  const float* data;
  int64_t ld;
  bool trans;
};

// Packing copies a K x W slice of an operand into panels of P columns (P = MR for A, NR for
// B): dst[(w / P) * K * P + k * P + w % P] = X(k, w), zero beyond W up to a multiple of P.
// X(k, w) is src[k * ld + w] (pack_rows, below) or src[w * ld + k] (cfg.pack_cols, a
// transpose, per ISA).

// Walks the source in k order so that every row of the slice streams at once. The panels
// are `depth` >= K rows deep: with depth > K, the rows are the top K of deeper panels.
void pack_rows(const float* src, int64_t ld, int64_t K, int64_t W, int64_t P, float* dst, int64_t depth) {
  for (int64_t k = 0; k < K; ++k) {
    const float* row = src + k * ld;
    for (int64_t w0 = 0; w0 < W; w0 += P) {
      const int64_t n = std::min(P, W - w0);
      float* d = dst + w0 * depth + k * P;
      for (int64_t w = 0; w < n; ++w) d[w] = row[w0 + w];
      for (int64_t w = n; w < P; ++w) d[w] = 0.0f;
    }
  }
}

// Panels of MR rows of op(A)[i0 .. i0+M, p0 .. p0+K].
void pack_a(const Blocking& cfg, const Operand& a, int64_t i0, int64_t p0, int64_t M, int64_t K, float* Ap) {
  if (a.trans) return pack_rows(a.data + p0 * a.ld + i0, a.ld, K, M, cfg.MR, Ap, K);
  cfg.pack_cols(a.data + i0 * a.ld + p0, a.ld, K, M, cfg.MR, Ap);
}

// Panels of NR columns of op(B)[p0 .. p0+K, j0 .. j0+N].
void pack_b(const Blocking& cfg, const Operand& b, int64_t p0, int64_t j0, int64_t K, int64_t N, float* Bp) {
  if (b.trans) return cfg.pack_cols(b.data + j0 * b.ld + p0, b.ld, K, N, cfg.NR, Bp);
  pack_rows(b.data + p0 * b.ld + j0, b.ld, K, N, cfg.NR, Bp, K);
}

// C[mc x nc] = alpha * Ap * B + beta * C for a packed A block and a B block whose column j0 starts
// at Bp + j0 * col_step with rows ldbp apart (packed: col_step = kc, ldbp = NR; B itself: col_step
// = 1, ldbp = ldb). Every A micro-panel (ir) reuses the B micro-panel (jr) from L1 or L2 (KC x NR
// is 64-128 KiB on AVX-512). The first NR / 4 tiles of a packed panel each fetch a 4 kc share of
// the next panel into L2, so that its first tile does not wait on L3, or on memory when another
// core's data has evicted it (`npm run bench:ab`, 1 thread: sgemm 2048 +5%, 1024 +1%; beside
// another core's memory traffic, `--neighbor=16`, both +5%).
void macro_kernel(const Blocking& cfg, const float* Ap, const float* Bp, int64_t col_step, int64_t ldbp, int64_t mc,
                  int64_t nc, int64_t kc, float alpha, float beta, float* C, int64_t ldc) {
  const bool packed = col_step == kc && ldbp == cfg.NR;
  for (int64_t jr = 0; jr < nc; jr += cfg.NR) {
    const float* next_panel = packed && jr + cfg.NR < nc ? Bp + (jr + cfg.NR) * kc : nullptr;
    for (int64_t ir = 0; ir < mc; ir += cfg.MR) {
      const int64_t share = ir / cfg.MR;
      const float* next = next_panel && share < cfg.NR / 4 ? next_panel + share * 4 * kc : Ap + ir * kc;
      cfg.ukernel(kc, Ap + ir * kc, Bp + jr * col_step, ldbp, C + ir * ldc + jr, ldc, alpha, beta,
                  std::min(cfg.MR, mc - ir), std::min(cfg.NR, nc - jr), next);
    }
  }
}

int64_t round_up(int64_t x, int64_t multiple) { return (x + multiple - 1) / multiple * multiple; }

// The depth of ceil(K / max_depth) nearly equal K blocks: no short last block. A multiple of
// 16 (max_depth is one) keeps the transposing packs, 16 k at a time, off their masked tail.
int64_t equal_depth(int64_t K, int64_t max_depth) {
  const int64_t blocks = (K + max_depth - 1) / max_depth;
  return std::min(K, round_up((K + blocks - 1) / blocks, 16));
}

// The K blocks' depth for M rows of op(A), the same for every thread split of M or N.
int64_t k_depth(const Blocking& cfg, int64_t M, int64_t K) {
  return equal_depth(K, M >= 2 * cfg.MC ? cfg.KC_tall : cfg.KC);
}

// C[M x N] = alpha * op(A)[rows i0.., :] * op(B)[:, cols j0..] + beta * C on one thread,
// Goto's loop nest: jc (NC) > pc (k_depth, pack B) > ic (MC, pack A) > macro kernel. When one
// row tile uses each B panel (M <= MR), copying B would cost as much as using it: the
// microkernel reads an untransposed B in place, only the partial last panel is packed.
void sgemm_block(const Blocking& cfg, const Operand& a, const Operand& b, int64_t i0, int64_t j0, int64_t M, int64_t N,
                 int64_t K, float alpha, float beta, float* C, int64_t ldc) {
  const int64_t KC = k_depth(cfg, M, K);
  float* Bp = b_scratch.get(KC * round_up(std::min(cfg.NC, N), cfg.NR));
  float* Ap = a_scratch.get(KC * round_up(std::min(cfg.MC, M), cfg.MR));
  const bool b_in_place = !b.trans && M <= cfg.MR;
  for (int64_t jc = 0; jc < N; jc += cfg.NC) {
    const int64_t nc = std::min(cfg.NC, N - jc);
    const int64_t full = b_in_place ? nc / cfg.NR * cfg.NR : 0;  // columns read in place
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const float beta_pc = pc == 0 ? beta : 1.0f;
      pack_b(cfg, b, pc, j0 + jc + full, kc, nc - full, Bp);
      for (int64_t ic = 0; ic < M; ic += cfg.MC) {
        const int64_t mc = std::min(cfg.MC, M - ic);
        pack_a(cfg, a, i0 + ic, pc, mc, kc, Ap);
        float* c = C + ic * ldc + jc;
        macro_kernel(cfg, Ap, b.data + pc * b.ld + j0 + jc, 1, b.ld, mc, full, kc, alpha, beta_pc, c, ldc);
        macro_kernel(cfg, Ap, Bp, kc, cfg.NR, mc, nc - full, kc, alpha, beta_pc, c + full, ldc);
      }
    }
  }
}

// The same loop nest with the threads sharing each packed B block: they pack it together,
// then each multiplies its own range of row tiles (packing its own A blocks) by all of it.
void sgemm_shared_b(const Blocking& cfg, const Operand& a, const Operand& b, int64_t M, int64_t N, int64_t K,
                    float alpha, float beta, float* C, int64_t ldc) {
  const int64_t MR = cfg.MR, NR = cfg.NR, KC = k_depth(cfg, M, K);
  float* Bp = b_scratch.get(KC * round_up(std::min(cfg.NC, N), NR));
  for (int64_t jc = 0; jc < N; jc += cfg.NC) {
    const int64_t nc = std::min(cfg.NC, N - jc);
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      // Each thread reads its part of B whole: a range of rows, or of columns when B is
      // transposed (B's rows split by panels, every row read in pieces, packed 2x slower).
      if (b.trans) {
        parallel_for((nc + NR - 1) / NR, 1, [&](int64_t p0, int64_t p1) {
          pack_b(cfg, b, pc, jc + p0 * NR, kc, std::min(nc, p1 * NR) - p0 * NR, Bp + p0 * NR * kc);
        });
      } else {
        parallel_for(kc, 1, [&](int64_t k0, int64_t k1) {
          pack_rows(b.data + (pc + k0) * b.ld + jc, b.ld, k1 - k0, nc, NR, Bp + k0 * NR, kc);
        });
      }
      parallel_for((M + MR - 1) / MR, 1, [&](int64_t t0, int64_t t1) {
        const int64_t i1 = std::min(M, t1 * MR);
        float* Ap = a_scratch.get(kc * round_up(std::min(cfg.MC, i1 - t0 * MR), MR));
        for (int64_t ic = t0 * MR; ic < i1; ic += cfg.MC) {
          const int64_t mc = std::min(cfg.MC, i1 - ic);
          pack_a(cfg, a, ic, pc, mc, kc, Ap);
          macro_kernel(cfg, Ap, Bp, kc, cfg.NR, mc, nc, kc, alpha, pc == 0 ? beta : 1.0f, C + ic * ldc + jc, ldc);
        }
      });
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

int64_t sgemm_nr() { return blocking().NR; }

// Loop nest: pc (KC blocks of equal depth, A packed whole) > NR panel (produced, then used by
// every row tile while it is in L1/L2). The panels' results do not depend on the split.
void sgemm_packed_b(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, SgemmPackB pack_b, const void* ctx,
                    float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) return scale_c(M, N, 0.0f, C, ldc);
  const Blocking& cfg = blocking();
  const int64_t KC = equal_depth(K, 2 * cfg.KC);
  const int64_t panels = (N + cfg.NR - 1) / cfg.NR;
  const double panel_flops = 2.0 * static_cast<double>(M) * static_cast<double>(cfg.NR) * static_cast<double>(K);
  const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(kMinFlopsPerChunk / panel_flops));
  float* Ap = a_scratch.get(KC * round_up(M, cfg.MR));
  for (int64_t pc = 0; pc < K; pc += KC) {
    const int64_t kc = std::min(KC, K - pc);
    pack_a(cfg, Operand{A, lda, false}, 0, pc, M, kc, Ap);
    parallel_for(panels, grain, [&](int64_t t0, int64_t t1) {
      float* Bp = b_scratch.get(kc * cfg.NR);
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t j0 = t * cfg.NR, n = std::min(cfg.NR, N - j0);
        pack_b(ctx, pc, j0, kc, n, Bp);
        macro_kernel(cfg, Ap, Bp, kc, cfg.NR, M, n, kc, 1.0f, pc == 0 ? 0.0f : 1.0f, C + j0, ldc);
      }
    });
  }
}

// Small problems run on the calling thread. Larger ones with enough rows share packed B
// blocks and split the row tiles; short wide ones (few rows, e.g. a convolution's
// out-channels x pixels) split the column tiles, each thread packing its own B. Either way
// every element of C is computed by the same sequence of operations, whatever the thread count.
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) return scale_c(M, N, beta, C, ldc);
  const Blocking& cfg = blocking();
  const Operand a{A, lda, trans_a}, b{B, ldb, trans_b};
  const int threads = num_threads();
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (threads == 1 || flops < 2 * kMinFlopsPerChunk) return sgemm_block(cfg, a, b, 0, 0, M, N, K, alpha, beta, C, ldc);
  const int64_t row_tiles = (M + cfg.MR - 1) / cfg.MR, col_tiles = (N + cfg.NR - 1) / cfg.NR;
  if (M >= N || row_tiles >= 4 * threads) return sgemm_shared_b(cfg, a, b, M, N, K, alpha, beta, C, ldc);
  const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(kMinFlopsPerChunk / (flops / col_tiles)));
  parallel_for(col_tiles, grain, [&](int64_t t0, int64_t t1) {
    const int64_t j0 = t0 * cfg.NR, j1 = std::min(N, t1 * cfg.NR);
    sgemm_block(cfg, a, b, 0, j0, M, j1 - j0, K, alpha, beta, C + j0, ldc);
  });
}

}  // namespace convkit
