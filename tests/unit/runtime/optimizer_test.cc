// SGD and Adam updates against scalar references on every Highway target over several steps,
// hand-checked first steps, option validation and determinism.
#include "runtime/kernels/optimizer.h"

#include <cmath>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::Buffer;
using testing::FillRandom;

TEST(OptimizerTest, SgdMatchesReferenceOverSteps) {
  ThreadPool pool(2);
  const SgdOptions configs[] = {{0.1f, 0.0f, 0.0f}, {0.05f, 0.9f, 0.0f}, {0.01f, 0.9f, 1e-2f}};
  testing::ForEachTarget([&] {
    for (const SgdOptions &options : configs)
      for (int64_t n : testing::SweepSizes())
        for (int misalign = 0; misalign < 4; ++misalign) {
          Buffer param(n, misalign), grad(n, 3 - misalign), velocity(n, 1);
          FillRandom(param.data(), n, -1.0f, 1.0f, 1);
          std::vector<float> param_ref = param.ToVector(), velocity_ref(n, 0.0f);
          for (int step = 0; step < 3; ++step) {
            FillRandom(grad.data(), n, -1.0f, 1.0f, static_cast<uint32_t>(step + 2));
            ASSERT_TRUE(SgdUpdate(n, param.data(), grad.data(), velocity.data(), options,
                                  n > 100 ? &pool : nullptr)
                            .ok());
            SgdReference(n, param_ref.data(), grad.data(), velocity_ref.data(), options);
          }
          // FMA vs separate multiply-add: a few ULP after three steps.
          testing::ExpectAllNear(param.data(), param_ref.data(), n, 1e-6, 1e-6, "sgd param");
          if (options.momentum > 0.0f)
            testing::ExpectAllNear(velocity.data(), velocity_ref.data(), n, 1e-6, 1e-6,
                                   "sgd velocity");
        }
  });
}

TEST(OptimizerTest, SgdHandChecked) {
  testing::ForEachTarget([] {
    float param[2] = {1.0f, -2.0f}, grad[2] = {0.5f, 0.25f}, velocity[2] = {0.0f, 0.0f};
    const SgdOptions options{0.1f, 0.5f, 0.0f};
    ASSERT_TRUE(SgdUpdate(2, param, grad, velocity, options, nullptr).ok());
    EXPECT_FLOAT_EQ(param[0], 0.95f); // v = 0.5, p = 1 - 0.1 * 0.5
    ASSERT_TRUE(SgdUpdate(2, param, grad, velocity, options, nullptr).ok());
    EXPECT_FLOAT_EQ(velocity[0], 0.75f); // v = 0.5 * 0.5 + 0.5
    EXPECT_FLOAT_EQ(param[0], 0.875f);
    EXPECT_FLOAT_EQ(param[1], -2.0f - 0.1f * 0.25f - 0.1f * 0.375f);
  });
}

TEST(OptimizerTest, AdamMatchesReferenceOverSteps) {
  ThreadPool pool(2);
  AdamOptions l2, decoupled;
  l2.weight_decay = 1e-2f;
  decoupled.weight_decay = 1e-2f;
  decoupled.decoupled_weight_decay = true;
  const AdamOptions configs[] = {AdamOptions(), l2, decoupled};
  testing::ForEachTarget([&] {
    for (const AdamOptions &options : configs)
      for (int64_t n : testing::SweepSizes()) {
        Buffer param(n, 1), grad(n, 2), m(n, 3), v(n, 0);
        FillRandom(param.data(), n, -1.0f, 1.0f, 4);
        std::vector<float> param_ref = param.ToVector(), m_ref(n, 0.0f), v_ref(n, 0.0f);
        for (int64_t step = 1; step <= 4; ++step) {
          FillRandom(grad.data(), n, -1.0f, 1.0f, static_cast<uint32_t>(step + 5));
          ASSERT_TRUE(
              AdamUpdate(n, param.data(), grad.data(), m.data(), v.data(), options, step, &pool)
                  .ok());
          AdamReference(n, param_ref.data(), grad.data(), m_ref.data(), v_ref.data(), options,
                        step);
        }
        testing::ExpectAllNear(param.data(), param_ref.data(), n, 1e-6, 1e-6, "adam param");
        testing::ExpectAllNear(m.data(), m_ref.data(), n, 1e-7, 1e-6, "adam m");
        testing::ExpectAllNear(v.data(), v_ref.data(), n, 1e-9, 1e-6, "adam v");
      }
  });
}

