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
#include "tidemark/runtime.h"
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

TEST(ExecutorMlpTest, LossAndGradientsMatchHandComputedValues) {
  const std::vector<float> x = {1, 2, 3, -1, 0, 1, 0, 0, 0, 2, -1, 0.5f};
  // With target 0: loss = mean(y^2) over the 20 values of y above:
  //   (82.5 + 14 + 5 + 1.953125) / 20 = 103.453125 / 20 = 5.17265625.
  // dy = 2/20 * y = 0.1 y; dz = dy where z > 0; db = column sums of dz:
  //   0.1 * [5, 4.5, 4+1, 3.5+2+1+0.625, 3+3+2+1.25] = [0.5, 0.45, 0.5, 0.7125, 0.925].
  // dW row 0 = 0.1 * (y_row0 - y_row1 + 2 y_row3) = [0.5, 0.45, 0.3, 0.275, 0.25].
  const std::vector<float> db_expected = {0.5f, 0.45f, 0.5f, 0.7125f, 0.925f};
  const std::vector<float> dw_row0_expected = {0.5f, 0.45f, 0.3f, 0.275f, 0.25f};
  for (int threads : {1, 2}) {
    std::unique_ptr<Executor> executor =
        makeExecutor(testing_plans::TrainingBuilder().Finish(), threads);
    ASSERT_TRUE(executor);
    std::memcpy(executor->OwnedBuffer(0), x.data(), 48);
    ASSERT_TRUE(executor->RunStep().ok());
    const LoadedPlan &plan = executor->plan();
    auto output = [&](const std::string &name) {
      for (size_t i = 0; i < plan.tensors.size(); ++i)
        if (plan.tensors[i].name == name)
          return reinterpret_cast<const float *>(executor->TensorData(int(i)));
      return static_cast<const float *>(nullptr);
    };
    EXPECT_FLOAT_EQ(output("loss")[0], 5.17265625f);
    for (int j = 0; j < 5; ++j) {
      EXPECT_NEAR(output("db")[j], db_expected[size_t(j)], 1e-6f) << j;
      EXPECT_NEAR(output("dW")[j], dw_row0_expected[size_t(j)], 1e-6f) << j;
    }
    // dW rows 1 and 2 against a plain double-precision reference.
    const std::vector<float> y = testing_plans::PerceptronReference(x);
    for (int i = 1; i < 3; ++i)
      for (int j = 0; j < 5; ++j) {
        double sum = 0;
        for (int r = 0; r < 4; ++r)
          sum += double(x[size_t(r * 3 + i)]) * 0.1 * y[size_t(r * 5 + j)];
        EXPECT_NEAR(output("dW")[i * 5 + j], sum, 1e-6) << i << "," << j;
      }
  }
}

std::vector<float> trainedWeightsRow0(bool adam, float learning_rate, int steps) {
  const std::vector<float> x = {1, 2, 3, -1, 0, 1, 0, 0, 0, 2, -1, 0.5f};
  std::vector<uint8_t> bytes = testing_plans::OptimizerPlan(adam, learning_rate);
  std::unique_ptr<Runtime> runtime;
  Status status =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime);
  EXPECT_TRUE(status.ok()) << status.ToString();
  if (!status.ok())
    return {};
  EXPECT_TRUE(runtime->BindInput("x", x.data(), 48, DType::kF32, {4, 3}).ok());
  for (int step = 0; step < steps; ++step)
    EXPECT_TRUE(runtime->Run().ok());
  EXPECT_EQ(runtime->optimizer_steps(), uint64_t(steps));
  std::vector<float> w(15);
  EXPECT_TRUE(runtime->ReadParameter("W", w.data(), 60).ok());
  return std::vector<float>(w.begin(), w.begin() + 5);
}

