// Zero heap allocation per step: global operator new/delete and the malloc family are replaced by
// counting versions, and 100 steps after the first must not call any of them.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "plan_test_plans.h"
#include "tidemark/runtime.h"
#include "gtest/gtest.h"

// glibc's own entry points, so the replacements below can forward without recursing.
extern "C" void *__libc_malloc(size_t size);
extern "C" void *__libc_calloc(size_t count, size_t size);
extern "C" void *__libc_realloc(void *ptr, size_t size);
extern "C" void *__libc_memalign(size_t alignment, size_t size);
extern "C" void __libc_free(void *ptr);

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_new_calls{0};
std::atomic<long> g_malloc_calls{0};
std::atomic<size_t> g_largest_request{0}; // Largest size asked for while counting.

void noteSize(size_t size) {
  size_t seen = g_largest_request.load(std::memory_order_relaxed);
  while (size > seen && !g_largest_request.compare_exchange_weak(seen, size))
    ;
}
void countMalloc(size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
    noteSize(size);
  }
}
void *countedNew(size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_new_calls.fetch_add(1, std::memory_order_relaxed);
    noteSize(size);
  }
  void *p = __libc_malloc(size == 0 ? 1 : size);
  if (!p)
    throw std::bad_alloc();
  return p;
}
} // namespace

extern "C" {
void *malloc(size_t size) {
  countMalloc(size);
  return __libc_malloc(size);
}
void *calloc(size_t count, size_t size) {
  countMalloc(count * size);
  return __libc_calloc(count, size);
}
void *realloc(void *ptr, size_t size) {
  countMalloc(size);
  return __libc_realloc(ptr, size);
}
void *aligned_alloc(size_t alignment, size_t size) {
  countMalloc(size);
  return __libc_memalign(alignment, size);
}
int posix_memalign(void **out, size_t alignment, size_t size) {
  countMalloc(size);
  void *p = __libc_memalign(alignment, size);
  if (!p)
    return ENOMEM;
  *out = p;
  return 0;
}
void free(void *ptr) { __libc_free(ptr); }
}

void *operator new(size_t size) { return countedNew(size); }
void *operator new[](size_t size) { return countedNew(size); }
void operator delete(void *ptr) noexcept { __libc_free(ptr); }
void operator delete[](void *ptr) noexcept { __libc_free(ptr); }
void operator delete(void *ptr, size_t) noexcept { __libc_free(ptr); }
void operator delete[](void *ptr, size_t) noexcept { __libc_free(ptr); }

