#include "kernels/probe.h"

#include <chrono>

#include "runtime/cpu.h"
#include "runtime/parallel.h"

namespace convkit {
namespace {

using Probe = double (*)(int64_t, float*);

Probe probe_for_isa() {
#if defined(CONVKIT_X86_KERNELS)
  return select_isa<Probe>(fma_probe_generic, fma_probe_avx2, fma_probe_avx512);
#else
  return fma_probe_generic;
#endif
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// 32 chains of acc = acc * x + y: with SSE2 8 xmm registers of 4, no FMA, 2 flops per element.
double fma_probe_generic(int64_t steps, float* sink) {
  float acc[32];
  for (int j = 0; j < 32; ++j) acc[j] = static_cast<float>(j);
  const float x = 0.999999f, y = 1e-6f;
  for (int64_t s = 0; s < steps; ++s) {
    for (int j = 0; j < 32; ++j) acc[j] = acc[j] * x + y;
  }
  float sum = 0.0f;
  for (int j = 0; j < 32; ++j) sum += acc[j];
  *sink = sum;
  return 2.0 * 32 * static_cast<double>(steps);
}

FmaPeak fma_peak(double seconds) {
  const Probe probe = probe_for_isa();
  float sink = 0.0f;
  probe(100000, &sink);  // warm up: clocks, AVX-512 power state
  // Grow the step count until one run takes about the requested time.
  int64_t steps = 100000;
  double flops = 0.0, elapsed = 0.0;
  for (;;) {
    auto start = std::chrono::steady_clock::now();
    flops = probe(steps, &sink);
    elapsed = seconds_since(start);
    if (elapsed >= seconds || steps > (int64_t{1} << 40)) break;
    steps = elapsed < seconds / 16 ? steps * 8 : static_cast<int64_t>(steps * seconds / elapsed * 1.05);
  }
  FmaPeak peak{flops / elapsed * 1e-9, 0.0, num_threads()};
  float sinks[1024] = {};
  auto start = std::chrono::steady_clock::now();
  parallel_for(peak.threads, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) probe(steps, &sinks[t % 1024]);
  });
  peak.all_threads = flops * peak.threads / seconds_since(start) * 1e-9;
  return peak;
}

}  // namespace convkit