TEST(ExecutorMlpTest, OptimizerStepsUpdateParametersInPlace) {
  PlanBuilder training = testing_plans::TrainingBuilder();
  ASSERT_EQ(training.tensor(2).name, "W"); // The ids OptimizerPlan relies on.
  ASSERT_EQ(training.tensor(11).name, "dW");
  // W row 0 starts at [0.5, 0.25, 0, -0.25, -0.5]; dW row 0 = [0.5, 0.45, 0.3, 0.275, 0.25].
  // SGD (first step, zero velocity): W -= lr * dW, with lr = 0.5.
  const std::vector<float> sgd = trainedWeightsRow0(/*adam=*/false, 0.5f, 1);
  const std::vector<float> sgd_expected = {0.25f, 0.025f, -0.15f, -0.3875f, -0.625f};
  // Adam's first update is lr * g / (|g| + eps'): W -= lr * sign(dW), with lr = 0.01.
  const std::vector<float> adam = trainedWeightsRow0(/*adam=*/true, 0.01f, 1);
  const std::vector<float> adam_expected = {0.49f, 0.24f, -0.01f, -0.26f, -0.51f};
  ASSERT_EQ(sgd.size(), 5u);
  ASSERT_EQ(adam.size(), 5u);
  for (size_t j = 0; j < 5; ++j) {
    EXPECT_NEAR(sgd[j], sgd_expected[j], 1e-6f) << j;
    EXPECT_NEAR(adam[j], adam_expected[j], 1e-6f) << j;
  }
  // Training for several steps moves further and is reproducible.
  EXPECT_EQ(trainedWeightsRow0(true, 0.01f, 4), trainedWeightsRow0(true, 0.01f, 4));
  EXPECT_NE(trainedWeightsRow0(true, 0.01f, 4), adam);
}

TEST(ExecutorMlpTest, LayoutAndReductionKernelsMatchHandValues) {
  // x [2,3] = [[0,1,2],[3,4,5]] (x[i][j] = 3i + j):
  //   step 0 Transpose perm {1,0} -> xt [3,2] = [[0,3],[1,4],[2,5]]
  //   step 1 Reshape (a copy: the result is not a view) xt -> flat [6] = [0,3,1,4,2,5]
  //   step 2 ReduceMean x over axis 1, keep_dims -> mean [2,1] = [1, 4]
  //   step 3 ReduceMeanGrad mean -> g [2,3] = [[1/3]*3, [4/3]*3]
  //   step 4 ReduceToShape x -> col [1,3] = [3, 5, 7]
  //   step 5 Fill 2.5 -> filled [4];   step 6 SubGrad (operand 1) x, col, x -> d_col [1,3] = -col
  PlanBuilder builder;
  int x = builder.AddInput("x", {2, 3});
  int xt = builder.AddOutput("xt", {3, 2});
  int flat = builder.AddOutput("flat", {6});
  int mean = builder.AddOutput("mean", {2, 1});
  int grad = builder.AddOutput("g", {2, 3});
  int col = builder.AddOutput("col", {1, 3});
  int filled = builder.AddOutput("filled", {4});
  int d_col = builder.AddOutput("d_col", {1, 3});
  builder.AddStep(KernelId::kTranspose, {x}, {xt}, TransposeAttributes{{1, 0}});
  builder.AddStep(KernelId::kReshape, {xt}, {flat});
  builder.AddStep(KernelId::kReduceMean, {x}, {mean}, ReduceAttributes{{1}, true});
  builder.AddStep(KernelId::kReduceMeanGrad, {mean}, {grad}, ReduceAttributes{{1}, true});
  builder.AddStep(KernelId::kReduceToShape, {x}, {col});
  builder.AddStep(KernelId::kFill, {}, {filled}, FillAttributes{2.5f});
  builder.AddStep(KernelId::kSubGrad, {x, col, x}, {d_col}, BinaryGradAttributes{1});
  std::vector<uint8_t> bytes = builder.Finish();
  std::unique_ptr<Runtime> runtime;
  Status status =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime);
  ASSERT_TRUE(status.ok()) << status.ToString();
  const float in[6] = {0, 1, 2, 3, 4, 5};
  ASSERT_TRUE(runtime->BindInput("x", in, sizeof(in), DType::kF32, {2, 3}).ok());
  ASSERT_TRUE(runtime->Run().ok());
  auto read = [&](const std::string &name, size_t n) {
    std::vector<float> values(n);
    EXPECT_TRUE(runtime->ReadOutput(name, values.data(), n * 4).ok()) << name;
    return values;
  };
  EXPECT_EQ(read("xt", 6), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(read("flat", 6), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(read("mean", 2), (std::vector<float>{1, 4}));
  const std::vector<float> g = read("g", 6);
  for (int i = 0; i < 6; ++i)
    EXPECT_FLOAT_EQ(g[size_t(i)], i < 3 ? 1.0f / 3.0f : 4.0f / 3.0f) << i;
  EXPECT_EQ(read("col", 3), (std::vector<float>{3, 5, 7}));
  EXPECT_EQ(read("filled", 4), (std::vector<float>{2.5f, 2.5f, 2.5f, 2.5f}));
  EXPECT_EQ(read("d_col", 3), (std::vector<float>{-3, -5, -7}));
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
