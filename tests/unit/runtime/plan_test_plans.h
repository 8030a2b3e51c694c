// Small plans shared by the plan, executor and API tests (built with PlanBuilder).
#ifndef TIDEMARK_TESTS_UNIT_RUNTIME_PLAN_TEST_PLANS_H_
#define TIDEMARK_TESTS_UNIT_RUNTIME_PLAN_TEST_PLANS_H_

#include <cstdint>
#include <string>
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

// A plan that touches most kernel families with awkward sizes (chunks that do not divide T,
// broadcasting, a reshape view, scratch-using kernels). Every arena value gets its own bytes and
// live intervals come from the steps. Inputs: x [32,32]. Outputs: dgamma [64], r [64],
// dscale [64], dsum [2,4,16,16]. State: W1 [32,64], b1, gamma, beta [64]. (dln and dbeta are
// computed and never read: a dead value still gets its interval and bytes.)
inline PlanBuilder MixedBuilder() {
  PlanBuilder builder;
  uint64_t arena_top = 0;
  auto arena = [&](const std::string &name, std::vector<int64_t> shape) {
    int64_t elements = 1;
    for (int64_t d : shape)
      elements *= d;
    int id = builder.AddArenaTensor(name, std::move(shape), arena_top);
    arena_top += (uint64_t(elements) * 4 + 63) / 64 * 64;
    return id;
  };
  builder.SetState(64 * 35 * 4);
  int x = builder.AddInput("x", {32, 32});
  int w1 = builder.AddStateTensor("W1", {32, 64}, 0);
  int b1 = builder.AddStateTensor("b1", {64}, 32 * 64 * 4);
  std::vector<float> w(32 * 64), b(64), scale(64);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = float((i * 37) % 17) / 17.0f - 0.5f;
  for (size_t i = 0; i < b.size(); ++i) {
    b[i] = float(i % 5) * 0.1f - 0.2f;
    scale[i] = 1.0f + float(i % 3);
  }
  builder.SetStateTensorValues(w1, w);
  builder.SetStateTensorValues(b1, b);
  int gamma = builder.AddStateTensor("gamma", {64}, 33 * 64 * 4);
  int beta = builder.AddStateTensor("beta", {64}, 34 * 64 * 4);
  builder.SetStateTensorValues(gamma, scale);
  builder.SetStateTensorValues(beta, b);
  int scale_c = builder.AddConstant("scale", {64}, scale);
  int h1 = arena("h1", {32, 64}), h2 = arena("h2", {32, 64}), h3 = arena("h3", {32, 64});
  int sm = arena("s", {32, 64}), m = arena("m", {32, 64});
  int ln = arena("ln", {32, 64}), mean = arena("mean", {32}), rstd = arena("rstd", {32});
  int dln = arena("dln", {32, 64}), dbeta = arena("dbeta", {64});
  int dgamma = builder.AddOutput("dgamma", {64});
  int q = builder.AddView("q", {2, 4, 16, 16}, m);
  int out = arena("out", {2, 4, 16, 16}), lse = arena("lse", {2, 4, 16});
  int dq = arena("dq", {2, 4, 16, 16}), dk = arena("dk", {2, 4, 16, 16});
  int dv = arena("dv", {2, 4, 16, 16}), sum1 = arena("sum1", {2, 4, 16, 16});
  int r = builder.AddOutput("r", {64});
  int dscale = builder.AddOutput("dscale", {64});
  int dsum = builder.AddOutput("dsum", {2, 4, 16, 16});
  builder.SetArena(arena_top);
  builder.AddStep(KernelId::kMatMul, {x, w1}, {h1}, MatMulAttributes{});
  builder.AddStep(KernelId::kAdd, {h1, b1}, {h2});
  builder.AddStep(KernelId::kLayerNorm, {h2, gamma, beta}, {ln, mean, rstd},
                  LayerNormAttributes{1e-5f});
  builder.AddStep(KernelId::kLayerNormGrad, {h2, gamma, mean, rstd, ln}, {dln, dgamma, dbeta});
  builder.AddStep(KernelId::kGeluTanh, {ln}, {h3});
  builder.AddStep(KernelId::kSoftmax, {h3}, {sm}, SoftmaxAttributes{-1});
  builder.AddStep(KernelId::kMul, {sm, scale_c}, {m});
  builder.AddStep(KernelId::kMulGrad, {sm, scale_c, m}, {dscale}, BinaryGradAttributes{1});
  builder.AddStep(KernelId::kReduceSum, {m}, {r}, ReduceAttributes{{0}, false});
  AttentionAttributes attention;
  attention.causal = true;
  attention.q_chunk = 5;
  attention.k_chunk = 7;
  builder.AddStep(KernelId::kAttention, {q, q, q}, {out, lse}, attention);
  builder.AddStep(KernelId::kAttentionGrad, {q, q, q, out, lse, out}, {dq, dk, dv}, attention);
  builder.AddStep(KernelId::kAdd, {dq, dk}, {sum1});
  builder.AddStep(KernelId::kAdd, {sum1, dv}, {dsum});
  builder.AssignLiveIntervalsFromSteps();
  return builder;
}

