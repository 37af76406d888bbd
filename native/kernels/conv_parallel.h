// parallel_for for the conv and pool families, whose chunks grow per-thread buffers and call
// sgemm, either of which can run out of memory.
#pragma once
#include <atomic>
#include <cstdint>
#include <new>

#include "runtime/parallel.h"

namespace convkit {

// parallel_for, with a std::bad_alloc of any chunk caught there (an exception must not escape
// a pool worker) and rethrown on the calling thread once every chunk has finished.
inline void parallel_for_or_throw(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn) {
  std::atomic<bool> failed{false};
  parallel_for(n, grain, [&](int64_t begin, int64_t end) {
    try {
      fn(begin, end);
    } catch (const std::bad_alloc&) {
      failed = true;
    }
  });
  if (failed) throw std::bad_alloc();
}

}  // namespace convkit
