// Memory-bandwidth probe: the STREAM triad, to compare memory-bound kernels against.
#pragma once
#include <cstdint>

namespace convkit {

// a[i] = b[i] + s c[i] over [0, n), on the calling thread only or split over the whole pool.
// STREAM counts 12 bytes per element (two reads, one write).
void stream_triad(int64_t n, float s, float* a, const float* b, const float* c, bool all_threads);

}  // namespace convkit
