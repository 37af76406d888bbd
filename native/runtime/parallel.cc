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

using Chunk = FunctionRef<void(int64_t, int64_t)>;
constexpr auto kNoJob = [](int64_t, int64_t) {};

// One job at a time, published in one cache line: a worker that sees the generation change
// finds everything it needs in the same line, so starting a job costs the worker one line
// from the caller's core, not a chain of them (a LeNet-5 layer's whole chunk is ~20 us).
//
// Claims make late workers harmless: after job g every claim holds g, so chunk c of job g is
// taken by whoever turns claims[c] from g - 1 into g, and a worker that woke for an older job
// fails every claim. The caller claims chunk 0 (and every chunk beyond `chunks`) as it posts.
// Thread c claims chunk c first, so a kernel that follows another over the same split finds its
// part of the data in its own core's L2; a chunk whose thread has not joined yet is taken by
// whichever thread finishes first. The caller waits for `done` only, never for a worker that did
// not join.
struct alignas(64) Job {
  std::atomic<uint32_t> generation{0};
  std::atomic<uint32_t> done{0};
  std::atomic<int32_t> sleepers{0};  // workers waiting on the condition variable
  int32_t chunks = 0;
  std::atomic<Isa> isa{Isa::generic};  // read before a claim, to set the worker's ISA
  int32_t threads = 1;                 // the pool's, fixed while its workers run
  int64_t n = 0;
  Chunk fn{kNoJob};  // read only by a thread that holds a claim of the job
  std::atomic<uint32_t>* claims = nullptr;  // one per thread: inline for two, else `more`
  std::atomic<uint32_t> inline_claims[2];
};
static_assert(sizeof(Job) == 64, "the job is one cache line");

class Pool {
 public:
  explicit Pool(int threads) { start(threads); }

  int threads() const { return job_.threads; }

  void resize(int threads) {
    std::lock_guard<std::mutex> submit(submit_mu_);
    stop_all();
    start(threads);
  }

  void run(int64_t n, int chunks, Chunk fn) {
    std::unique_lock<std::mutex> submit(submit_mu_, std::try_to_lock);
    if (!submit.owns_lock() || workers_.empty()) return run_inline(n, chunks, fn);
    const uint32_t g = post(n, chunks, fn);
    in_job = true;
    run_chunk(0);  // claimed by post
    take_chunks(g, 0);
    in_job = false;
    wait_until([&] { return job_.done.load(std::memory_order_acquire) == static_cast<uint32_t>(chunks); });
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

  static void run_inline(int64_t n, int chunks, Chunk fn) {
    for (int c = 0; c < chunks; ++c) fn(n * c / chunks, n * (c + 1) / chunks);
  }

 private:
  void start(int threads) {
    stop_ = false;
    job_.threads = threads;
    more_claims_.reset();
    job_.claims = job_.inline_claims;
    if (threads > 2) {
      more_claims_ = std::make_unique<std::atomic<uint32_t>[]>(threads);
      job_.claims = more_claims_.get();
    }
    // Every claim holds the last generation; workers start from it too, so that a job
    // published before a thread first runs is still new to it.
    const uint32_t g = job_.generation.load(std::memory_order_relaxed);
    for (int c = 0; c < threads; ++c) job_.claims[c].store(g, std::memory_order_relaxed);
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i, g] { worker_loop(i, g); });
  }

  void stop_all() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      job_.generation.fetch_add(1, std::memory_order_seq_cst);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  // Publishes job g, returned: its fields, the caller's claims, then the generation.
  uint32_t post(int64_t n, int chunks, Chunk fn) {
    const uint32_t g = job_.generation.load(std::memory_order_relaxed) + 1;
    job_.fn = fn;
    job_.n = n;
    job_.chunks = chunks;
    job_.isa.store(current_isa(), std::memory_order_relaxed);
    job_.done.store(0, std::memory_order_relaxed);
    job_.claims[0].store(g, std::memory_order_relaxed);
    for (int c = chunks; c < threads(); ++c) job_.claims[c].store(g, std::memory_order_relaxed);
    job_.generation.store(g, std::memory_order_seq_cst);
    // Pairs with a worker's sleepers increment before it checks the generation (seq_cst on
    // both sides): either it sees g, or this sees it and wakes it.
    if (job_.sleepers.load(std::memory_order_seq_cst) > 0) {
      { std::lock_guard<std::mutex> lock(mu_); }
      cv_.notify_all();
    }
    return g;
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

  // Claims chunk c of job g; false if it is taken, or g is no longer the job.
  bool claim(uint32_t g, int c) {
    uint32_t expected = g - 1;
    return job_.claims[c].load(std::memory_order_relaxed) == expected &&
           job_.claims[c].compare_exchange_strong(expected, g, std::memory_order_acq_rel);
  }

  // Chunk `self` of job g if no thread took it yet, then any chunk still free.
  void take_chunks(uint32_t g, int self) {
    if (claim(g, self)) run_chunk(self);
    for (int c = 1; c < threads(); ++c) {
      if (claim(g, c)) run_chunk(c);
    }
  }

  void run_chunk(int c) {
    const int64_t n = job_.n;
    const int chunks = job_.chunks;
    try {
      job_.fn(n * c / chunks, n * (c + 1) / chunks);
    } catch (...) {  // an exception must not escape a pool thread
      std::lock_guard<std::mutex> lock(error_mu_);
      if (!error_) error_ = std::current_exception();
    }
    job_.done.fetch_add(1, std::memory_order_release);
  }

  uint32_t wait_for_job(uint32_t seen) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0;; ++i) {
      uint32_t g = job_.generation.load(std::memory_order_acquire);
      if (g != seen) return g;
      if ((i & 63) == 0 && std::chrono::steady_clock::now() - start > kSpin) break;
      cpu_relax();
    }
    std::unique_lock<std::mutex> lock(mu_);
    job_.sleepers.fetch_add(1, std::memory_order_seq_cst);
    cv_.wait(lock, [&] { return job_.generation.load(std::memory_order_seq_cst) != seen; });
    job_.sleepers.fetch_sub(1, std::memory_order_relaxed);
    return job_.generation.load(std::memory_order_acquire);
  }

  void worker_loop(int self, uint32_t seen) {
    in_job = true;  // a kernel called from a job runs its own parallel_for inline
    for (;;) {
      seen = wait_for_job(seen);
      if (stop_) return;
      set_thread_isa(job_.isa.load(std::memory_order_relaxed));
      take_chunks(seen, self);
    }
  }

  Job job_;
  std::mutex submit_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // written under mu_ before the generation moves
  std::vector<std::thread> workers_;
  std::unique_ptr<std::atomic<uint32_t>[]> more_claims_;
  // The first exception a chunk threw (e.g. std::bad_alloc); rethrown on the calling thread.
  std::mutex error_mu_;
  std::exception_ptr error_;
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
