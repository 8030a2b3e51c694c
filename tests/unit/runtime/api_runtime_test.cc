// Embedding API: loading (file, copied and borrowed memory), queries, binding with checks that
// leave state unchanged on error, runtime-owned buffers, parameters and statistics.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan_test_plans.h"
#include "tidemark/runtime.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace {

const std::vector<float> kX = {1, 2, 3, -1, 0, 1, 0, 0, 0, 2, -1, 0.5f};
const std::vector<float> kY = {5, 4.5f, 4, 3.5f, 3, 0, 0, 1, 2,      3,
                               0, 0,    0, 1,    2, 0, 0, 0, 0.625f, 1.25f};

std::unique_ptr<Runtime> loadPerceptron() {
  std::vector<uint8_t> bytes = testing_plans::PerceptronPlan();
  std::unique_ptr<Runtime> runtime;
  Status status =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return runtime; // The plan bytes die here: kCopy must not need them.
}

std::string tempPath(const std::string &name) {
  const char *dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/tidemark_api_test_" + name;
}

void writeFile(const std::string &path, const void *data, size_t size) {
  std::FILE *file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(std::fwrite(data, 1, size, file), size);
  std::fclose(file);
}

std::vector<float> readY(Runtime &runtime) {
  std::vector<float> y(20);
  EXPECT_TRUE(runtime.ReadOutput("y", y.data(), 80).ok());
  return y;
}

