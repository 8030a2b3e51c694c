// ThreadPool: every task runs exactly once, on any thread count, and nested calls run serially.
#include "runtime/core/thread_pool.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace tidemark {
namespace {

TEST(ThreadPoolTest, EveryTaskRunsExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    for (int64_t tasks : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(tasks));
      pool.ParallelFor(tasks, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
      for (int64_t i = 0; i < tasks; ++i)
        EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1);
    }
  }
}

TEST(ThreadPoolTest, RepeatedJobsSeeTheirOwnClosure) {
  ThreadPool pool(4);
  for (int round = 0; round < 200; ++round) {
    std::atomic<int64_t> sum{0};
    pool.ParallelFor(64, [&](int64_t i) { sum.fetch_add(i + round); });
    EXPECT_EQ(sum.load(), 64 * 63 / 2 + 64 * round);
  }
}

TEST(ThreadPoolTest, NestedParallelForRunsSerially) {
  ThreadPool pool(3);
  std::atomic<int> inner{0};
  pool.ParallelFor(6, [&](int64_t) { pool.ParallelFor(5, [&](int64_t) { inner.fetch_add(1); }); });
  EXPECT_EQ(inner.load(), 30);
}

TEST(ThreadPoolTest, NonPositiveThreadCountMeansOne) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.num_threads(), 1);
  int count = 0;
  pool.ParallelFor(5, [&](int64_t) { ++count; });
  EXPECT_EQ(count, 5);
}

} // namespace
} // namespace tidemark
