// AVX2+FMA throughput probe: 12 independent ymm FMA chains.
#include <immintrin.h>

#include "kernels/probe.h"

namespace convkit {

// 12 chains of acc = acc * x + y on 8 lanes: 2 flops per lane per FMA.
double fma_probe_avx2(int64_t steps, float* sink) {
  constexpr int kChains = 12;
  __m256 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm256_set1_ps(static_cast<float>(j));
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-6f);
  for (int64_t s = 0; s < steps; ++s) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) acc[j] = _mm256_fmadd_ps(acc[j], x, y);
  }
  __m256 sum = acc[0];
  for (int j = 1; j < kChains; ++j) sum = _mm256_add_ps(sum, acc[j]);
  *sink = _mm256_cvtss_f32(sum);
  return 2.0 * 8 * kChains * static_cast<double>(steps);
}

}  // namespace convkit
