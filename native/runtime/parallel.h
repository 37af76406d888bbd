// The process-wide thread pool that every kernel splits its work over.
#pragma once
#include <cstdint>
#include <type_traits>
#include <utility>

namespace convkit {

// A non-owning reference to a callable: no allocation per call, unlike std::function.
template <typename Sig>
class FunctionRef;

template <typename R, typename... A>
class FunctionRef<R(A...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT: implicit by design, like std::function
      : obj_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* obj, A... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(obj))(std::forward<A>(args)...);
        }) {}
  R operator()(A... args) const { return call_(obj_, std::forward<A>(args)...); }

 private:
  void* obj_;
  R (*call_)(void*, A...);
};

// Physical cores available to this process (SMT siblings counted once).
int physical_cores();
int num_threads();
// Resizes the pool; n >= 1. Waits for a job in flight to finish.
void set_num_threads(int n);

// Calls fn(begin, end) on contiguous chunks covering [0, n), at least `grain` items each
// (but the last), at most num_threads() chunks. The chunks depend only on n, grain and
// num_threads(), never on timing: a kernel whose chunks write disjoint outputs gives the same
// bits for a given thread count. A call made from inside a job, or while another JS thread
// holds the pool, runs the same chunks on the calling thread. An exception thrown by a chunk
// (std::bad_alloc, say) is rethrown on the calling thread once every chunk has finished.
void parallel_for(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn);

}  // namespace convkit
