// AVX-512 sgemm microkernel, 14 x 32 tile: 28 zmm accumulators, 2 zmm for the B row, A
// broadcast per row. Only intrinsics and plain loops here: shared inline code compiled with
// these flags could be picked by the linker for machines without AVX-512 (the templates are
// in an anonymous namespace, so they stay in this file).
#include <immintrin.h>

#include "kernels/gemm.h"
#include "kernels/lanes_avx512.h"

// GCC 12's AVX-512 shuffle intrinsics start from _mm512_undefined_ps(), which
// -Wmaybe-uninitialized reports as uninitialised (GCC bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace convkit {
namespace {

constexpr int MR = kSgemmMrAvx512;
// How many k steps before the end of its k loop a tile fetches its rows of C: 96 steps (about
// 1300 cycles) cover a miss to L3 or memory; measured against 64 and 160.
constexpr int64_t kFetchC = 96;

// C[i, j] = alpha * sum_k Ap[k*MR + i] * Bp[k*ldbp + j] + beta * C[i, j] for i < m <= R,
// j < n <= 16 V: the tile's first R rows and V vectors of 16 columns, so that small tiles
// do not pay for the full 14 x 32.
template <int R, int V>
void tile(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc, float alpha, float beta,
          int64_t m, int64_t n, const float* next) {
  __m512 acc[R][V];
#pragma GCC unroll 14
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[i][v] = _mm512_setzero_ps();
  }
  // C's rows are needed only after the k loop: they are fetched kFetchC steps before its
  // end, not at its start, because rows a multiple of 4 KiB apart share an L1 set, and
  // fetched early they evict one another before the stores.
  const int64_t k_fetch = K > kFetchC ? K - kFetchC : 0;
#pragma GCC unroll 2
  for (int64_t k = 0; k < K; ++k) {
    if (k == k_fetch) {
#pragma GCC unroll 14
      for (int i = 0; i < R; ++i) {
        const float* c = C + (i < m ? i : 0) * ldc;
        _mm_prefetch(reinterpret_cast<const char*>(c), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(c + 16 * V - 1), _MM_HINT_T0);
      }
    }
    _mm_prefetch(reinterpret_cast<const char*>(next + 4 * k), _MM_HINT_T1);
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
  for (int v = 0; v < V; ++v) mask[v] = first_lanes(n - 16 * v);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
  for (int i = 0; i < R; ++i) {
    if (i < m) {
      float* c = C + i * ldc;
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) {
        __m512 r = _mm512_mul_ps(va, acc[i][v]);
        if (beta != 0.0f) r = _mm512_fmadd_ps(vb, load_lanes(c + 16 * v, mask[v]), r);
        store_lanes(c + 16 * v, mask[v], r);
      }
    }
  }
}

// out[j][i] = r[i][j] for a 16 x 16 block (four shuffle stages: 32-bit, 64-bit, 128-bit
// pairs, 128-bit quads).
void transpose16(const __m512 r[16], __m512 out[16]) {
  __m512 a[16], b[16];
  for (int i = 0; i < 16; i += 2) {
    a[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    a[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int g = 0; g < 16; g += 4) {  // b[g + c]: rows g..g+3 at column 4L + c of lane L
    const __m512d a0 = _mm512_castps_pd(a[g]), a1 = _mm512_castps_pd(a[g + 1]);
    const __m512d a2 = _mm512_castps_pd(a[g + 2]), a3 = _mm512_castps_pd(a[g + 3]);
    b[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
    b[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
    b[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
    b[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 c0 = _mm512_shuffle_f32x4(b[c], b[4 + c], 0x88), c1 = _mm512_shuffle_f32x4(b[c], b[4 + c], 0xDD);
    const __m512 c2 = _mm512_shuffle_f32x4(b[8 + c], b[12 + c], 0x88);
    const __m512 c3 = _mm512_shuffle_f32x4(b[8 + c], b[12 + c], 0xDD);
    out[c] = _mm512_shuffle_f32x4(c0, c2, 0x88);
    out[8 + c] = _mm512_shuffle_f32x4(c0, c2, 0xDD);
    out[4 + c] = _mm512_shuffle_f32x4(c1, c3, 0x88);
    out[12 + c] = _mm512_shuffle_f32x4(c1, c3, 0xDD);
  }
}

}  // namespace

// dst[(w / P) * K * P + k * P + w % P] = src[w * ld + k] for w < W, zero up to a multiple
// of P; P <= 16 or a multiple of 16. Blocks of 16 source rows x 16 k are transposed in
// registers. Its loads and stores stay masked even when full: choosing per vector (plain
// when full) made a 1024 x 1024 pack 1.3-1.5x slower.
void sgemm_pack_cols_avx512(const float* src, int64_t ld, int64_t K, int64_t W, int64_t P, float* dst) {
  for (int64_t w0 = 0; w0 < W; w0 += P) {
    for (int64_t g = 0; g < P; g += 16) {  // 16 rows of the panel at a time
      const int64_t rows = W - w0 - g, lanes = P - g < 16 ? P - g : 16;
      const float* s = src + (w0 + g) * ld;
      float* d = dst + w0 * K + g;
      for (int64_t k = 0; k < K; k += 16) {
        const __mmask16 kmask = first_lanes(K - k);
        __m512 r[16], t[16];
        for (int i = 0; i < 16; ++i) {
          if (i < rows) _mm_prefetch(reinterpret_cast<const char*>(s + i * ld + k + 16), _MM_HINT_T0);
          r[i] = i < rows ? _mm512_maskz_loadu_ps(kmask, s + i * ld + k) : _mm512_setzero_ps();
        }
        transpose16(r, t);
        const int64_t kn = K - k < 16 ? K - k : 16;
        for (int64_t j = 0; j < kn; ++j) _mm512_mask_storeu_ps(d + (k + j) * P, first_lanes(lanes), t[j]);
      }
    }
  }
}

// The microkernel contract of gemm.h on the smallest tile variant that covers m x n.
void sgemm_ukernel_avx512(int64_t K, const float* Ap, const float* Bp, int64_t ldbp, float* C, int64_t ldc,
                          float alpha, float beta, int64_t m, int64_t n, const float* next) {
  if (n > 16) {
    if (m > 7) return tile<14, 2>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n, next);
    if (m > 3) return tile<7, 2>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n, next);
    return tile<3, 2>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n, next);
  }
  if (m > 7) return tile<14, 1>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n, next);
  if (m > 3) return tile<7, 1>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n, next);
  return tile<3, 1>(K, Ap, Bp, ldbp, C, ldc, alpha, beta, m, n, next);
}

}  // namespace convkit