TEST(ApiRuntimeTest, QueriesDescribeThePlan) {
  std::unique_ptr<Runtime> runtime = loadPerceptron();
  ASSERT_TRUE(runtime);
  EXPECT_EQ(runtime->arena_bytes(), 256u);
  EXPECT_EQ(runtime->state_bytes(), 128u);
  ASSERT_EQ(runtime->inputs().size(), 1u);
  EXPECT_EQ(runtime->inputs()[0].name, "x");
  EXPECT_EQ(runtime->inputs()[0].shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(runtime->inputs()[0].size_bytes, 48u);
  ASSERT_EQ(runtime->outputs().size(), 1u);
  EXPECT_EQ(runtime->outputs()[0].name, "y");
  ASSERT_EQ(runtime->parameters().size(), 2u);
  EXPECT_EQ(runtime->parameters()[0].name, "W");
  EXPECT_EQ(runtime->parameters()[1].shape, (std::vector<int64_t>{5}));
  RuntimeStatistics stats = runtime->statistics();
  EXPECT_EQ(stats.steps_run, 0u);
  EXPECT_EQ(stats.arena_bytes, 256u);
  EXPECT_EQ(stats.state_bytes, 128u);
  EXPECT_EQ(stats.io_bytes, 64u + 128u); // x (48 -> 64) and y (80 -> 128), 64-byte rounded.
  EXPECT_EQ(stats.planned_load_bytes, 160u);
}

TEST(ApiRuntimeTest, RunsThroughRuntimeOwnedBuffers) {
  std::unique_ptr<Runtime> runtime = loadPerceptron();
  void *x = nullptr, *y = nullptr;
  ASSERT_TRUE(runtime->InputBuffer("x", &x).ok());
  ASSERT_TRUE(runtime->OutputBuffer("y", &y).ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(x) % 64, 0u);
  std::memcpy(x, kX.data(), 48);
  ASSERT_TRUE(runtime->Run().ok());
  EXPECT_EQ(std::vector<float>(static_cast<float *>(y), static_cast<float *>(y) + 20), kY);
  EXPECT_EQ(readY(*runtime), kY);
  RuntimeStatistics stats = runtime->statistics();
  EXPECT_EQ(stats.steps_run, 1u);
  EXPECT_GT(stats.last_step_seconds, 0.0);
  EXPECT_EQ(stats.total_step_seconds, stats.last_step_seconds);
}

TEST(ApiRuntimeTest, RunsOnCallerBuffers) {
  std::unique_ptr<Runtime> runtime = loadPerceptron();
  std::vector<float> y(20, -7.0f);
  ASSERT_TRUE(runtime->BindInput("x", kX.data(), 48, DType::kF32, {4, 3}).ok());
  ASSERT_TRUE(runtime->BindOutput("y", y.data(), 80, DType::kF32, {4, 5}).ok());
  ASSERT_TRUE(runtime->Run().ok());
  EXPECT_EQ(y, kY);
  EXPECT_EQ(readY(*runtime), kY);
}

TEST(ApiRuntimeTest, BadBindingsChangeNothing) {
  std::unique_ptr<Runtime> runtime = loadPerceptron();
  ASSERT_TRUE(runtime->BindInput("x", kX.data(), 48, DType::kF32, {4, 3}).ok());
  std::vector<float> other(12, 100.0f);
  struct Case {
    Status status;
    StatusCode code;
    const char *text;
  } cases[] = {
      {runtime->BindInput("nope", other.data(), 48, DType::kF32, {4, 3}), StatusCode::kNotFound,
       "no input named 'nope'"},
      {runtime->BindInput("x", other.data(), 48, DType::kF32, {3, 4}), StatusCode::kInvalidArgument,
       "'x' has shape [4,3], the buffer has [3,4]"},
      {runtime->BindInput("x", other.data(), 48, DType::kI32, {4, 3}), StatusCode::kInvalidArgument,
       "'x' is f32, the buffer is i32"},
      {runtime->BindInput("x", other.data(), 40, DType::kF32, {4, 3}), StatusCode::kInvalidArgument,
       "needs 48 bytes, the buffer has 40"},
      {runtime->BindInput("x", nullptr, 48, DType::kF32, {4, 3}), StatusCode::kInvalidArgument,
       "null"},
      {runtime->BindInput("x", reinterpret_cast<const uint8_t *>(other.data()) + 1, 47, DType::kF32,
                          {4, 3}),
       StatusCode::kInvalidArgument, "not aligned"},
      {runtime->BindOutput("x", other.data(), 48, DType::kF32, {4, 3}), StatusCode::kNotFound,
       "no output named 'x'"},
      {runtime->BindOutput("y", other.data(), 48, DType::kF32, {4, 5}),
       StatusCode::kInvalidArgument, "needs 80 bytes, the buffer has 48"},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(c.status.code(), c.code) << c.status.ToString();
    EXPECT_NE(c.status.message().find(c.text), std::string::npos) << c.status.ToString();
  }
  // x is still the first binding.
  ASSERT_TRUE(runtime->Run().ok());
  EXPECT_EQ(readY(*runtime), kY);
}

TEST(ApiRuntimeTest, OutputMayNotOverlapABoundInput) {
  std::unique_ptr<Runtime> runtime = loadPerceptron();
  std::vector<float> shared(40);
  ASSERT_TRUE(runtime->BindInput("x", shared.data(), 48, DType::kF32, {4, 3}).ok());
  Status status = runtime->BindOutput("y", shared.data() + 8, 80, DType::kF32, {4, 5});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("overlaps the one bound to 'x'"), std::string::npos);
  EXPECT_TRUE(runtime->BindOutput("y", shared.data() + 12, 80, DType::kF32, {4, 5}).ok());
}

