#include "kernels/dropout.h"

#include "runtime/parallel.h"

namespace convkit {
namespace {

constexpr int64_t kGrain = int64_t{1} << 16;

// splitmix64's finaliser: a bijection on 64 bits whose outputs pass BigCrush for counter inputs.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

// u(seed, i) = top 53 bits of mix64(mix64(seed) + (i + 1) * golden) / 2^53, i.e. the i-th
// splitmix64 output of a stream started at mix64(seed).
void dropout_forward(int64_t n, double rate, uint64_t seed, const float* x, float* y, uint8_t* mask) {
  const uint64_t base = mix64(seed);
  const float scale = static_cast<float>(1.0 / (1.0 - rate));
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      uint64_t h = mix64(base + static_cast<uint64_t>(i + 1) * 0x9e3779b97f4a7c15ULL);
      double u = static_cast<double>(h >> 11) * 0x1.0p-53;
      uint8_t keep = u >= rate ? 1 : 0;
      mask[i] = keep;
      y[i] = keep ? x[i] * scale : 0.0f;
    }
  });
}

void dropout_backward(int64_t n, double rate, const float* dy, const uint8_t* mask, float* dx) {
  const float scale = static_cast<float>(1.0 / (1.0 - rate));
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) dx[i] = mask[i] ? dy[i] * scale : 0.0f;
  });
}

}  // namespace convkit
