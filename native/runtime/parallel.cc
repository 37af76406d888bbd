#include "runtime/parallel.h"

#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/cpu.h"

namespace convkit {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// How long an idle worker spins before it sleeps: kernels of a training step come back to
// back, and a futex wake-up costs more than a small layer's whole computation.
constexpr auto kSpin = std::chrono::microseconds(200);

thread_local bool in_job = false;

// One job at a time. The caller waits for its chunks, not for every worker: a worker that was
// descheduled and never joined must not hold the caller. So a worker joins only while the job
// is open for the generation it woke for, counted in `active`; the caller closes the job once
// every chunk is done and waits for `active` to drain before the fields are reused.
struct Job {
  FunctionRef<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0;
  int chunks = 0;
  Isa isa = Isa::generic;
  // Chunk c is first offered to thread c (0 = the caller), so a kernel that follows another
  // over the same split finds its part of the data in its own core's L2; a chunk whose thread
  // has not joined yet is taken by whichever thread finishes first.
  std::unique_ptr<std::atomic<bool>[]> claimed;
  std::atomic<int> done{0};
  std::atomic<uint64_t> open{0};  // the generation workers may join; 0 = closed
  std::atomic<int> active{0};     // workers inside the job
  // The first exception a chunk threw (e.g. std::bad_alloc); rethrown on the calling thread.
  std::mutex error_mu;
  std::exception_ptr error;
};

class Pool {
 public:
  explicit Pool(int threads) { start(threads); }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    std::lock_guard<std::mutex> submit(submit_mu_);
    stop_all();
    start(threads);
  }

  void run(int64_t n, int chunks, FunctionRef<void(int64_t, int64_t)> fn) {
    std::unique_lock<std::mutex> submit(submit_mu_, std::try_to_lock);
    if (!submit.owns_lock() || workers_.empty()) return run_inline(n, chunks, fn);
    job_.fn = &fn;
    job_.n = n;
    job_.chunks = chunks;
    job_.isa = current_isa();
    for (int c = 0; c < chunks; ++c) job_.claimed[c].store(false, std::memory_order_relaxed);
    job_.done.store(0, std::memory_order_relaxed);
    job_.error = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      uint64_t generation = generation_.fetch_add(1, std::memory_order_relaxed) + 1;
      job_.open.store(generation, std::memory_order_seq_cst);
    }
    cv_.notify_all();
    in_job = true;
    take_chunks(0);
    in_job = false;
    wait_until([&] { return job_.done.load(std::memory_order_acquire) == chunks; });
    job_.open.store(0, std::memory_order_seq_cst);
    wait_until([&] { return job_.active.load(std::memory_order_seq_cst) == 0; });
    if (job_.error) std::rethrow_exception(job_.error);
  }

  static void run_inline(int64_t n, int chunks, FunctionRef<void(int64_t, int64_t)> fn) {
    for (int c = 0; c < chunks; ++c) fn(n * c / chunks, n * (c + 1) / chunks);
  }

 private:
  void start(int threads) {
    stop_ = false;
    // The generation is read here, not in the thread: a job published before the thread
    // first runs must still be seen as new.
    uint64_t seen = generation_.load(std::memory_order_acquire);
    job_.claimed = std::make_unique<std::atomic<bool>[]>(threads);
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i, seen] { worker_loop(i, seen); });
  }

  void stop_all() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  // Spins for kSpin, then yields; the clock is read every 64 spins (a read costs about as much
  // as the check itself).
  template <typename Done>
  static void wait_until(Done done) {
    auto start = std::chrono::steady_clock::now();
    bool spin = true;
    for (int i = 1; !done(); ++i) {
      if (spin && (i & 63) == 0) spin = std::chrono::steady_clock::now() - start < kSpin;
      if (spin) cpu_relax();
      else std::this_thread::yield();
    }
  }

  // Runs chunk `self` if no thread took it yet, then any chunk still free.
  void take_chunks(int self) {
    const int chunks = job_.chunks;
    if (self < chunks) take_chunk(self);
    for (int c = 0; c < chunks; ++c) take_chunk(c);
  }

  void take_chunk(int c) {
    if (job_.claimed[c].load(std::memory_order_relaxed) ||
        job_.claimed[c].exchange(true, std::memory_order_acq_rel))
      return;
    const int64_t n = job_.n;
    const int chunks = job_.chunks;
    try {
      (*job_.fn)(n * c / chunks, n * (c + 1) / chunks);
    } catch (...) {  // an exception must not escape a pool thread
      std::lock_guard<std::mutex> lock(job_.error_mu);
      if (!job_.error) job_.error = std::current_exception();
    }
    job_.done.fetch_add(1, std::memory_order_release);
  }

  uint64_t wait_for_job(uint64_t seen) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0;; ++i) {
      uint64_t g = generation_.load(std::memory_order_acquire);
      if (g != seen) return g;
      if ((i & 63) == 0 && std::chrono::steady_clock::now() - start > kSpin) break;
      cpu_relax();
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
    return generation_.load(std::memory_order_acquire);
  }

  void worker_loop(int self, uint64_t seen) {
    in_job = true;  // a kernel called from a job runs its own parallel_for inline
    for (;;) {
      seen = wait_for_job(seen);
      if (stop_) return;
      job_.active.fetch_add(1, std::memory_order_seq_cst);
      if (job_.open.load(std::memory_order_seq_cst) == seen) {
        set_thread_isa(job_.isa);
        take_chunks(self);
      }
      job_.active.fetch_sub(1, std::memory_order_release);
    }
  }

  std::mutex submit_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
  std::vector<std::thread> workers_;
  Job job_;
};

int count_list(const std::string& list) {  // "0-3,8" -> 5
  int count = 0;
  size_t pos = 0;
  while (pos < list.size()) {
    size_t comma = list.find(',', pos);
    std::string part = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t dash = part.find('-');
    count += dash == std::string::npos ? 1 : std::stoi(part.substr(dash + 1)) - std::stoi(part) + 1;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return count;
}

Pool& pool() {
  // Never destroyed: worker threads may still be parked when the process exits.
  static Pool* p = new Pool(physical_cores());
  return *p;
}

}  // namespace

int physical_cores() {
  cpu_set_t set;
  int available = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                                 : static_cast<int>(std::thread::hardware_concurrency());
  int smt = 1;
  std::ifstream siblings("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list");
  std::string list;
  if (siblings >> list) {
    try {
      smt = std::max(1, count_list(list));
    } catch (...) {
      smt = 1;
    }
  }
  return std::max(1, available / smt);
}

int num_threads() { return pool().threads(); }

void set_num_threads(int n) {
  if (n != pool().threads()) pool().resize(n);
}

void parallel_for(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int64_t by_grain = (n + grain - 1) / grain;
  int threads = num_threads();
  int chunks = static_cast<int>(by_grain < threads ? by_grain : threads);
  if (chunks == 1) return fn(0, n);
  if (in_job) return Pool::run_inline(n, chunks, fn);
  pool().run(n, chunks, fn);
}

}  // namespace convkit
