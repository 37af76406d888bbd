#include "binding/args.h"

#include <cmath>
#include <new>
#include <vector>

namespace convkit::binding {

Args::Args(const Napi::CallbackInfo& info, const char* fn, size_t count) : info_(info), fn_(fn) {
  if (info.Length() < count) {
    type_error(std::to_string(count) + " arguments expected, got " + std::to_string(info.Length()));
  }
}

void Args::type_error(const std::string& message) const {
  throw Napi::TypeError::New(env(), std::string(fn_) + ": " + message);
}

void Args::range_error(const std::string& message) const {
  throw Napi::RangeError::New(env(), std::string(fn_) + ": " + message);
}

void Args::size_error(const char* name, uint64_t got, uint64_t expected, const char* formula) const {
  range_error(std::string("'") + name + "' has " + std::to_string(got) + " elements, expected " + formula +
              " = " + std::to_string(expected));
}

template <typename T, napi_typedarray_type kType>
View<T> Args::typed(size_t i, const char* name, const char* type_name) const {
  if (i >= count() || !info_[i].IsTypedArray() || info_[i].As<Napi::TypedArray>().TypedArrayType() != kType) {
    type_error(std::string("'") + name + "' must be a " + type_name);
  }
  auto array = info_[i].As<Napi::TypedArrayOf<T>>();
  return {array.Data(), array.ElementLength()};
}

View<float> Args::floats(size_t i, const char* name) const {
  return typed<float, napi_float32_array>(i, name, "Float32Array");
}
View<int32_t> Args::int32s(size_t i, const char* name) const {
  return typed<int32_t, napi_int32_array>(i, name, "Int32Array");
}
View<uint8_t> Args::uint8s(size_t i, const char* name) const {
  return typed<uint8_t, napi_uint8_array>(i, name, "Uint8Array");
}

int64_t Args::integer(size_t i, const char* name, int64_t lo, int64_t hi) const {
  if (i >= count() || !info_[i].IsNumber()) type_error(std::string("'") + name + "' must be a number");
  double v = info_[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v != std::floor(v)) type_error(std::string("'") + name + "' must be an integer");
  if (v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
    range_error(std::string("'") + name + "' = " + std::to_string(static_cast<long long>(v)) + " is outside [" +
                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int64_t>(v);
}

double Args::number(size_t i, const char* name) const {
  if (i >= count() || !info_[i].IsNumber()) type_error(std::string("'") + name + "' must be a number");
  double v = info_[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v)) range_error(std::string("'") + name + "' must be finite");
  return v;
}

bool Args::boolean(size_t i, const char* name) const {
  if (i >= count() || !info_[i].IsBoolean()) type_error(std::string("'") + name + "' must be a boolean");
  return info_[i].As<Napi::Boolean>().Value();
}

std::string Args::string(size_t i, const char* name) const {
  if (i >= count() || !info_[i].IsString()) type_error(std::string("'") + name + "' must be a string");
  return info_[i].As<Napi::String>().Utf8Value();
}

uint64_t product(const Args& args, std::initializer_list<int64_t> sizes, const char* what) {
  uint64_t p = 1;
  for (int64_t s : sizes) {
    if (s < 0) args.range_error(std::string(what) + " has a negative size");
    if (s != 0 && p > kMaxElements / static_cast<uint64_t>(s)) {
      args.range_error(std::string(what) + " is too large");
    }
    p *= static_cast<uint64_t>(s);
  }
  return p;
}

namespace {

struct Entry {
  const char* name;
  Binding fn;
};

std::vector<Entry>& registry() {
  static std::vector<Entry> r;
  return r;
}

// Every binding runs through this: a C++ exception that is not a JS error (std::bad_alloc from
// a kernel's buffers, say) becomes one naming the function, instead of ending the process.
Napi::Value call(const Napi::CallbackInfo& info) {
  const auto* entry = static_cast<const Entry*>(info.Data());
  try {
    return entry->fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(info.Env(), std::string(entry->name) + ": out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string(entry->name) + ": " + e.what());
  }
}

}  // namespace

Register::Register(const char* name, Binding fn) { registry().push_back({name, fn}); }

void export_all(Napi::Env env, Napi::Object exports) {
  // Registration ends before the module initialises, so entries keep their addresses.
  for (Entry& entry : registry()) exports.Set(entry.name, Napi::Function::New(env, call, entry.name, &entry));
}

}  // namespace convkit::binding
