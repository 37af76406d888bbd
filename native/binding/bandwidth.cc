#include <napi.h>

#include "binding/args.h"
#include "kernels/bandwidth.h"

namespace convkit::binding {
namespace {

// streamTriad(a, b, c, s, allThreads): a = b + s c, on this thread or over the pool.
Napi::Value StreamTriad(const Napi::CallbackInfo& info) {
  Args args(info, "streamTriad", 5);
  auto a = args.floats(0, "a");
  auto b = args.floats(1, "b");
  auto c = args.floats(2, "c");
  float s = static_cast<float>(args.number(3, "s"));
  bool all = args.boolean(4, "allThreads");
  args.expect_size(b, a.size, "b", "a.length");
  args.expect_size(c, a.size, "c", "a.length");
  stream_triad(static_cast<int64_t>(a.size), s, a.data, b.data, c.data, all);
  return info.Env().Undefined();
}

CONVKIT_BIND("streamTriad", StreamTriad);

}  // namespace
}  // namespace convkit::binding
