#include <napi.h>

#include <cstdint>
#include <limits>
#include <string>

#include "binding/args.h"
#include "kernels/pool.h"

namespace convkit::binding {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

// Reads N, C, H, W, KH, KW, strideH, strideW, padH, padW from arguments first..first+9 and
// derives OH, OW.
PoolShape read_shape(const Args& args, size_t first) {
  auto size = [&](size_t i, const char* name) { return args.integer(first + i, name, 1, kMaxDim); };
  PoolShape s;
  s.N = size(0, "N"), s.C = size(1, "C"), s.H = size(2, "H"), s.W = size(3, "W");
  s.KH = size(4, "KH"), s.KW = size(5, "KW");
  s.stride_h = size(6, "strideH"), s.stride_w = size(7, "strideW");
  s.pad_h = args.integer(first + 8, "padH", 0, kMaxDim), s.pad_w = args.integer(first + 9, "padW", 0, kMaxDim);
  if (2 * s.pad_h > s.KH || 2 * s.pad_w > s.KW) {
    args.range_error("padding [" + str(s.pad_h) + ", " + str(s.pad_w) + "] must be at most half the kernel [" +
                     str(s.KH) + ", " + str(s.KW) + "]");
  }
  if (s.KH > s.H + 2 * s.pad_h || s.KW > s.W + 2 * s.pad_w) {
    args.range_error("the kernel [" + str(s.KH) + ", " + str(s.KW) + "] is larger than the padded input [" +
                     str(s.H + 2 * s.pad_h) + ", " + str(s.W + 2 * s.pad_w) + "]");
  }
  if (s.H * s.W > std::numeric_limits<int32_t>::max()) {
    args.range_error("a plane of H*W = " + str(s.H * s.W) + " elements is too large for int32 indices");
  }
  s.OH = (s.H + 2 * s.pad_h - s.KH) / s.stride_h + 1;
  s.OW = (s.W + 2 * s.pad_w - s.KW) / s.stride_w + 1;
  return s;
}

uint64_t input_size(const Args& args, const PoolShape& s) { return product(args, {s.N, s.C, s.H, s.W}, "x"); }
uint64_t output_size(const Args& args, const PoolShape& s) { return product(args, {s.N, s.C, s.OH, s.OW}, "y"); }

// maxPool2dForward(x, y, indices, N, C, H, W, KH, KW, strideH, strideW, padH, padW)
Napi::Value MaxPool2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "maxPool2dForward", 13);
  auto x = args.floats(0, "x");
  auto y = args.floats(1, "y");
  auto idx = args.int32s(2, "indices");
  PoolShape s = read_shape(args, 3);
  args.expect_size(x, input_size(args, s), "x", "N*C*H*W");
  args.expect_size(y, output_size(args, s), "y", "N*C*OH*OW");
  args.expect_size(idx, y.size, "indices", "N*C*OH*OW");
  max_pool2d_forward(s, x.data, y.data, idx.data);
  return info.Env().Undefined();
}

// maxPool2dBackward(dy, indices, dx, N, C, H, W, OH, OW): dx = dL/dx.
Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "maxPool2dBackward", 9);
  auto dy = args.floats(0, "dy");
  auto idx = args.int32s(1, "indices");
  auto dx = args.floats(2, "dx");
  PoolShape s{};
  s.N = args.integer(3, "N", 1, kMaxDim), s.C = args.integer(4, "C", 1, kMaxDim);
  s.H = args.integer(5, "H", 1, kMaxDim), s.W = args.integer(6, "W", 1, kMaxDim);
  s.OH = args.integer(7, "OH", 1, kMaxDim), s.OW = args.integer(8, "OW", 1, kMaxDim);
  args.expect_size(dy, output_size(args, s), "dy", "N*C*OH*OW");
  args.expect_size(idx, dy.size, "indices", "N*C*OH*OW");
  args.expect_size(dx, input_size(args, s), "dx", "N*C*H*W");
  const int64_t plane = s.H * s.W;
  for (size_t i = 0; i < idx.size; ++i) {
    if (idx.data[i] < 0 || idx.data[i] >= plane) {
      args.range_error("indices[" + std::to_string(i) + "] = " + str(idx.data[i]) + " is outside the plane [0, H*W = " +
                       str(plane) + ")");
    }
  }
  max_pool2d_backward(s, dy.data, idx.data, dx.data);
  return info.Env().Undefined();
}

// avgPool2dForward(x, y, countIncludePad, N, C, H, W, KH, KW, strideH, strideW, padH, padW)
Napi::Value AvgPool2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "avgPool2dForward", 13);
  auto x = args.floats(0, "x");
  auto y = args.floats(1, "y");
  const bool include_pad = args.boolean(2, "countIncludePad");
  PoolShape s = read_shape(args, 3);
  args.expect_size(x, input_size(args, s), "x", "N*C*H*W");
  args.expect_size(y, output_size(args, s), "y", "N*C*OH*OW");
  avg_pool2d_forward(s, include_pad, x.data, y.data);
  return info.Env().Undefined();
}

// avgPool2dBackward(dy, dx, countIncludePad, <geometry as avgPool2dForward>): dx = dL/dx.
Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "avgPool2dBackward", 13);
  auto dy = args.floats(0, "dy");
  auto dx = args.floats(1, "dx");
  const bool include_pad = args.boolean(2, "countIncludePad");
  PoolShape s = read_shape(args, 3);
  args.expect_size(dy, output_size(args, s), "dy", "N*C*OH*OW");
  args.expect_size(dx, input_size(args, s), "dx", "N*C*H*W");
  avg_pool2d_backward(s, include_pad, dy.data, dx.data);
  return info.Env().Undefined();
}

// globalAvgPool2dForward(x, y, N, C, H, W) / globalAvgPool2dBackward(dy, dx, N, C, H, W)
template <bool kForward>
Napi::Value GlobalAvgPool2d(const Napi::CallbackInfo& info) {
  Args args(info, kForward ? "globalAvgPool2dForward" : "globalAvgPool2dBackward", 6);
  auto in = args.floats(0, kForward ? "x" : "dy");
  auto out = args.floats(1, kForward ? "y" : "dx");
  const int64_t N = args.integer(2, "N", 1, kMaxDim), C = args.integer(3, "C", 1, kMaxDim);
  const int64_t H = args.integer(4, "H", 1, kMaxDim), W = args.integer(5, "W", 1, kMaxDim);
  const uint64_t full = product(args, {N, C, H, W}, "x"), planes = product(args, {N, C}, "y");
  args.expect_size(in, kForward ? full : planes, kForward ? "x" : "dy", kForward ? "N*C*H*W" : "N*C");
  args.expect_size(out, kForward ? planes : full, kForward ? "y" : "dx", kForward ? "N*C" : "N*C*H*W");
  if (kForward) {
    global_avg_pool2d_forward(N * C, H * W, in.data, out.data);
  } else {
    global_avg_pool2d_backward(N * C, H * W, in.data, out.data);
  }
  return info.Env().Undefined();
}

CONVKIT_BIND("maxPool2dForward", MaxPool2dForward);
CONVKIT_BIND("maxPool2dBackward", MaxPool2dBackward);
CONVKIT_BIND("avgPool2dForward", AvgPool2dForward);
CONVKIT_BIND("avgPool2dBackward", AvgPool2dBackward);
CONVKIT_BIND("globalAvgPool2dForward", GlobalAvgPool2d<true>);
CONVKIT_BIND("globalAvgPool2dBackward", GlobalAvgPool2d<false>);

}  // namespace
}  // namespace convkit::binding
