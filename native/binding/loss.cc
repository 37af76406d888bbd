// Losses: each returns the mean loss and writes dL/d(input) into `grad`.
#include <napi.h>

#include <string>

#include "binding/args.h"
#include "kernels/loss.h"

namespace convkit::binding {
namespace {

// softmaxCrossEntropyLabels(N, K, logits, labels: Int32Array [N], grad) -> loss
Napi::Value SoftmaxCrossEntropyLabels(const Napi::CallbackInfo& info) {
  Args args(info, "softmaxCrossEntropyLabels", 5);
  int64_t N = args.integer(0, "N", 1, kMaxDim), K = args.integer(1, "K", 1, kMaxDim);
  auto logits = args.floats(2, "logits");
  auto labels = args.int32s(3, "labels");
  auto grad = args.floats(4, "grad");
  uint64_t size = product(args, {N, K}, "logits");
  args.expect_size(logits, size, "logits", "N*K");
  args.expect_size(labels, static_cast<uint64_t>(N), "labels", "N");
  args.expect_size(grad, size, "grad", "N*K");
  for (int64_t n = 0; n < N; ++n) {
    if (labels.data[n] < 0 || labels.data[n] >= K) {
      args.range_error("labels[" + std::to_string(n) + "] = " + std::to_string(labels.data[n]) + " is outside [0, " +
                       std::to_string(K) + ")");
    }
  }
  return Napi::Number::New(info.Env(), softmax_cross_entropy_labels(N, K, logits.data, labels.data, grad.data));
}

// softmaxCrossEntropyTargets(N, K, logits, targets [N, K], grad) -> loss
Napi::Value SoftmaxCrossEntropyTargets(const Napi::CallbackInfo& info) {
  Args args(info, "softmaxCrossEntropyTargets", 5);
  int64_t N = args.integer(0, "N", 1, kMaxDim), K = args.integer(1, "K", 1, kMaxDim);
  auto logits = args.floats(2, "logits");
  auto targets = args.floats(3, "targets");
  auto grad = args.floats(4, "grad");
  uint64_t size = product(args, {N, K}, "logits");
  args.expect_size(logits, size, "logits", "N*K");
  args.expect_size(targets, size, "targets", "N*K");
  args.expect_size(grad, size, "grad", "N*K");
  return Napi::Number::New(info.Env(), softmax_cross_entropy_targets(N, K, logits.data, targets.data, grad.data));
}

using ElementLoss = double (*)(int64_t, const float*, const float*, float*);

// fn(input, target, grad) -> loss over equal-length non-empty arrays.
Napi::Value ElementwiseLoss(const Napi::CallbackInfo& info, const char* fn, const char* input, ElementLoss loss) {
  Args args(info, fn, 3);
  auto x = args.floats(0, input);
  auto t = args.floats(1, "target");
  auto grad = args.floats(2, "grad");
  if (x.size == 0) args.range_error(std::string("'") + input + "' is empty");
  std::string length = std::string(input) + ".length";
  args.expect_size(t, x.size, "target", length.c_str());
  args.expect_size(grad, x.size, "grad", length.c_str());
  return Napi::Number::New(info.Env(), loss(static_cast<int64_t>(x.size), x.data, t.data, grad.data));
}

Napi::Value BinaryCrossEntropyLogits(const Napi::CallbackInfo& info) {
  return ElementwiseLoss(info, "binaryCrossEntropyLogits", "logits", binary_cross_entropy_logits);
}
Napi::Value MeanSquaredError(const Napi::CallbackInfo& info) {
  return ElementwiseLoss(info, "meanSquaredError", "pred", mean_squared_error);
}

CONVKIT_BIND("softmaxCrossEntropyLabels", SoftmaxCrossEntropyLabels);
CONVKIT_BIND("softmaxCrossEntropyTargets", SoftmaxCrossEntropyTargets);
CONVKIT_BIND("binaryCrossEntropyLogits", BinaryCrossEntropyLogits);
CONVKIT_BIND("meanSquaredError", MeanSquaredError);

}  // namespace
}  // namespace convkit::binding
