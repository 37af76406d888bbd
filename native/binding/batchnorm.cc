// Batch normalisation over the channels of [N, C, S] tensors.
#include <napi.h>

#include <string>

#include "binding/args.h"
#include "kernels/batchnorm.h"

namespace convkit::binding {
namespace {

// batchNormForward(training, N, C, S, x, gamma, beta, eps, momentum, runningMean, runningVar,
//                  y, saveMean, saveInvStd)
Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormForward", 14);
  bool training = args.boolean(0, "training");
  int64_t N = args.integer(1, "N", 1, kMaxDim), C = args.integer(2, "C", 1, kMaxDim);
  int64_t S = args.integer(3, "S", 1, kMaxDim);
  auto x = args.floats(4, "x");
  auto gamma = args.floats(5, "gamma");
  auto beta = args.floats(6, "beta");
  double eps = args.number(7, "eps"), momentum = args.number(8, "momentum");
  auto running_mean = args.floats(9, "runningMean");
  auto running_var = args.floats(10, "runningVar");
  auto y = args.floats(11, "y");
  auto save_mean = args.floats(12, "saveMean");
  auto save_invstd = args.floats(13, "saveInvStd");
  uint64_t size = product(args, {N, C, S}, "x");
  args.expect_size(x, size, "x", "N*C*S");
  args.expect_size(y, size, "y", "N*C*S");
  for (auto [view, name] : {std::pair{gamma, "gamma"}, {beta, "beta"}, {running_mean, "runningMean"},
                            {running_var, "runningVar"}, {save_mean, "saveMean"}, {save_invstd, "saveInvStd"}}) {
    args.expect_size(view, static_cast<uint64_t>(C), name, "C");
  }
  if (!(eps > 0.0)) args.range_error("'eps' = " + std::to_string(eps) + " must be > 0");
  if (!(momentum >= 0.0 && momentum <= 1.0)) {
    args.range_error("'momentum' = " + std::to_string(momentum) + " must be in [0, 1]");
  }
  if (training && N * S < 2) {
    args.range_error("training needs more than one value per channel, got N*H*W = " + std::to_string(N * S));
  }
  if (training) {
    batchnorm_forward_train(N, C, S, x.data, gamma.data, beta.data, static_cast<float>(eps), static_cast<float>(momentum),
                            running_mean.data, running_var.data, y.data, save_mean.data, save_invstd.data);
  } else {
    batchnorm_forward_eval(N, C, S, x.data, gamma.data, beta.data, static_cast<float>(eps), running_mean.data,
                           running_var.data, y.data, save_mean.data, save_invstd.data);
  }
  return info.Env().Undefined();
}

// batchNormBackward(training, N, C, S, x, dy, gamma, saveMean, saveInvStd, dx | null, dgamma, dbeta)
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormBackward", 12);
  bool training = args.boolean(0, "training");
  int64_t N = args.integer(1, "N", 1, kMaxDim), C = args.integer(2, "C", 1, kMaxDim);
  int64_t S = args.integer(3, "S", 1, kMaxDim);
  auto x = args.floats(4, "x");
  auto dy = args.floats(5, "dy");
  auto gamma = args.floats(6, "gamma");
  auto save_mean = args.floats(7, "saveMean");
  auto save_invstd = args.floats(8, "saveInvStd");
  float* dx = nullptr;
  uint64_t size = product(args, {N, C, S}, "x");
  if (!args.is_null(9)) {
    auto dxv = args.floats(9, "dx");
    args.expect_size(dxv, size, "dx", "N*C*S");
    dx = dxv.data;
  }
  auto dgamma = args.floats(10, "dgamma");
  auto dbeta = args.floats(11, "dbeta");
  args.expect_size(x, size, "x", "N*C*S");
  args.expect_size(dy, size, "dy", "N*C*S");
  for (auto [view, name] : {std::pair{gamma, "gamma"}, {save_mean, "saveMean"}, {save_invstd, "saveInvStd"},
                            {dgamma, "dgamma"}, {dbeta, "dbeta"}}) {
    args.expect_size(view, static_cast<uint64_t>(C), name, "C");
  }
  batchnorm_backward(training, N, C, S, x.data, dy.data, gamma.data, save_mean.data, save_invstd.data, dx,
                     dgamma.data, dbeta.data);
  return info.Env().Undefined();
}

CONVKIT_BIND("batchNormForward", BatchNormForward);
CONVKIT_BIND("batchNormBackward", BatchNormBackward);

}  // namespace
}  // namespace convkit::binding
