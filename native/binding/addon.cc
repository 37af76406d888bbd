// Module entry. Node-API modules are context-aware: this runs once per JS thread (main or
// worker) that loads the addon, and keeps no per-thread state of its own.
#include <napi.h>

#include <cstdlib>
#include <mutex>
#include <string>

#include "binding/args.h"
#include "runtime/cpu.h"
#include "runtime/parallel.h"

namespace convkit::binding {
namespace {

// Applies CONVKIT_ISA and CONVKIT_NUM_THREADS once per process; returns an error text, or "".
std::string apply_environment() {
  if (const char* text = std::getenv("CONVKIT_ISA"); text && *text) {
    Isa isa;
    if (!parse_isa(text, &isa)) return std::string("CONVKIT_ISA='") + text + "': use generic, avx2 or avx512";
    if (!isa_supported(isa)) {
      return std::string("CONVKIT_ISA=") + text + " is not supported by this CPU or build (best: " +
             isa_name(best_isa()) + ")";
    }
    set_default_isa(isa);
  }
  if (const char* text = std::getenv("CONVKIT_NUM_THREADS"); text && *text) {
    char* end = nullptr;
    long n = std::strtol(text, &end, 10);
    if (*end != '\0' || n < 1 || n > 1024) {
      return std::string("CONVKIT_NUM_THREADS='") + text + "': use a whole number from 1 to 1024";
    }
    set_num_threads(static_cast<int>(n));
  }
  return "";
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  static std::once_flag once;
  static std::string env_error;
  std::call_once(once, [] { env_error = apply_environment(); });
  if (!env_error.empty()) throw Napi::Error::New(env, "convkit: " + env_error);
  export_all(env, exports);
  return exports;
}

}  // namespace convkit::binding

static Napi::Object InitConvkit(Napi::Env env, Napi::Object exports) {
  return convkit::binding::Init(env, exports);
}

NODE_API_MODULE(convkit, InitConvkit)