TEST(ApiRuntimeTest, ReadsAndWritesParameters) {
  std::unique_ptr<Runtime> runtime = loadPerceptron();
  std::vector<float> w(15), b(5);
  ASSERT_TRUE(runtime->ReadParameter("W", w.data(), 60).ok());
  EXPECT_EQ(w, testing_plans::PerceptronWeights());
  ASSERT_TRUE(runtime->ReadParameter("b", b.data(), 20).ok());
  EXPECT_EQ(b, testing_plans::PerceptronBias());
  // b += 10 shifts every pre-activation by 10: y = z + 10 where all of them are now positive.
  for (float &v : b)
    v += 10.0f;
  ASSERT_TRUE(runtime->WriteParameter("b", b.data(), 20).ok());
  ASSERT_TRUE(runtime->BindInput("x", kX.data(), 48, DType::kF32, {4, 3}).ok());
  ASSERT_TRUE(runtime->Run().ok());
  EXPECT_EQ(readY(*runtime)[0], 15.0f);
  EXPECT_EQ(readY(*runtime)[5], 9.0f); // Row 1: z = j - 1 + 10.
  EXPECT_EQ(runtime->ReadParameter("W", w.data(), 59).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(runtime->WriteParameter("nope", b.data(), 20).code(), StatusCode::kNotFound);
  EXPECT_EQ(runtime->ReadOutput("y", nullptr, 80).code(), StatusCode::kInvalidArgument);
}

TEST(ApiRuntimeTest, LoadsFromFileAndReportsFileErrors) {
  std::vector<uint8_t> bytes = testing_plans::PerceptronPlan();
  const std::string path = tempPath("perceptron.tplan");
  writeFile(path, bytes.data(), bytes.size());
  std::unique_ptr<Runtime> runtime;
  Status status = Runtime::LoadFromFile(path, {}, &runtime);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(runtime->BindInput("x", kX.data(), 48, DType::kF32, {4, 3}).ok());
  ASSERT_TRUE(runtime->Run().ok());
  EXPECT_EQ(readY(*runtime), kY);

  std::unique_ptr<Runtime> missing;
  status = Runtime::LoadFromFile(path + ".missing", {}, &missing);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_FALSE(missing);
  writeFile(path, bytes.data(), bytes.size() / 3);
  status = Runtime::LoadFromFile(path, {}, &missing);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find(path), std::string::npos) << status.ToString();
  std::remove(path.c_str());
}

void expectLoadError(const std::string &path, const RuntimeOptions &options, StatusCode code,
                     const std::string &text) {
  std::unique_ptr<Runtime> runtime;
  Status status = Runtime::LoadFromFile(path, options, &runtime);
  EXPECT_EQ(status.code(), code) << path << ": " << status.ToString();
  EXPECT_NE(status.message().find(text), std::string::npos)
      << "message '" << status.message() << "' lacks '" << text << "'";
  EXPECT_FALSE(runtime);
}

