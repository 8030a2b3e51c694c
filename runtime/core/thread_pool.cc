// ThreadPool implementation: one condition variable to start a job, one to finish it.
#include "runtime/core/thread_pool.h"

namespace tidemark {

thread_local bool ThreadPool::in_parallel_region_ = false;

ThreadPool::ThreadPool(int num_threads) : num_threads_(num_threads < 1 ? 1 : num_threads) {
  workers_.reserve(num_threads_ - 1);
  for (int i = 1; i < num_threads_; ++i)
    workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_ready_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
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
