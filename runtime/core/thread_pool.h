// ThreadPool: a fixed set of worker threads created once, and an allocation-free ParallelFor.
//
// Work is split into `num_tasks` indices; the caller and the workers claim indices from an atomic
// counter. A kernel stays deterministic (bit-identical run to run) as long as what it computes for
// task i depends only on i, never on which thread ran it; reductions must combine per-task
// partials in index order, not per-thread partials.
#ifndef TIDEMARK_RUNTIME_CORE_THREAD_POOL_H_
#define TIDEMARK_RUNTIME_CORE_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "tidemark/status.h"

namespace tidemark {

class ThreadPool {
public:
  // Starts worker number `worker` (1-based) running `body`, and returns its thread. Throws
  // std::system_error when the system cannot create a thread, as std::thread's constructor does.
  // The default starts a std::thread; tests pass one that fails on purpose.
  using ThreadStarter = std::function<std::thread(int worker, std::function<void()> body)>;

  // Creates `num_threads - 1` workers (the calling thread is the last one); num_threads < 1 counts
  // as 1. If a worker cannot be started (std::system_error, e.g. EAGAIN when the process has no
  // address space left for another stack, or std::bad_alloc), the workers already started are
  // stopped and joined, the pool runs every task on the calling thread (num_threads() == 1), and
  // start_status() says what failed. Never throws.
  explicit ThreadPool(int num_threads, const ThreadStarter &starter = nullptr);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  // Number of threads that run tasks, the caller included.
  int num_threads() const { return num_threads_; }
  // OK, or ResourceExhausted naming the worker that could not be started and the system's reason.
  const Status &start_status() const { return start_status_; }

  // Calls fn(task) for every task in [0, num_tasks), spread over all threads, and returns when all
  // are done. `fn` must be callable concurrently. No heap allocation. Not reentrant: fn must not
  // call ParallelFor on the same pool (nested calls run serially on the calling thread instead).
  template <typename Fn> void ParallelFor(int64_t num_tasks, const Fn &fn) {
    if (num_tasks <= 0)
      return;
    if (num_tasks == 1 || num_threads_ == 1 || in_parallel_region_) {
      for (int64_t i = 0; i < num_tasks; ++i)
        fn(i);
      return;
    }
    Run(num_tasks, &Trampoline<Fn>, &fn);
  }

private:
  using TaskFn = void (*)(const void *closure, int64_t task);
  template <typename Fn> static void Trampoline(const void *closure, int64_t task) {
    (*static_cast<const Fn *>(closure))(task);
  }

  void Run(int64_t num_tasks, TaskFn fn, const void *closure);
  void WorkerLoop();
  void DrainTasks();
  void StopWorkers();

  int num_threads_;
  Status start_status_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  uint64_t generation_ = 0; // Bumped for every Run; workers wait for a new generation.
  int workers_busy_ = 0;    // Workers still inside the current generation.
  bool stop_ = false;
  // The current job (valid while a generation is running).
  TaskFn fn_ = nullptr;
  const void *closure_ = nullptr;
  int64_t num_tasks_ = 0;
  std::atomic<int64_t> next_task_{0};
  static thread_local bool in_parallel_region_;
};

// pool->ParallelFor(num_tasks, fn), or the tasks in order on the calling thread when `pool` is
// nullptr (kernels accept a null pool).
template <typename Fn> void RunTasks(ThreadPool *pool, int64_t num_tasks, const Fn &fn) {
  if (pool != nullptr) {
    pool->ParallelFor(num_tasks, fn);
    return;
  }
  for (int64_t task = 0; task < num_tasks; ++task)
    fn(task);
}

} // namespace tidemark

#endif // TIDEMARK_RUNTIME_CORE_THREAD_POOL_H_