// Issue 9: a plan path that names a directory, a FIFO (opening it used to block for a writer) or
// /dev/zero (read "to the end", forever) is refused before anything is read; so are files larger
// than the format allows or than the caller's memory cap.
TEST(ApiRuntimeTest, LoadFromFileAcceptsOnlyRegularFilesOfBoundedSize) {
  expectLoadError(::testing::TempDir(), {}, StatusCode::kInvalidArgument,
                  "is a directory, not a regular file");
  expectLoadError("/dev/zero", {}, StatusCode::kInvalidArgument,
                  "plan file '/dev/zero' is a character device");
  const std::string fifo = tempPath("plan.fifo");
  std::remove(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expectLoadError(fifo, {}, StatusCode::kInvalidArgument, "is a FIFO, not a regular file");
  std::remove(fifo.c_str());
  expectLoadError(tempPath("no_such_dir/plan.tplan"), {}, StatusCode::kNotFound,
                  "No such file or directory");

  // 2 GiB, sparse: refused by its size alone, without reading or allocating it.
  const std::string big = tempPath("big.tplan");
  std::FILE *file = std::fopen(big.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(ftruncate(fileno(file), off_t{1} << 31), 0);
  std::fclose(file);
  expectLoadError(big, {}, StatusCode::kOutOfRange,
                  "bytes, more than the 2147483647 bytes a plan can have");
  std::remove(big.c_str());

  std::vector<uint8_t> bytes = testing_plans::PerceptronPlan();
  const std::string path = tempPath("capped.tplan");
  writeFile(path, bytes.data(), bytes.size());
  RuntimeOptions capped;
  capped.max_memory_bytes = 100;
  expectLoadError(path, capped, StatusCode::kResourceExhausted,
                  "bytes, more than the memory cap of 100 bytes");
  std::remove(path.c_str());
}

TEST(ApiRuntimeTest, LoadFromMemoryRefusesMoreThanTheFormatCanAddress) {
  const size_t size = size_t{1} << 31; // Reserved, never touched: the size check comes first.
  void *huge = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(huge, MAP_FAILED);
  std::unique_ptr<Runtime> runtime;
  Status status = Runtime::LoadFromMemory(huge, size, PlanMemory::kBorrow, {}, &runtime);
  EXPECT_EQ(status.code(), StatusCode::kOutOfRange) << status.ToString();
  EXPECT_NE(status.message().find("exceeds the format's limit of 2147483647 bytes"),
            std::string::npos)
      << status.ToString();
  munmap(huge, size);
}

TEST(ApiRuntimeTest, MemoryCapNamesEveryPartOfThePlan) {
  // x [4,5] -> relu -> h (arena) -> relu -> y, with a 16-byte state tensor and a 4-byte constant.
  PlanBuilder builder;
  builder.SetArena(100);
  builder.SetState(16);
  int x = builder.AddInput("x", {4, 5});
  builder.AddStateTensor("s", {4}, 0);
  builder.AddConstant("c", {1}, {2.0f});
  int h = builder.AddArenaTensor("h", {4, 5}, 0);
  int y = builder.AddOutput("y", {4, 5});
  builder.AddStep(KernelId::kRelu, {x}, {h});
  builder.AddStep(KernelId::kRelu, {h}, {y});
  builder.AssignLiveIntervalsFromSteps();
  const std::vector<uint8_t> bytes = builder.Finish();
  RuntimeOptions options;
  // Each part rounded up to 64 bytes: state 64 + arena 128 + I/O (80 -> 128) x 2 + constants 64.
  options.max_memory_bytes = 500;
  std::unique_ptr<Runtime> runtime;
  Status status =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, options, &runtime);
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(
      status.message().find("the plan needs 512 bytes (state 64 + arena 128 + I/O 256 + "
                            "constants 64 + scratch 0), more than the memory cap of 500 bytes"),
      std::string::npos)
      << status.ToString();
  EXPECT_FALSE(runtime);
  // Borrowed constants are not copied, so they do not count.
  status =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kBorrow, options, &runtime);
  EXPECT_TRUE(status.ok()) << status.ToString();
  options.max_memory_bytes = 512; // Exactly enough.
  status =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, options, &runtime);
  EXPECT_TRUE(status.ok()) << status.ToString();
  options.max_memory_bytes = kNoMemoryCap;
  status =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, options, &runtime);
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(MemoryCapBytes(kNoMemoryCap), kNoMemoryCap);
  EXPECT_EQ(MemoryCapBytes(12345), 12345u);
  const uint64_t physical = MemoryCapBytes(kMemoryCapPhysical);
  EXPECT_GT(physical, uint64_t{64} << 20);
  EXPECT_EQ(physical % static_cast<uint64_t>(sysconf(_SC_PAGESIZE)), 0u);
}

TEST(ApiRuntimeTest, ThreadCountOutsideItsRangeIsRefused) {
  std::vector<uint8_t> bytes = testing_plans::PerceptronPlan();
  for (int threads : {0, -1, kMaxThreads + 1}) {
    RuntimeOptions options;
    options.num_threads = threads;
    std::unique_ptr<Runtime> runtime;
    Status status =
        Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, options, &runtime);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << threads;
    EXPECT_NE(status.message().find("num_threads must be in [1, 1024]"), std::string::npos)
        << status.ToString();
  }
}

// Adam's update number is optimizer_steps() + 1: a count set at the top of its range saturates
// instead of wrapping to 0 (which the kernel rejects).
TEST(ApiRuntimeTest, OptimizerStepCountNearItsLimitStillRuns) {
  std::vector<uint8_t> bytes = testing_plans::OptimizerPlan(/*adam=*/true, 0.01f);
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime).ok());
  for (uint64_t count : {UINT64_MAX, UINT64_MAX - 1, uint64_t{INT64_MAX}}) {
    runtime->SetOptimizerSteps(count);
    Status status = runtime->Run();
    EXPECT_TRUE(status.ok()) << count << ": " << status.ToString();
  }
}

