// Inverted dropout with a seeded counter-based mask.
#include <napi.h>

#include <string>

#include "binding/args.h"
#include "kernels/dropout.h"

namespace convkit::binding {
namespace {

constexpr int64_t kMaxSeed = (int64_t{1} << 53) - 1;  // every integer a JS number holds exactly

double rate(const Args& args, size_t i) {
  double r = args.number(i, "rate");
  if (!(r >= 0.0 && r < 1.0)) args.range_error("'rate' = " + std::to_string(r) + " must be in [0, 1)");
  return r;
}

// dropoutForward(rate, seed, x, y, mask): mask[i] in {0, 1}, y = x * mask / (1 - rate).
Napi::Value DropoutForward(const Napi::CallbackInfo& info) {
  Args args(info, "dropoutForward", 5);
  double r = rate(args, 0);
  uint64_t seed = static_cast<uint64_t>(args.integer(1, "seed", 0, kMaxSeed));
  auto x = args.floats(2, "x");
  auto y = args.floats(3, "y");
  auto mask = args.uint8s(4, "mask");
  args.expect_size(y, x.size, "y", "x.length");
  args.expect_size(mask, x.size, "mask", "x.length");
  dropout_forward(static_cast<int64_t>(x.size), r, seed, x.data, y.data, mask.data);
  return info.Env().Undefined();
}

// dropoutBackward(rate, dy, mask, dx): dx = dy * mask / (1 - rate).
Napi::Value DropoutBackward(const Napi::CallbackInfo& info) {
  Args args(info, "dropoutBackward", 4);
  double r = rate(args, 0);
  auto dy = args.floats(1, "dy");
  auto mask = args.uint8s(2, "mask");
  auto dx = args.floats(3, "dx");
  args.expect_size(mask, dy.size, "mask", "dy.length");
  args.expect_size(dx, dy.size, "dx", "dy.length");
  dropout_backward(static_cast<int64_t>(dy.size), r, dy.data, mask.data, dx.data);
  return info.Env().Undefined();
}

CONVKIT_BIND("dropoutForward", DropoutForward);
CONVKIT_BIND("dropoutBackward", DropoutBackward);

}  // namespace
}  // namespace convkit::binding
