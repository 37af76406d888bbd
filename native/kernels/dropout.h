// Inverted dropout with a counter-based mask: element i is kept iff u(seed, i) >= rate, where u
// is a hash of (seed, i) mapped to [0, 1). The mask depends only on seed and index.
#pragma once
#include <cstdint>

namespace convkit {

// mask[i] = u(seed, i) >= rate; y[i] = x[i] * mask[i] / (1 - rate). rate in [0, 1); y may alias x.
void dropout_forward(int64_t n, double rate, uint64_t seed, const float* x, float* y, uint8_t* mask);
// dx[i] = dy[i] * mask[i] / (1 - rate); dx may alias dy.
void dropout_backward(int64_t n, double rate, const float* dy, const uint8_t* mask, float* dx);

}  // namespace convkit
