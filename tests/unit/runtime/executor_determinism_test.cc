// Determinism: the same plan on the same thread count gives bit-identical outputs, run to run and
// runtime to runtime.
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "plan_test_plans.h"
#include "tidemark/runtime.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace {

std::unique_ptr<Runtime> loadMixed(int threads) {
  std::vector<uint8_t> bytes = testing_plans::MixedBuilder().Finish();
  RuntimeOptions options;
  options.num_threads = threads;
  std::unique_ptr<Runtime> runtime;
  Status status =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, options, &runtime);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return runtime;
}

// Every output's bytes after one step on input x.
std::vector<uint8_t> runOnce(Runtime &runtime, const std::vector<float> &x) {
  EXPECT_TRUE(runtime.BindInput("x", x.data(), x.size() * 4, DType::kF32, {32, 32}).ok());
  EXPECT_TRUE(runtime.Run().ok());
  std::vector<uint8_t> bytes;
  for (const TensorInfo &output : runtime.outputs()) {
    std::vector<uint8_t> data(output.size_bytes);
    EXPECT_TRUE(runtime.ReadOutput(output.name, data.data(), data.size()).ok());
    bytes.insert(bytes.end(), data.begin(), data.end());
  }
  return bytes;
}

TEST(ExecutorDeterminismTest, BitIdenticalRunToRun) {
  std::vector<float> x(32 * 32);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = std::cos(0.11f * float(i)) * 2.0f;
  for (int threads : {1, 2, 3}) {
    std::unique_ptr<Runtime> first = loadMixed(threads), second = loadMixed(threads);
    ASSERT_TRUE(first && second);
    const std::vector<uint8_t> reference = runOnce(*first, x);
    ASSERT_EQ(reference.size(), (64 + 64 + 64 + 2048) * 4u);
    // The outputs are not trivial (a test that passes on all-zero outputs proves nothing).
    float r0;
    std::memcpy(&r0, reference.data(), 4);
    EXPECT_NE(r0, 0.0f);
    for (int run = 0; run < 5; ++run) {
      EXPECT_EQ(runOnce(*first, x), reference) << threads << " threads, run " << run;
      EXPECT_EQ(runOnce(*second, x), reference) << threads << " threads, second runtime";
    }
  }
}

} // namespace
} // namespace tidemark