namespace tidemark {
namespace {

void *volatile g_sink;

// Runs 100 steps after a first one and returns the allocations counted during those 100.
long allocationsOver100Steps(Runtime &runtime) {
  EXPECT_TRUE(runtime.Run().ok());
  g_new_calls = 0;
  g_malloc_calls = 0;
  g_counting = true;
  bool all_ok = true;
  for (int step = 0; step < 100; ++step)
    all_ok = runtime.Run().ok() && all_ok;
  g_counting = false;
  EXPECT_TRUE(all_ok);
  return g_new_calls.load() + g_malloc_calls.load();
}

TEST(ExecutorAllocTest, CountersSeeAllocations) {
  g_new_calls = 0;
  g_malloc_calls = 0;
  g_counting = true;
  g_sink = ::operator new(16);
  ::operator delete(g_sink);
  g_sink = std::malloc(8);
  std::free(g_sink);
  g_counting = false;
  EXPECT_EQ(g_new_calls.load(), 1);
  EXPECT_EQ(g_malloc_calls.load(), 1);
}

TEST(ExecutorAllocTest, StepsDoNotAllocate) {
  for (int threads : {1, 2}) {
    std::unique_ptr<Runtime> runtime;
    std::vector<uint8_t> bytes = testing_plans::MixedBuilder().Finish();
    RuntimeOptions options;
    options.num_threads = threads;
    Status status =
        Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, options, &runtime);
    ASSERT_TRUE(status.ok()) << status.ToString();
    void *x = nullptr;
    ASSERT_TRUE(runtime->InputBuffer("x", &x).ok());
    for (int i = 0; i < 32 * 32; ++i)
      static_cast<float *>(x)[i] = float(i % 13) * 0.1f - 0.6f;
    EXPECT_EQ(allocationsOver100Steps(*runtime), 0) << threads << " threads";
    EXPECT_EQ(runtime->statistics().steps_run, 101u);
  }
}

TEST(ExecutorAllocTest, TrainingStepsDoNotAllocate) {
  // Forward, MSE loss, backward and SGD-with-momentum or Adam updates of the state.
  for (bool adam : {false, true}) {
    std::vector<uint8_t> bytes = testing_plans::OptimizerPlan(adam, 0.01f);
    std::unique_ptr<Runtime> runtime;
    RuntimeOptions options;
    options.num_threads = 2;
    ASSERT_TRUE(
        Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, options, &runtime)
            .ok());
    std::vector<float> x(12, 0.5f), target(20, 1.0f);
    ASSERT_TRUE(runtime->BindInput("x", x.data(), 48, DType::kF32, {4, 3}).ok());
    ASSERT_TRUE(runtime->BindInput("target", target.data(), 80, DType::kF32, {4, 5}).ok());
    float loss_before = 0, loss_after = 0;
    ASSERT_TRUE(runtime->Run().ok());
    ASSERT_TRUE(runtime->ReadOutput("loss", &loss_before, 4).ok());
    EXPECT_EQ(allocationsOver100Steps(*runtime), 0) << (adam ? "adam" : "sgd");
    ASSERT_TRUE(runtime->ReadOutput("loss", &loss_after, 4).ok());
    EXPECT_LT(loss_after, loss_before); // The steps really trained.
  }
}

TEST(ExecutorAllocTest, StepsWithCallerBuffersDoNotAllocate) {
  std::unique_ptr<Runtime> runtime;
  std::vector<uint8_t> bytes = testing_plans::PerceptronPlan();
  ASSERT_TRUE(
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime).ok());
  std::vector<float> x(12, 1.0f), y(20);
  ASSERT_TRUE(runtime->BindInput("x", x.data(), 48, DType::kF32, {4, 3}).ok());
  ASSERT_TRUE(runtime->BindOutput("y", y.data(), 80, DType::kF32, {4, 5}).ok());
  EXPECT_EQ(allocationsOver100Steps(*runtime), 0);
  // x = ones: x W = 3 - 0.75 j, plus b = j - 2: y = 1 + 0.25 j in every row.
  EXPECT_EQ(std::vector<float>(y.begin(), y.begin() + 5),
            (std::vector<float>{1.0f, 1.25f, 1.5f, 1.75f, 2.0f}));
}

// Counts the allocations of `body` and the largest size requested.
template <typename Body> size_t largestRequestDuring(const Body &body) {
  g_largest_request = 0;
  g_counting = true;
  body();
  g_counting = false;
  return g_largest_request.load();
}

// Issue 9: what a plan declares decides what the runtime allocates. The load compares it with
// RuntimeOptions::max_memory_bytes before allocating any of it: a refused plan costs no more than
// the decoding (a few KiB here), never its declared 512 MiB state or 1 TiB arena.
TEST(ExecutorAllocTest, MemoryCapIsCheckedBeforeAnyAllocation) {
  PlanBuilder builder = testing_plans::PerceptronBuilder();
  builder.SetState(uint64_t{512} << 20);
  const std::vector<uint8_t> big_state = builder.Finish();
  RuntimeOptions options;
  options.max_memory_bytes = 1 << 20;
  std::unique_ptr<Runtime> runtime;
  Status status;
  size_t largest = largestRequestDuring([&] {
    status = Runtime::LoadFromMemory(big_state.data(), big_state.size(), PlanMemory::kCopy, options,
                                     &runtime);
  });
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted) << status.ToString();
  EXPECT_NE(status.message().find("(state 536870912 + arena 256 + "), std::string::npos)
      << status.ToString();
  EXPECT_NE(status.message().find("more than the memory cap of 1048576 bytes"), std::string::npos)
      << status.ToString();
  EXPECT_LT(largest, size_t{64} << 10) << "bytes requested by a refused load";

  // 1 TiB of arena (the format's largest region) against the default cap, physical memory.
  builder = testing_plans::PerceptronBuilder();
  builder.SetArena(uint64_t{1} << 40);
  const std::vector<uint8_t> big_arena = builder.Finish();
  largest = largestRequestDuring([&] {
    status = Runtime::LoadFromMemory(big_arena.data(), big_arena.size(), PlanMemory::kCopy, {},
                                     &runtime);
  });
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted) << status.ToString();
  EXPECT_NE(status.message().find("arena 1099511627776"), std::string::npos) << status.ToString();
  EXPECT_LT(largest, size_t{64} << 10);
  EXPECT_FALSE(runtime);
}

