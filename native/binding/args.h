// Argument checking for the N-API glue: every length and shape that comes from JavaScript is
// checked here before a kernel sees a pointer. Errors are TypeError/RangeError naming the
// function and the argument.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

namespace convkit::binding {

template <typename T>
struct View {
  T* data;
  size_t size;
};

class Args {
 public:
  // Checks that at least `count` arguments were passed.
  Args(const Napi::CallbackInfo& info, const char* fn, size_t count);

  Napi::Env env() const { return info_.Env(); }
  size_t count() const { return info_.Length(); }
  const Napi::CallbackInfo& info() const { return info_; }

  View<float> floats(size_t i, const char* name) const;
  View<int32_t> int32s(size_t i, const char* name) const;
  View<uint8_t> uint8s(size_t i, const char* name) const;
  // An integer in [lo, hi]; sizes use lo >= 1, hi = kMaxDim.
  int64_t integer(size_t i, const char* name, int64_t lo, int64_t hi) const;
  double number(size_t i, const char* name) const;  // finite
  bool boolean(size_t i, const char* name) const;
  std::string string(size_t i, const char* name) const;
  bool is_null(size_t i) const { return i >= count() || info_[i].IsNull() || info_[i].IsUndefined(); }

  // RangeError unless view.size == expected; `formula` says where `expected` comes from,
  // e.g. "M*K".
  template <typename T>
  void expect_size(const View<T>& view, uint64_t expected, const char* name, const char* formula) const {
    if (view.size != expected) size_error(name, view.size, expected, formula);
  }

  [[noreturn]] void type_error(const std::string& message) const;
  [[noreturn]] void range_error(const std::string& message) const;

 private:
  template <typename T, napi_typedarray_type kType>
  View<T> typed(size_t i, const char* name, const char* type_name) const;
  [[noreturn]] void size_error(const char* name, uint64_t got, uint64_t expected, const char* formula) const;

  const Napi::CallbackInfo& info_;
  const char* fn_;
};

// Largest size along one dimension, and of one buffer, that a kernel accepts.
constexpr int64_t kMaxDim = int64_t{1} << 31;
constexpr uint64_t kMaxElements = uint64_t{1} << 40;

// a*b*..., or a RangeError when the product exceeds kMaxElements.
uint64_t product(const Args& args, std::initializer_list<int64_t> sizes, const char* what);

using Binding = Napi::Value (*)(const Napi::CallbackInfo&);

// Each binding file registers its functions with CONVKIT_BIND; the module init exports them.
struct Register {
  Register(const char* name, Binding fn);
};
void export_all(Napi::Env env, Napi::Object exports);

#define CONVKIT_BIND_CAT2(a, b) a##b
#define CONVKIT_BIND_CAT(a, b) CONVKIT_BIND_CAT2(a, b)
#define CONVKIT_BIND(name, fn) \
  static ::convkit::binding::Register CONVKIT_BIND_CAT(convkit_register_, __LINE__)(name, fn)

}  // namespace convkit::binding
