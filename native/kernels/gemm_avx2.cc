// AVX2+FMA sgemm microkernel, 6 x 16 tile: 12 ymm accumulators, 2 ymm for the B row, one
// broadcast of A per row. Only intrinsics and plain loops here: shared inline code compiled
// with these flags could be picked by the linker for machines without AVX2 (the template is
// in an anonymous namespace, so it stays in this file).
#include <immintrin.h>

#include "kernels/gemm.h"
#include "kernels/lanes_avx2.h"

namespace convkit {
namespace {

constexpr int MR = kSgemmMrAvx2, NR = kSgemmNrAvx2;

// C[i, j] = alpha * sum_k Ap[k*MR + i] * Bp[k*ldbp + j] + beta * C[i, j] for i < m <= R,
// j < n <= 16: the tile's first R rows.
template <int R>
void tile(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc, float alpha, float beta,
          int64_t m, int64_t n, const float* next) {
  __m256 acc[R][2];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    _mm_prefetch(reinterpret_cast<const char*>(next + 4 * k), _MM_HINT_T1);
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

// out[j][i] = r[i][j] for an 8 x 8 block (three shuffle stages).
void transpose8(const __m256 r[8], __m256 out[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int g = 0; g < 8; g += 4) {  // u[g + c]: rows g..g+3 at column 4L + c of lane L
    u[g] = _mm256_shuffle_ps(t[g], t[g + 2], 0x44);
    u[g + 1] = _mm256_shuffle_ps(t[g], t[g + 2], 0xEE);
    u[g + 2] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0x44);
    u[g + 3] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {
    out[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    out[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
}

}  // namespace

// dst[(w / P) * K * P + k * P + w % P] = src[w * ld + k] for w < W, zero up to a multiple
// of P; P <= 8 or a multiple of 8. Blocks of 8 source rows x 8 k are transposed in
// registers.
void sgemm_pack_cols_avx2(const float* src, int64_t ld, int64_t K, int64_t W, int64_t P, float* dst) {
  for (int64_t w0 = 0; w0 < W; w0 += P) {
    for (int64_t g = 0; g < P; g += 8) {  // 8 rows of the panel at a time
      const int64_t rows = W - w0 - g;
      const __m256i lanes = first_lanes(P - g);
      const float* s = src + (w0 + g) * ld;
      float* d = dst + w0 * K + g;
      for (int64_t k = 0; k < K; k += 8) {
        const int64_t kn = K - k < 8 ? K - k : 8;
        const __m256i kmask = first_lanes(kn);
        __m256 r[8], t[8];
        for (int i = 0; i < 8; ++i) {
          if (i < rows) _mm_prefetch(reinterpret_cast<const char*>(s + i * ld + k + 64), _MM_HINT_T0);
          r[i] = i < rows ? _mm256_maskload_ps(s + i * ld + k, kmask) : _mm256_setzero_ps();
        }
        transpose8(r, t);
        for (int64_t j = 0; j < kn; ++j) _mm256_maskstore_ps(d + (k + j) * P, lanes, t[j]);
      }
    }
  }
}

// The microkernel contract of gemm.h on the smallest tile variant that covers m rows.
void sgemm_ukernel_avx2(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc, float alpha,
                        float beta, int64_t m, int64_t n, const float* next) {
  if (m > 3) return tile<6>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n, next);
  return tile<3>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n, next);
}

}  // namespace convkit