// The perceptron with an MSE loss against target 0 and its backward pass:
//   step 3: loss = MseLoss(y, t)            step 4: dy = MseLossGrad(y, t, 1)
//   step 5: dz = ReluGrad(z, dy)            step 6: dW = MatMul(x^T, dz)
//   step 7: db = ReduceSum(dz, axis 0)
inline PlanBuilder TrainingBuilder() {
  PlanBuilder builder;
  uint64_t top = 0;
  auto arena = [&](const std::string &name, std::vector<int64_t> shape) {
    int id = builder.AddArenaTensor(name, shape, top);
    top += 128; // Every value here is at most 20 floats (80 bytes).
    return id;
  };
  builder.SetState(128);
  int x = builder.AddInput("x", {4, 3});
  int t = builder.AddInput("target", {4, 5});
  int w = builder.AddStateTensor("W", {3, 5}, 0);
  int b = builder.AddStateTensor("b", {5}, 64);
  builder.SetStateTensorValues(w, PerceptronWeights());
  builder.SetStateTensorValues(b, PerceptronBias());
  int one = builder.AddConstant("one", {1}, {1.0f});
  int h = arena("h", {4, 5}), z = arena("z", {4, 5}), y = arena("y", {4, 5});
  int dy = arena("dy", {4, 5}), dz = arena("dz", {4, 5});
  int loss = builder.AddOutput("loss", {1});
  int dw = builder.AddOutput("dW", {3, 5}), db = builder.AddOutput("db", {5});
  builder.AddStep(KernelId::kMatMul, {x, w}, {h});
  builder.AddStep(KernelId::kAdd, {h, b}, {z});
  builder.AddStep(KernelId::kRelu, {z}, {y});
  builder.AddStep(KernelId::kMseLoss, {y, t}, {loss});
  builder.AddStep(KernelId::kMseLossGrad, {y, t, one}, {dy});
  builder.AddStep(KernelId::kReluGrad, {z, dy}, {dz});
  builder.AddStep(KernelId::kMatMul, {x, dz}, {dw}, MatMulAttributes{true, false, 1.0f, false});
  builder.AddStep(KernelId::kReduceSum, {dz}, {db}, ReduceAttributes{{0}, false});
  builder.SetArena(top);
  builder.AssignLiveIntervalsFromSteps();
  return builder;
}

// TrainingBuilder() plus in-place updates of W and b (tensor ids 2 and 3) from dW and db (ids
// 11 and 12): SGD with momentum (velocities in state), or Adam (m and v in state).
inline std::vector<uint8_t> OptimizerPlan(bool adam, float learning_rate) {
  PlanBuilder builder = TrainingBuilder();
  builder.SetState(384);
  const int w = 2, b = 3, dw = 11, db = 12;
  int w_slot1 = builder.AddStateTensor("W.slot1", {3, 5}, 128);
  int b_slot1 = builder.AddStateTensor("b.slot1", {5}, 192);
  if (adam) {
    int w_slot2 = builder.AddStateTensor("W.slot2", {3, 5}, 256);
    int b_slot2 = builder.AddStateTensor("b.slot2", {5}, 320);
    AdamAttributes attrs;
    attrs.learning_rate = learning_rate;
    builder.AddStep(KernelId::kAdamUpdate, {w, dw, w_slot1, w_slot2}, {w, w_slot1, w_slot2}, attrs);
    builder.AddStep(KernelId::kAdamUpdate, {b, db, b_slot1, b_slot2}, {b, b_slot1, b_slot2}, attrs);
  } else {
    SgdAttributes attrs{learning_rate, 0.9f, 0.0f};
    builder.AddStep(KernelId::kSgdUpdate, {w, dw, w_slot1}, {w, w_slot1}, attrs);
    builder.AddStep(KernelId::kSgdUpdate, {b, db, b_slot1}, {b, b_slot1}, attrs);
  }
  return builder.Finish();
}

} // namespace testing_plans
} // namespace tidemark

#endif // TIDEMARK_TESTS_UNIT_RUNTIME_PLAN_TEST_PLANS_H_