// With bias correction the first Adam step moves every parameter by lr * g / (|g| + eps').
TEST(OptimizerTest, AdamFirstStepIsLearningRateTimesSign) {
  testing::ForEachTarget([] {
    float param[3] = {0.0f, 1.0f, -1.0f}, grad[3] = {3.0f, -0.001f, 0.5f}, m[3] = {}, v[3] = {};
    AdamOptions options;
    options.learning_rate = 0.01f;
    ASSERT_TRUE(AdamUpdate(3, param, grad, m, v, options, 1, nullptr).ok());
    EXPECT_NEAR(param[0], -0.01f, 1e-7);
    EXPECT_NEAR(param[1], 1.01f, 1e-6);
    EXPECT_NEAR(param[2], -1.01f, 1e-6);
  });
}

TEST(OptimizerTest, BadOptionsAreRejectedBeforeWriting) {
  float param[2] = {1.0f, 2.0f}, grad[2] = {1.0f, 1.0f}, m[2] = {}, v[2] = {};
  SgdOptions sgd;
  sgd.momentum = 0.9f;
  Status status = SgdUpdate(2, param, grad, nullptr, sgd, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("velocity"), std::string::npos);
  sgd.momentum = 1.5f;
  EXPECT_EQ(SgdUpdate(2, param, grad, m, sgd, nullptr).code(), StatusCode::kInvalidArgument);
  sgd = SgdOptions();
  sgd.learning_rate = -1.0f;
  status = SgdUpdate(2, param, grad, nullptr, sgd, nullptr);
  EXPECT_NE(status.message().find("learning rate"), std::string::npos);
  AdamOptions adam;
  status = AdamUpdate(2, param, grad, m, v, adam, 0, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("step must be >= 1"), std::string::npos);
  adam.beta2 = 1.0f;
  status = AdamUpdate(2, param, grad, m, v, adam, 1, nullptr);
  EXPECT_NE(status.message().find("beta1 and beta2"), std::string::npos);
  adam = AdamOptions();
  adam.epsilon = 0.0f;
  EXPECT_EQ(AdamUpdate(2, param, grad, m, v, adam, 1, nullptr).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AdamUpdate(-1, param, grad, m, v, AdamOptions(), 1, nullptr).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(param[0], 1.0f);
  EXPECT_EQ(param[1], 2.0f);
  EXPECT_EQ(m[0], 0.0f);
}

TEST(OptimizerTest, BitIdenticalAcrossThreadCounts) {
  const int64_t n = 100000;
  Buffer grad(n);
  FillRandom(grad.data(), n, -1.0f, 1.0f, 7);
  ThreadPool pool(2);
  auto run = [&](ThreadPool *p) {
    Buffer param(n), m(n), v(n);
    FillRandom(param.data(), n, -1.0f, 1.0f, 8);
    for (int64_t step = 1; step <= 3; ++step)
      EXPECT_TRUE(
          AdamUpdate(n, param.data(), grad.data(), m.data(), v.data(), AdamOptions(), step, p)
              .ok());
    return param.ToVector();
  };
  const auto first = run(&pool), second = run(&pool), serial = run(nullptr);
  EXPECT_TRUE(testing::BitIdentical(first.data(), second.data(), n));
  EXPECT_TRUE(testing::BitIdentical(first.data(), serial.data(), n));
}

} // namespace
} // namespace kernels
} // namespace tidemark
