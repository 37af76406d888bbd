// Runtime controls: threads, instruction set, build facts.
#include <napi.h>

#include "binding/args.h"
#include "runtime/cpu.h"
#include "runtime/parallel.h"

namespace convkit::binding {
namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("isa", isa_name(current_isa()));
  out.Set("bestIsa", isa_name(best_isa()));
  Napi::Array supported = Napi::Array::New(env);
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
    if (isa_supported(isa)) supported.Set(supported.Length(), isa_name(isa));
  }
  out.Set("supportedIsas", supported);
  out.Set("numThreads", num_threads());
  out.Set("physicalCores", physical_cores());
  out.Set("napiVersion", NAPI_VERSION);
  out.Set("compiler", __VERSION__);
  return out;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args args(info, "setNumThreads", 1);
  set_num_threads(static_cast<int>(args.integer(0, "n", 1, 1024)));
  return info.Env().Undefined();
}

// Per JS thread, so that test files running side by side in worker threads each force theirs.
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Args args(info, "setIsa", 1);
  std::string name = args.string(0, "isa");
  Isa isa;
  if (!parse_isa(name, &isa)) args.range_error("'" + name + "' is not an ISA: use generic, avx2 or avx512");
  if (!isa_supported(isa)) {
    args.range_error("'" + name + "' is not supported by this CPU or build (best: " + isa_name(best_isa()) + ")");
  }
  set_thread_isa(isa);
  return info.Env().Undefined();
}

CONVKIT_BIND("info", Info);
CONVKIT_BIND("setNumThreads", SetNumThreads);
CONVKIT_BIND("setIsa", SetIsa);

}  // namespace
}  // namespace convkit::binding
