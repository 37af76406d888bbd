// AVX-512 throughput probe: 16 independent zmm FMA chains.
#include <immintrin.h>

#include "kernels/probe.h"

namespace convkit {

// 16 chains of acc = acc * x + y on 16 lanes: 2 flops per lane per FMA.
double fma_probe_avx512(int64_t steps, float* sink) {
  constexpr int kChains = 16;
  __m512 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_ps(static_cast<float>(j));
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-6f);
  for (int64_t s = 0; s < steps; ++s) {
#pragma GCC unroll 16
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_fmadd_ps(acc[j], x, y);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < kChains; ++j) sum = _mm512_add_ps(sum, acc[j]);
  *sink = _mm512_cvtss_f32(sum);
  return 2.0 * 16 * kChains * static_cast<double>(steps);
}

}  // namespace convkit