// Issue 9 (audit): empty tensors pass the verifier, so every kernel must take them. A batched
// MatMul with M = 0 has no bytes to write (the GEMM's stride check used to assert on it in
// builds with assertions); one with K = 0 writes alpha x (empty sum) = 0.
TEST(ApiRuntimeTest, BatchedMatMulWithEmptyDimensionsRuns) {
  for (int64_t m : {int64_t{0}, int64_t{3}}) {
    const int64_t k = m == 0 ? 5 : 0;
    PlanBuilder builder;
    int a = builder.AddInput("a", {2, m, k});
    int b = builder.AddInput("b", {2, k, 4});
    int c = builder.AddOutput("c", {2, m, 4});
    builder.AddStep(KernelId::kMatMul, {a, b}, {c}, MatMulAttributes{});
    const std::vector<uint8_t> bytes = builder.Finish();
    std::unique_ptr<Runtime> runtime;
    Status status =
        Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime);
    ASSERT_TRUE(status.ok()) << status.ToString();
    std::vector<float> out(size_t(2 * m * 4) + 1, 7.0f);
    ASSERT_TRUE(runtime->BindOutput("c", out.data(), out.size() * 4, DType::kF32, {2, m, 4}).ok());
    status = runtime->Run();
    ASSERT_TRUE(status.ok()) << status.ToString();
    std::vector<float> expected(size_t(2 * m * 4), 0.0f);
    expected.push_back(7.0f); // The byte past the output is untouched.
    EXPECT_EQ(out, expected) << "m " << m << ", k " << k;
  }
}

TEST(ApiRuntimeTest, BorrowedMemoryUsesConstantsInPlace) {
  // y2 = y * c with c a constant: with kBorrow, changing the caller's bytes of c changes y2.
  testing_plans::PerceptronIds ids;
  PlanBuilder builder = testing_plans::PerceptronBuilder(&ids);
  int c = builder.AddConstant("c", {5}, {1, 1, 1, 1, 1});
  int y2 = builder.AddOutput("y2", {4, 5});
  builder.AddStep(KernelId::kMul, {ids.y, c}, {y2});
  std::vector<uint8_t> bytes = builder.Finish();
  std::unique_ptr<Runtime> copied, borrowed;
  ASSERT_TRUE(
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &copied).ok());
  ASSERT_TRUE(
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kBorrow, {}, &borrowed).ok());
  // Find the constant's five 1.0f values in the plan bytes and double them.
  const float ones[5] = {1, 1, 1, 1, 1};
  size_t at = 0;
  for (; at + sizeof(ones) <= bytes.size(); ++at)
    if (std::memcmp(bytes.data() + at, ones, sizeof(ones)) == 0)
      break;
  ASSERT_LT(at + sizeof(ones), bytes.size());
  const float twos[5] = {2, 2, 2, 2, 2};
  std::memcpy(bytes.data() + at, twos, sizeof(twos));
  std::vector<float> out(20);
  for (Runtime *runtime : {copied.get(), borrowed.get()}) {
    ASSERT_TRUE(runtime->BindInput("x", kX.data(), 48, DType::kF32, {4, 3}).ok());
    ASSERT_TRUE(runtime->Run().ok());
    ASSERT_TRUE(runtime->ReadOutput("y2", out.data(), 80).ok());
    EXPECT_EQ(out[0], runtime == copied.get() ? 5.0f : 10.0f);
  }
}

