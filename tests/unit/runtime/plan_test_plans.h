// Small plans shared by the plan, executor and API tests (built with PlanBuilder).
#ifndef TIDEMARK_TESTS_UNIT_RUNTIME_PLAN_TEST_PLANS_H_
#define TIDEMARK_TESTS_UNIT_RUNTIME_PLAN_TEST_PLANS_H_

#include <cstdint>
#include <vector>

#include "tidemark/plan_builder.h"

namespace tidemark {
namespace testing_plans {

// A one-layer perceptron y = relu(x W + b), batch 4, 3 features in, 5 out:
//   inputs  x [4,3]; state W [3,5] (offset 0), b [5] (offset 64)
//   step 0: MatMul x, W -> h [4,5]   arena [0, 80)     live [0, 1]
//   step 1: Add h, b -> z [4,5]      arena [128, 208)  live [1, 2]
//   step 2: Relu z -> y              output "y"
// W[i][j] = (i + 1) * 0.5 - j * 0.25 and b[j] = j - 2 (exact in binary floating point).
inline std::vector<float> PerceptronWeights() {
  std::vector<float> w(15);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 5; ++j)
      w[size_t(i * 5 + j)] = (i + 1) * 0.5f - j * 0.25f;
  return w;
}
inline std::vector<float> PerceptronBias() { return {-2.0f, -1.0f, 0.0f, 1.0f, 2.0f}; }

struct PerceptronIds {
  int x, w, b, h, z, y;
};

inline PlanBuilder PerceptronBuilder(PerceptronIds *ids = nullptr) {
  PlanBuilder builder;
  builder.SetArena(256);
  builder.SetState(128);
  PerceptronIds t;
  t.x = builder.AddInput("x", {4, 3});
  t.w = builder.AddStateTensor("W", {3, 5}, 0);
  t.b = builder.AddStateTensor("b", {5}, 64);
  t.h = builder.AddArenaTensor("h", {4, 5}, 0, 0, 1);
  t.z = builder.AddArenaTensor("z", {4, 5}, 128, 1, 2);
  t.y = builder.AddOutput("y", {4, 5});
  builder.SetStateTensorValues(t.w, PerceptronWeights());
  builder.SetStateTensorValues(t.b, PerceptronBias());
  builder.AddStep(KernelId::kMatMul, {t.x, t.w}, {t.h}, MatMulAttributes{}, "fc");
  builder.AddStep(KernelId::kAdd, {t.h, t.b}, {t.z}, {}, "bias");
  builder.AddStep(KernelId::kRelu, {t.z}, {t.y}, {}, "relu");
  PlanStatistics stats;
  stats.load_bytes = 160;
  builder.SetStatistics(stats);
  builder.SetProducer("plan_test_plans.h");
  if (ids)
    *ids = t;
  return builder;
}

inline std::vector<uint8_t> PerceptronPlan() { return PerceptronBuilder().Finish(); }

// Plain reference for the perceptron (double accumulation).
inline std::vector<float> PerceptronReference(const std::vector<float> &x) {
  const std::vector<float> w = PerceptronWeights(), b = PerceptronBias();
  std::vector<float> y(20);
  for (int r = 0; r < 4; ++r)
    for (int j = 0; j < 5; ++j) {
      double sum = b[size_t(j)];
      for (int i = 0; i < 3; ++i)
        sum += double(x[size_t(r * 3 + i)]) * w[size_t(i * 5 + j)];
      y[size_t(r * 5 + j)] = sum > 0 ? float(sum) : 0.0f;
    }
  return y;
}

} // namespace testing_plans
} // namespace tidemark

#endif // TIDEMARK_TESTS_UNIT_RUNTIME_PLAN_TEST_PLANS_H_
