// FP32 FMA throughput probe: how many GFLOP/s this machine reaches with the current ISA, the
// peak that benchmarks report their kernels against.
#pragma once
#include <cstdint>

namespace convkit {

struct FmaPeak {
  double one_thread;   // GFLOP/s on the calling thread
  double all_threads;  // GFLOP/s summed over the pool's threads, running at once
  int threads;
};

// Runs the probe of the calling thread's ISA for about `seconds` on one thread, then as long
// on all threads.
FmaPeak fma_peak(double seconds);

// Per-ISA probes: `steps` rounds of independent multiply-add chains (more chains than FMA
// latency x pipes, so throughput bound); returns the flops done. The chains' sum goes to
// *sink so the work cannot be optimised away.
double fma_probe_generic(int64_t steps, float* sink);
double fma_probe_avx2(int64_t steps, float* sink);
double fma_probe_avx512(int64_t steps, float* sink);

}  // namespace convkit
