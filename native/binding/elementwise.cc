// Bias add/gradient, scaled sums, concatenation and split.
#include <napi.h>

#include <string>
#include <vector>

#include "binding/args.h"
#include "kernels/elementwise.h"

namespace convkit::binding {
namespace {

// biasAdd(N, C, S, x, b, y): y = x + b per channel of x viewed as [N, C, S].
Napi::Value BiasAdd(const Napi::CallbackInfo& info) {
  Args args(info, "biasAdd", 6);
  int64_t N = args.integer(0, "N", 1, kMaxDim), C = args.integer(1, "C", 1, kMaxDim);
  int64_t S = args.integer(2, "S", 1, kMaxDim);
  auto x = args.floats(3, "x");
  auto b = args.floats(4, "b");
  auto y = args.floats(5, "y");
  uint64_t size = product(args, {N, C, S}, "x");
  args.expect_size(x, size, "x", "N*C*S");
  args.expect_size(b, static_cast<uint64_t>(C), "b", "C");
  args.expect_size(y, size, "y", "N*C*S");
  bias_add(N, C, S, x.data, b.data, y.data);
  return info.Env().Undefined();
}

// biasGrad(N, C, S, dy, db): db += sum of dy over n and s.
Napi::Value BiasGrad(const Napi::CallbackInfo& info) {
  Args args(info, "biasGrad", 5);
  int64_t N = args.integer(0, "N", 1, kMaxDim), C = args.integer(1, "C", 1, kMaxDim);
  int64_t S = args.integer(2, "S", 1, kMaxDim);
  auto dy = args.floats(3, "dy");
  auto db = args.floats(4, "db");
  args.expect_size(dy, product(args, {N, C, S}, "dy"), "dy", "N*C*S");
  args.expect_size(db, static_cast<uint64_t>(C), "db", "C");
  bias_grad(N, C, S, dy.data, db.data);
  return info.Env().Undefined();
}

// addScaled(alpha, a, beta, b, y): y = alpha a + beta b.
Napi::Value AddScaled(const Napi::CallbackInfo& info) {
  Args args(info, "addScaled", 5);
  float alpha = static_cast<float>(args.number(0, "alpha"));
  auto a = args.floats(1, "a");
  float beta = static_cast<float>(args.number(2, "beta"));
  auto b = args.floats(3, "b");
  auto y = args.floats(4, "y");
  args.expect_size(b, a.size, "b", "a.length");
  args.expect_size(y, a.size, "y", "a.length");
  add_scaled(static_cast<int64_t>(a.size), alpha, a.data, beta, b.data, y.data);
  return info.Env().Undefined();
}

// The parts of a concat/split: Float32Arrays parts[i] of outer*widths[i] elements each, none
// overlapping `whole` (memcpy between overlapping buffers would scramble them).
struct Parts {
  std::vector<float*> data;
  std::vector<int64_t> width;
  int64_t total = 0;
};

bool overlap(const float* a, size_t na, const float* b, size_t nb) { return a < b + nb && b < a + na; }

Parts parts(const Args& args, int64_t outer, size_t parts_index, size_t widths_index, const View<float>& whole) {
  const Napi::Value pv = args.info()[parts_index], wv = args.info()[widths_index];
  if (!pv.IsArray()) args.type_error("'parts' must be an array of Float32Array");
  if (!wv.IsArray()) args.type_error("'widths' must be an array of integers");
  auto pa = pv.As<Napi::Array>();
  auto wa = wv.As<Napi::Array>();
  if (pa.Length() == 0 || pa.Length() != wa.Length()) {
    args.range_error("'parts' has " + std::to_string(pa.Length()) + " arrays and 'widths' " +
                     std::to_string(wa.Length()) + " entries; expected the same non-zero count");
  }
  Parts out;
  for (uint32_t i = 0; i < pa.Length(); ++i) {
    std::string name = "parts[" + std::to_string(i) + "]";
    Napi::Value p = pa[i], w = wa[i];
    if (!p.IsTypedArray() || p.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      args.type_error("'" + name + "' must be a Float32Array");
    }
    if (!w.IsNumber()) args.type_error("'widths[" + std::to_string(i) + "]' must be an integer");
    double wd = w.As<Napi::Number>().DoubleValue();
    if (!(wd >= 1 && wd <= static_cast<double>(kMaxDim)) || wd != static_cast<double>(static_cast<int64_t>(wd))) {
      args.range_error("'widths[" + std::to_string(i) + "]' must be an integer in [1, " + std::to_string(kMaxDim) + "]");
    }
    auto array = p.As<Napi::Float32Array>();
    int64_t width = static_cast<int64_t>(wd);
    args.expect_size(View<float>{array.Data(), array.ElementLength()}, product(args, {outer, width}, name.c_str()),
                     name.c_str(), "outer*widths[i]");
    if (overlap(array.Data(), array.ElementLength(), whole.data, whole.size)) {
      args.range_error("'" + name + "' shares memory with the concatenated array");
    }
    out.data.push_back(array.Data());
    out.width.push_back(width);
    out.total += width;
  }
  args.expect_size(whole, product(args, {outer, out.total}, "whole"), "whole", "outer*sum(widths)");
  return out;
}

// concatRows(outer, parts, widths, out): out [outer, sum widths] = the parts [outer, widths[i]] side by side.
Napi::Value ConcatRows(const Napi::CallbackInfo& info) {
  Args args(info, "concatRows", 4);
  int64_t outer = args.integer(0, "outer", 1, kMaxDim);
  auto out = args.floats(3, "out");
  Parts p = parts(args, outer, 1, 2, out);
  std::vector<const float*> src(p.data.begin(), p.data.end());
  concat_rows(outer, static_cast<int64_t>(src.size()), src.data(), p.width.data(), out.data);
  return info.Env().Undefined();
}

// splitRows(outer, x, widths, parts): the inverse of concatRows.
Napi::Value SplitRows(const Napi::CallbackInfo& info) {
  Args args(info, "splitRows", 4);
  int64_t outer = args.integer(0, "outer", 1, kMaxDim);
  auto x = args.floats(1, "x");
  Parts p = parts(args, outer, 3, 2, x);
  split_rows(outer, static_cast<int64_t>(p.data.size()), x.data, p.width.data(), p.data.data());
  return info.Env().Undefined();
}

CONVKIT_BIND("biasAdd", BiasAdd);
CONVKIT_BIND("biasGrad", BiasGrad);
CONVKIT_BIND("addScaled", AddScaled);
CONVKIT_BIND("concatRows", ConcatRows);
CONVKIT_BIND("splitRows", SplitRows);

}  // namespace
}  // namespace convkit::binding
