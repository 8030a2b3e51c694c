// ThreadPool implementation: one condition variable to start a job, one to finish it.
#include "runtime/core/thread_pool.h"

#include <new>
#include <string>
#include <system_error>

namespace tidemark {

thread_local bool ThreadPool::in_parallel_region_ = false;

namespace {

// The start_status() of a pool whose worker `worker` of `total` could not start. Building the
// message allocates; if even that fails, a short message that needs no allocation.
Status startFailure(int worker, int total, const char *reason) noexcept {
  try {
    return ResourceExhausted("cannot start worker thread " + std::to_string(worker) + " of " +
                             std::to_string(total) + ": " + reason);
  } catch (...) {
    return Status(StatusCode::kResourceExhausted, "no thread");
  }
}

} // namespace

ThreadPool::ThreadPool(int num_threads, const ThreadStarter &starter)
    : num_threads_(num_threads < 1 ? 1 : num_threads) {
  int worker = 1;
  try {
    workers_.reserve(static_cast<size_t>(num_threads_ - 1));
    for (; worker < num_threads_; ++worker) {
      std::function<void()> body = [this] { WorkerLoop(); };
      std::thread thread =
          starter ? starter(worker, std::move(body)) : std::thread(std::move(body));
      if (!thread.joinable())
        throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                                "the thread starter returned no thread");
      workers_.push_back(std::move(thread)); // Never reallocates (reserved above).
    }
    return;
  } catch (const std::system_error &error) {
    start_status_ = startFailure(worker, num_threads_ - 1, error.what());
  } catch (const std::bad_alloc &) {
    start_status_ = startFailure(worker, num_threads_ - 1, "out of memory");
  }
  // Unwinding with workers waiting on the condition variables would destroy them under the
  // workers' feet (and a joinable std::thread terminates the process): stop and join instead.
  StopWorkers();
  num_threads_ = 1;
}

ThreadPool::~ThreadPool() { StopWorkers(); }

void ThreadPool::StopWorkers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_ready_.notify_all();
  for (std::thread &worker : workers_)
    if (worker.joinable())
      worker.join();
  workers_.clear();
}

void ThreadPool::DrainTasks() {
  in_parallel_region_ = true;
  for (;;) {
    const int64_t task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= num_tasks_)
      break;
    fn_(closure_, task);
  }
  in_parallel_region_ = false;
}

void ThreadPool::Run(int64_t num_tasks, TaskFn fn, const void *closure) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = fn;
    closure_ = closure;
    num_tasks_ = num_tasks;
    next_task_.store(0, std::memory_order_relaxed);
    workers_busy_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  work_ready_.notify_all();
  DrainTasks();
  std::unique_lock<std::mutex> lock(mutex_);
  work_done_.wait(lock, [this] { return workers_busy_ == 0; });
}

void ThreadPool::WorkerLoop() {
  uint64_t seen_generation = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [&] { return stop_ || generation_ != seen_generation; });
      if (stop_)
        return;
      seen_generation = generation_;
    }
    DrainTasks();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--workers_busy_ == 0)
        work_done_.notify_one();
    }
  }
}

} // namespace tidemark
