#include "runtime/cpu.h"

#include <atomic>

namespace convkit {
namespace {

std::atomic<int> default_isa{-1};
thread_local int thread_isa = -1;

Isa detect() {
#if defined(CONVKIT_X86_KERNELS)
  // libgcc's checks include the OS's XSAVE state, so a feature reported here is usable.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    return Isa::avx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
#endif
  return Isa::generic;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "generic";
  }
}

bool parse_isa(const std::string& text, Isa* out) {
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
    if (text == isa_name(isa)) {
      *out = isa;
      return true;
    }
  }
  return false;
}

Isa best_isa() {
  static const Isa best = detect();
  return best;
}

bool isa_supported(Isa isa) { return static_cast<int>(isa) <= static_cast<int>(best_isa()); }

Isa current_isa() {
  if (thread_isa >= 0) return static_cast<Isa>(thread_isa);
  int d = default_isa.load(std::memory_order_relaxed);
  return d >= 0 ? static_cast<Isa>(d) : best_isa();
}

void set_default_isa(Isa isa) { default_isa.store(static_cast<int>(isa)); }
void set_thread_isa(Isa isa) { thread_isa = static_cast<int>(isa); }

}  // namespace convkit
