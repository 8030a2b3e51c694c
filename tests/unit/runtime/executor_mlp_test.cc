// Executor end to end: a perceptron plan against hand-computed values on 1-3 threads, and
// attention steps against the naive kernels called directly.
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "plan_test_plans.h"
#include "runtime/executor/executor.h"
#include "runtime/kernels/attention.h"
#include "runtime/plan/loaded_plan.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace {

std::unique_ptr<Executor> makeExecutor(const std::vector<uint8_t> &bytes, int threads) {
  LoadedPlan plan;
  Status status = LoadAndVerifyPlan(bytes.data(), bytes.size(), &plan);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::unique_ptr<Executor> executor;
  ExecutorOptions options;
  options.num_threads = threads;
  status = Executor::Create(std::move(plan), options, &executor);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return executor;
}

TEST(ExecutorMlpTest, PerceptronMatchesHandComputedValues) {
  // Row r of x, and relu(x W + b) worked out by hand from W[i][j] = (i+1)/2 - j/4, b[j] = j - 2:
  //   x = [1, 2, 3]:     x W = 7 - 1.5 j        -> z = 5 - 0.5 j          -> [5, 4.5, 4, 3.5, 3]
  //   x = [-1, 0, 1]:    x W = 1                -> z = j - 1              -> [0, 0, 1, 2, 3]
  //   x = [0, 0, 0]:     z = b                  ->                           [0, 0, 0, 1, 2]
  //   x = [2, -1, 0.5]:  x W = 0.75 - 0.375 j   -> z = -1.25 + 0.625 j    -> [0, 0, 0, .625, 1.25]
  const std::vector<float> x = {1, 2, 3, -1, 0, 1, 0, 0, 0, 2, -1, 0.5f};
  const std::vector<float> expected = {5, 4.5f, 4, 3.5f, 3, 0, 0, 1, 2,      3,
                                       0, 0,    0, 1,    2, 0, 0, 0, 0.625f, 1.25f};
  ASSERT_EQ(testing_plans::PerceptronReference(x), expected);
  for (int threads : {1, 2, 3}) {
    std::unique_ptr<Executor> executor = makeExecutor(testing_plans::PerceptronPlan(), threads);
    ASSERT_TRUE(executor);
    std::memcpy(executor->OwnedBuffer(0), x.data(), x.size() * sizeof(float));
    for (int step = 0; step < 3; ++step) {
      ASSERT_TRUE(executor->RunStep().ok());
      const auto *y = reinterpret_cast<const float *>(executor->TensorData(5));
      EXPECT_EQ(std::vector<float>(y, y + 20), expected) << threads << " threads";
    }
    EXPECT_EQ(executor->steps_run(), 3u);
  }
}

TEST(ExecutorMlpTest, RejectsBadThreadCounts) {
  LoadedPlan plan;
  std::vector<uint8_t> bytes = testing_plans::PerceptronPlan();
  ASSERT_TRUE(LoadAndVerifyPlan(bytes.data(), bytes.size(), &plan).ok());
  std::unique_ptr<Executor> executor;
  ExecutorOptions options;
  options.num_threads = 0;
  Status status = Executor::Create(plan, options, &executor);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("num_threads"), std::string::npos);
  EXPECT_FALSE(executor);
}

TEST(ExecutorMlpTest, AttentionStepsMatchTheNaiveKernels) {
  // q = k = v = the reshape view of m in the mixed plan; recompute steps 8-9 with the naive
  // kernels from the executor's own q and compare.
  std::unique_ptr<Executor> executor = makeExecutor(testing_plans::MixedBuilder().Finish(), 2);
  ASSERT_TRUE(executor);
  auto *x = reinterpret_cast<float *>(executor->OwnedBuffer(0));
  for (int i = 0; i < 32 * 32; ++i)
    x[i] = std::sin(0.37f * float(i));
  ASSERT_TRUE(executor->RunStep().ok());
  const LoadedPlan &plan = executor->plan();
  auto find = [&](const std::string &name) {
    for (size_t i = 0; i < plan.tensors.size(); ++i)
      if (plan.tensors[i].name == name)
        return reinterpret_cast<const float *>(executor->TensorData(int(i)));
    return static_cast<const float *>(nullptr);
  };
  kernels::AttentionParams p;
  p.batch = 2, p.heads = 4, p.seq_q = 16, p.seq_k = 16, p.head_dim = 16;
  p.causal = true;
  p.scale = 0.25f; // The plan's scale 0 means 1/sqrt(16).
  std::vector<float> out(2048), lse(128), dq(2048), dk(2048), dv(2048);
  std::vector<uint8_t> scratch(kernels::NaiveAttentionScratchBytes(p, 1) + 64);
  void *aligned = scratch.data() + (64 - reinterpret_cast<uintptr_t>(scratch.data()) % 64) % 64;
  const float *q = find("q");
  ASSERT_TRUE(
      kernels::NaiveAttentionForward(p, q, q, q, out.data(), lse.data(), aligned, nullptr).ok());
  ASSERT_TRUE(kernels::NaiveAttentionBackward(p, q, q, q, out.data(), lse.data(), out.data(),
                                              dq.data(), dk.data(), dv.data(), aligned, nullptr)
                  .ok());
  const float *got_out = find("out"), *got_dsum = find("dsum");
  for (int i = 0; i < 2048; ++i) {
    ASSERT_NEAR(got_out[i], out[size_t(i)], 1e-5f) << i;
    ASSERT_NEAR(got_dsum[i], dq[size_t(i)] + dk[size_t(i)] + dv[size_t(i)], 1e-4f) << i;
  }
}

} // namespace
} // namespace tidemark
