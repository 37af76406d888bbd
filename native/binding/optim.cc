#include <napi.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "binding/args.h"
#include "kernels/optim.h"

namespace convkit::binding {
namespace {

constexpr size_t kHyper = 11;

bool overlap(const View<float>& a, const View<float>& b) {
  if (a.size == 0 || b.size == 0) return false;
  auto a0 = reinterpret_cast<uintptr_t>(a.data), b0 = reinterpret_cast<uintptr_t>(b.data);
  return a0 < b0 + b.size * sizeof(float) && b0 < a0 + a.size * sizeof(float);
}
static_assert(sizeof(OptimHyper) == kHyper * sizeof(float), "OptimHyper is a row of floats");

// Number of state buffers each optimizer kind keeps, by name.
struct Kind {
  const char* name;
  int states;
};
constexpr Kind kKinds[] = {{"sgd", 0},     {"momentum", 1}, {"nesterov", 1}, {"adagrad", 1},
                           {"rmsprop", 1}, {"adadelta", 2}, {"adam", 2}};

// optimStep(kind, hyper, theta, grad, state1, state2): one fused step of `kind` on theta in
// place. hyper: Float32Array [lr, l1, c2, keep, gamma, beta2, eps, step1, rsqrt2, gscale, gclip] (OptimHyper);
// state buffers the kind does not use may be null.
Napi::Value OptimStep(const Napi::CallbackInfo& info) {
  Args args(info, "optimStep", 4);
  std::string kind = args.string(0, "kind");
  const Kind* k = nullptr;
  for (const Kind& candidate : kKinds) {
    if (kind == candidate.name) k = &candidate;
  }
  if (!k) args.range_error("unknown optimizer kind '" + kind + "'");
  auto hyper = args.floats(1, "hyper");
  args.expect_size(hyper, kHyper, "hyper", "11");
  for (size_t i = 0; i < kHyper; ++i) {
    if (!std::isfinite(hyper.data[i])) args.range_error("hyper-parameter " + std::to_string(i) + " is not finite");
  }
  auto theta = args.floats(2, "theta");
  auto grad = args.floats(3, "grad");
  args.expect_size(grad, theta.size, "grad", "theta.length");
  float* state[2] = {nullptr, nullptr};
  for (int s = 0; s < k->states; ++s) {
    const char* name = s == 0 ? "state1" : "state2";
    auto view = args.floats(4 + s, name);
    args.expect_size(view, theta.size, name, "theta.length");
    state[s] = view.data;
  }
  // The kernels take their buffers as non-aliasing (__restrict): two views of one memory would
  // give wrong numbers silently.
  const View<float> buffers[4] = {theta, grad, {state[0], state[0] ? theta.size : 0}, {state[1], state[1] ? theta.size : 0}};
  const char* names[4] = {"theta", "grad", "state1", "state2"};
  for (int a = 0; a < 4; ++a) {
    for (int b = a + 1; b < 4; ++b) {
      if (overlap(buffers[a], buffers[b])) {
        args.range_error(std::string("'") + names[a] + "' and '" + names[b] + "' share memory");
      }
    }
  }
  OptimHyper h;
  std::memcpy(&h, hyper.data, sizeof(h));
  const int64_t n = static_cast<int64_t>(theta.size);
  if (kind == "sgd") sgd_step(n, h, SgdMode::plain, theta.data, grad.data, nullptr);
  else if (kind == "momentum") sgd_step(n, h, SgdMode::momentum, theta.data, grad.data, state[0]);
  else if (kind == "nesterov") sgd_step(n, h, SgdMode::nesterov, theta.data, grad.data, state[0]);
  else if (kind == "adagrad") adagrad_step(n, h, theta.data, grad.data, state[0]);
  else if (kind == "rmsprop") rmsprop_step(n, h, theta.data, grad.data, state[0]);
  else if (kind == "adadelta") adadelta_step(n, h, theta.data, grad.data, state[0], state[1]);
  else adam_step(n, h, theta.data, grad.data, state[0], state[1]);
  return info.Env().Undefined();
}


// sumAbsSq(x, out): out = [Σ|x|, Σx²] (Float64Array of 2), deterministic.
Napi::Value SumAbsSq(const Napi::CallbackInfo& info) {
  Args args(info, "sumAbsSq", 2);
  auto x = args.floats(0, "x");
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    args.type_error("'out' must be a Float64Array");
  }
  auto out = info[1].As<Napi::Float64Array>();
  if (out.ElementLength() != 2) args.range_error("'out' must have 2 elements");
  sum_abs_sq(static_cast<int64_t>(x.size), x.data, out.Data());
  return info.Env().Undefined();
}

// scaleInplace(x, s): x = s x.
Napi::Value ScaleInplace(const Napi::CallbackInfo& info) {
  Args args(info, "scaleInplace", 2);
  auto x = args.floats(0, "x");
  scale_inplace(static_cast<int64_t>(x.size), static_cast<float>(args.number(1, "s")), x.data);
  return info.Env().Undefined();
}

// clampInplace(x, c): x = min(max(x, -c), c), c >= 0.
Napi::Value ClampInplace(const Napi::CallbackInfo& info) {
  Args args(info, "clampInplace", 2);
  auto x = args.floats(0, "x");
  double c = args.number(1, "c");
  if (c < 0) args.range_error("'c' must be >= 0");
  clamp_inplace(static_cast<int64_t>(x.size), static_cast<float>(c), x.data);
  return info.Env().Undefined();
}

CONVKIT_BIND("optimStep", OptimStep);
CONVKIT_BIND("sumAbsSq", SumAbsSq);
CONVKIT_BIND("scaleInplace", ScaleInplace);
CONVKIT_BIND("clampInplace", ClampInplace);

}  // namespace
}  // namespace convkit::binding
