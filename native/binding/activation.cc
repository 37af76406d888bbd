// Element-wise activations and row softmax.
#include <napi.h>

#include "binding/args.h"
#include "kernels/activation.h"

namespace convkit::binding {
namespace {

Activation activation(const Args& args, size_t i) {
  return static_cast<Activation>(args.integer(i, "kind", 0, static_cast<int64_t>(Activation::exp)));
}

// activationForward(kind, x, y): y = f(x); kind 0 relu, 1 sigmoid, 2 tanh, 3 exp.
Napi::Value ActivationForward(const Napi::CallbackInfo& info) {
  Args args(info, "activationForward", 3);
  Activation f = activation(args, 0);
  auto x = args.floats(1, "x");
  auto y = args.floats(2, "y");
  args.expect_size(y, x.size, "y", "x.length");
  activation_forward(f, static_cast<int64_t>(x.size), x.data, y.data);
  return info.Env().Undefined();
}

// activationBackward(kind, xy, dy, dx): xy is the input for relu, the output otherwise.
Napi::Value ActivationBackward(const Napi::CallbackInfo& info) {
  Args args(info, "activationBackward", 4);
  Activation f = activation(args, 0);
  auto xy = args.floats(1, f == Activation::relu ? "x" : "y");
  auto dy = args.floats(2, "dy");
  auto dx = args.floats(3, "dx");
  const char* formula = f == Activation::relu ? "x.length" : "y.length";
  args.expect_size(dy, xy.size, "dy", formula);
  args.expect_size(dx, xy.size, "dx", formula);
  activation_backward(f, static_cast<int64_t>(xy.size), xy.data, dy.data, dx.data);
  return info.Env().Undefined();
}

// softmaxForward(log, N, K, x, y) over the rows of x [N, K].
Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  Args args(info, "softmaxForward", 5);
  bool log = args.boolean(0, "log");
  int64_t N = args.integer(1, "N", 1, kMaxDim), K = args.integer(2, "K", 1, kMaxDim);
  auto x = args.floats(3, "x");
  auto y = args.floats(4, "y");
  uint64_t size = product(args, {N, K}, "x");
  args.expect_size(x, size, "x", "N*K");
  args.expect_size(y, size, "y", "N*K");
  softmax_forward(log, N, K, x.data, y.data);
  return info.Env().Undefined();
}

// softmaxBackward(log, N, K, y, dy, dx) with y the forward output.
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  Args args(info, "softmaxBackward", 6);
  bool log = args.boolean(0, "log");
  int64_t N = args.integer(1, "N", 1, kMaxDim), K = args.integer(2, "K", 1, kMaxDim);
  auto y = args.floats(3, "y");
  auto dy = args.floats(4, "dy");
  auto dx = args.floats(5, "dx");
  uint64_t size = product(args, {N, K}, "y");
  args.expect_size(y, size, "y", "N*K");
  args.expect_size(dy, size, "dy", "N*K");
  args.expect_size(dx, size, "dx", "N*K");
  softmax_backward(log, N, K, y.data, dy.data, dx.data);
  return info.Env().Undefined();
}

CONVKIT_BIND("activationForward", ActivationForward);
CONVKIT_BIND("activationBackward", ActivationBackward);
CONVKIT_BIND("softmaxForward", SoftmaxForward);
CONVKIT_BIND("softmaxBackward", SoftmaxBackward);

}  // namespace
}  // namespace convkit::binding
