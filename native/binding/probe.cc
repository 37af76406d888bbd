#include <napi.h>

#include "binding/args.h"
#include "kernels/probe.h"
#include "runtime/cpu.h"

namespace convkit::binding {
namespace {

// fmaPeak(seconds) -> {isa, threads, oneThread, allThreads}: measured FP32 FMA GFLOP/s.
Napi::Value FmaPeakBinding(const Napi::CallbackInfo& info) {
  Args args(info, "fmaPeak", 1);
  const double seconds = args.number(0, "seconds");
  if (seconds <= 0 || seconds > 60) args.range_error("'seconds' = " + std::to_string(seconds) + " is outside (0, 60]");
  const FmaPeak peak = fma_peak(seconds);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("isa", isa_name(current_isa()));
  out.Set("threads", peak.threads);
  out.Set("oneThread", peak.one_thread);
  out.Set("allThreads", peak.all_threads);
  return out;
}

CONVKIT_BIND("fmaPeak", FmaPeakBinding);

}  // namespace
}  // namespace convkit::binding