// The external weights' declared range is checked against the file's real size before the state
// is allocated: a 64 MiB state backed by a 64-byte file is refused at the cost of the decoding.
TEST(ExecutorAllocTest, ExternalWeightsAreCheckedAgainstTheFileBeforeAllocating) {
  const std::string path = ::testing::TempDir() + "tidemark_alloc_test_weights.bin";
  std::FILE *file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  const std::vector<uint8_t> bytes(64, 0);
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), file), bytes.size());
  std::fclose(file);
  PlanBuilder builder = testing_plans::PerceptronBuilder();
  builder.SetState(uint64_t{64} << 20);
  builder.SetExternalWeights(path, 0, uint64_t{64} << 20);
  const std::vector<uint8_t> plan = builder.Finish();
  std::unique_ptr<Runtime> runtime;
  Status status;
  const size_t largest = largestRequestDuring([&] {
    status = Runtime::LoadFromMemory(plan.data(), plan.size(), PlanMemory::kCopy, {}, &runtime);
  });
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.ToString();
  EXPECT_NE(status.message().find("(64 bytes) is shorter than the 67108864 bytes at offset 0"),
            std::string::npos)
      << status.ToString();
  EXPECT_LT(largest, size_t{64} << 10);
  std::remove(path.c_str());
}

// Binding and reading buffers allocate nothing either (long names included: no message strings
// are built on success), so an app may rebind between steps.
TEST(ExecutorAllocTest, BindingAndReadingDoNotAllocate) {
  const std::string input = "an_input_name_longer_than_any_small_string_buffer";
  const std::string output = "an_output_name_longer_than_any_small_string_buffer";
  PlanBuilder builder;
  builder.SetArena(0);
  int x = builder.AddInput(input, {2, 3});
  int y = builder.AddOutput(output, {2, 3});
  builder.AddStep(KernelId::kRelu, {x}, {y});
  const std::vector<uint8_t> bytes = builder.Finish();
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime).ok());
  const std::vector<int64_t> shape = {2, 3};
  std::vector<float> in(6, -1.0f), out(6, 5.0f), read(6);
  g_new_calls = 0;
  g_malloc_calls = 0;
  g_counting = true;
  bool ok = runtime->BindInput(input, in.data(), 24, DType::kF32, shape).ok();
  ok = runtime->BindOutput(output, out.data(), 24, DType::kF32, shape).ok() && ok;
  ok = runtime->Run().ok() && ok;
  ok = runtime->ReadOutput(output, read.data(), 24).ok() && ok;
  void *buffer = nullptr;
  ok = runtime->InputBuffer(input, &buffer).ok() && ok;
  ok = runtime->OutputBuffer(output, &buffer).ok() && ok;
  const size_t inputs = runtime->inputs().size();
  g_counting = false;
  EXPECT_TRUE(ok);
  EXPECT_EQ(inputs, 1u);
  EXPECT_EQ(g_new_calls.load() + g_malloc_calls.load(), 0);
  EXPECT_EQ(read, std::vector<float>(6, 0.0f));
}

} // namespace
} // namespace tidemark
