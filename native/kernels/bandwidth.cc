#include "kernels/bandwidth.h"

#include "runtime/parallel.h"

namespace convkit {
namespace {

// a[i] = b[i] + s c[i] on [begin, end): plain loads and stores, as STREAM compiles them.
void triad(int64_t begin, int64_t end, float s, float* a, const float* b, const float* c) {
  for (int64_t i = begin; i < end; ++i) a[i] = b[i] + s * c[i];
}

}  // namespace

void stream_triad(int64_t n, float s, float* a, const float* b, const float* c, bool all_threads) {
  if (!all_threads) return triad(0, n, s, a, b, c);
  parallel_for(n, 65536, [&](int64_t begin, int64_t end) { triad(begin, end, s, a, b, c); });
}

}  // namespace convkit
