#include <napi.h>

#include <string>

#include "binding/args.h"
#include "kernels/conv.h"

namespace convkit::binding {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

// Reads N, C, H, W, O, KH, KW, strideH, strideW, padTop, padBottom, padLeft, padRight,
// dilationH, dilationW, groups from arguments first..first+15 and derives OH, OW.
ConvShape read_shape(const Args& args, size_t first) {
  auto size = [&](size_t i, const char* name) { return args.integer(first + i, name, 1, kMaxDim); };
  auto pad = [&](size_t i, const char* name) { return args.integer(first + i, name, 0, kMaxDim); };
  ConvShape s;
  s.N = size(0, "N"), s.C = size(1, "C"), s.H = size(2, "H"), s.W = size(3, "W");
  s.O = size(4, "O"), s.KH = size(5, "KH"), s.KW = size(6, "KW");
  s.stride_h = size(7, "strideH"), s.stride_w = size(8, "strideW");
  s.pad_top = pad(9, "padTop");
  const int64_t pad_bottom = pad(10, "padBottom");
  s.pad_left = pad(11, "padLeft");
  const int64_t pad_right = pad(12, "padRight");
  s.dilation_h = size(13, "dilationH"), s.dilation_w = size(14, "dilationW");
  s.groups = size(15, "groups");
  if (s.C % s.groups != 0 || s.O % s.groups != 0) {
    args.range_error("groups = " + str(s.groups) + " must divide both C = " + str(s.C) + " and O = " + str(s.O));
  }
  const int64_t kh = (s.KH - 1) * s.dilation_h + 1, kw = (s.KW - 1) * s.dilation_w + 1;
  const int64_t ph = s.H + s.pad_top + pad_bottom, pw = s.W + s.pad_left + pad_right;
  if (kh > ph || kw > pw) {
    args.range_error("the dilated kernel [" + str(kh) + ", " + str(kw) + "] is larger than the padded input [" +
                     str(ph) + ", " + str(pw) + "]");
  }
  s.OH = (ph - kh) / s.stride_h + 1;
  s.OW = (pw - kw) / s.stride_w + 1;
  return s;
}

void expect_shapes(const Args& args, const ConvShape& s, const View<float>& x, const View<float>& w,
                   const View<float>& y, const char* y_name) {
  args.expect_size(x, product(args, {s.N, s.C, s.H, s.W}, "x"), "x", "N*C*H*W");
  args.expect_size(w, product(args, {s.O, s.C / s.groups, s.KH, s.KW}, "w"), "w", "O*(C/groups)*KH*KW");
  args.expect_size(y, product(args, {s.N, s.O, s.OH, s.OW}, y_name), y_name, "N*O*OH*OW");
}

// conv2dForward(x, w, b | null, y, N, C, H, W, O, KH, KW, strideH, strideW, padTop, padBottom,
// padLeft, padRight, dilationH, dilationW, groups): y = conv2d(x, w) + b.
Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dForward", 20);
  auto x = args.floats(0, "x");
  auto w = args.floats(1, "w");
  const bool has_bias = !args.is_null(2);
  View<float> b = has_bias ? args.floats(2, "b") : View<float>{nullptr, 0};
  auto y = args.floats(3, "y");
  ConvShape s = read_shape(args, 4);
  expect_shapes(args, s, x, w, y, "y");
  if (has_bias) args.expect_size(b, static_cast<uint64_t>(s.O), "b", "O");
  conv2d_forward(s, x.data, w.data, b.data, y.data);
  return info.Env().Undefined();
}

// conv2dBackward(x, w, dy, dx | null, dw, db | null, <geometry as conv2dForward>): dx = dL/dx
// (overwritten), dw += dL/dw, db += dL/db.
Napi::Value Conv2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBackward", 22);
  auto x = args.floats(0, "x");
  auto w = args.floats(1, "w");
  auto dy = args.floats(2, "dy");
  const bool has_dx = !args.is_null(3), has_db = !args.is_null(5);
  View<float> dx = has_dx ? args.floats(3, "dx") : View<float>{nullptr, 0};
  auto dw = args.floats(4, "dw");
  View<float> db = has_db ? args.floats(5, "db") : View<float>{nullptr, 0};
  ConvShape s = read_shape(args, 6);
  expect_shapes(args, s, x, w, dy, "dy");
  if (has_dx) args.expect_size(dx, x.size, "dx", "N*C*H*W");
  args.expect_size(dw, w.size, "dw", "O*(C/groups)*KH*KW");
  if (has_db) args.expect_size(db, static_cast<uint64_t>(s.O), "db", "O");
  conv2d_backward(s, x.data, w.data, dy.data, has_dx ? dx.data : nullptr, dw.data, has_db ? db.data : nullptr);
  return info.Env().Undefined();
}

CONVKIT_BIND("conv2dForward", Conv2dForward);
CONVKIT_BIND("conv2dBackward", Conv2dBackward);

}  // namespace
}  // namespace convkit::binding