TEST(ApiRuntimeTest, LoadsStateFromExternalWeights) {
  testing_plans::PerceptronIds ids;
  PlanBuilder builder = testing_plans::PerceptronBuilder(&ids);
  // Replace the inline initial values: a raw state image with 16 bytes of header in front.
  PlanBuilder external;
  external.SetArena(256);
  external.SetState(128);
  for (int i = 0; i < builder.num_tensors(); ++i)
    external.AddTensor(builder.tensor(i));
  external.AddStep(KernelId::kMatMul, {ids.x, ids.w}, {ids.h}, MatMulAttributes{});
  external.AddStep(KernelId::kAdd, {ids.h, ids.b}, {ids.z});
  external.AddStep(KernelId::kRelu, {ids.z}, {ids.y});
  std::vector<uint8_t> image(16 + 128, 0);
  std::vector<float> w = testing_plans::PerceptronWeights(), b = testing_plans::PerceptronBias();
  std::memcpy(image.data() + 16, w.data(), 60);
  std::memcpy(image.data() + 16 + 64, b.data(), 20);
  const std::string path = tempPath("weights.bin");
  writeFile(path, image.data(), image.size());
  external.SetExternalWeights(path, 16, 128);
  std::vector<uint8_t> bytes = external.Finish();
  std::unique_ptr<Runtime> runtime;
  Status status =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(runtime->BindInput("x", kX.data(), 48, DType::kF32, {4, 3}).ok());
  ASSERT_TRUE(runtime->Run().ok());
  EXPECT_EQ(readY(*runtime), kY);

  // A relative path is resolved against the plan file's directory by LoadFromFile.
  const std::string dir = path.substr(0, path.find_last_of('/'));
  external.SetExternalWeights(path.substr(dir.size() + 1), 16, 128);
  std::vector<uint8_t> relative = external.Finish();
  const std::string plan_path = tempPath("relative.tplan");
  writeFile(plan_path, relative.data(), relative.size());
  std::unique_ptr<Runtime> from_file;
  status = Runtime::LoadFromFile(plan_path, {}, &from_file);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(from_file->BindInput("x", kX.data(), 48, DType::kF32, {4, 3}).ok());
  ASSERT_TRUE(from_file->Run().ok());
  EXPECT_EQ(readY(*from_file), kY);
  std::remove(plan_path.c_str());

  writeFile(path, image.data(), 100); // Too short.
  status = Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("shorter than the 128 bytes at offset 16"), std::string::npos)
      << status.ToString();
  std::remove(path.c_str());
  status = Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
}

TEST(ApiRuntimeTest, BadLabelDataFailsTheStepWithOutOfRange) {
  PlanBuilder builder;
  int logits = builder.AddInput("logits", {2, 3});
  int labels = builder.AddInput("labels", {2}, DType::kI32);
  int loss = builder.AddOutput("loss", {});
  builder.AddStep(KernelId::kSoftmaxCrossEntropy, {logits, labels}, {loss}, {}, "xent");
  std::vector<uint8_t> bytes = builder.Finish();
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime).ok());
  const float x[6] = {0, 0, 0, 1, 2, 3};
  int32_t good[2] = {0, 2}, bad[2] = {0, 3};
  ASSERT_TRUE(runtime->BindInput("logits", x, sizeof(x), DType::kF32, {2, 3}).ok());
  ASSERT_TRUE(runtime->BindInput("labels", good, sizeof(good), DType::kI32, {2}).ok());
  ASSERT_TRUE(runtime->Run().ok());
  float value = 0;
  ASSERT_TRUE(runtime->ReadOutput("loss", &value, 4).ok());
  // Row 0: log 3; row 1: log(e^1 + e^2 + e^3) - 3.
  const double expected =
      (std::log(3.0) + std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0) / 2.0;
  EXPECT_NEAR(value, expected, 1e-6);
  ASSERT_TRUE(runtime->BindInput("labels", bad, sizeof(bad), DType::kI32, {2}).ok());
  Status status = runtime->Run();
  EXPECT_EQ(status.code(), StatusCode::kOutOfRange);
  EXPECT_NE(status.message().find("step 0 (SoftmaxCrossEntropy 'xent')"), std::string::npos)
      << status.ToString();
  EXPECT_EQ(runtime->statistics().steps_run, 1u);
}

TEST(ApiRuntimeTest, RejectsBadLoadArguments) {
  std::vector<uint8_t> bytes = testing_plans::PerceptronPlan();
  std::unique_ptr<Runtime> runtime;
  RuntimeOptions options;
  options.num_threads = 0;
  Status status =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, options, &runtime);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(runtime);
  EXPECT_EQ(Runtime::LoadFromMemory(nullptr, 10, PlanMemory::kCopy, {}, &runtime).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, nullptr).code(),
      StatusCode::kInvalidArgument);
}

} // namespace
} // namespace tidemark
