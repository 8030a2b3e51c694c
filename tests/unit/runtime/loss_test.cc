// MSE and softmax cross-entropy forward/backward against scalar references on every Highway
// target, finite differences of the scalar forward, label checks, stability and determinism.
#include "runtime/kernels/loss.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::Buffer;
using testing::FillRandom;

std::vector<int32_t> RandomLabels(int64_t rows, int64_t classes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(0, static_cast<int32_t>(classes - 1));
  std::vector<int32_t> labels(static_cast<size_t>(rows));
  for (auto &label : labels)
    label = dist(rng);
  return labels;
}

TEST(LossTest, MseMatchesReference) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    std::vector<int64_t> sizes = testing::SweepSizes();
    sizes.push_back(100003); // several chunks
    for (int64_t n : sizes)
      for (int misalign = 0; misalign < 4; ++misalign) {
        Buffer pred(n, misalign), target(n, 3 - misalign), grad(n, 1);
        FillRandom(pred.data(), n, -2.0f, 2.0f, static_cast<uint32_t>(n));
        FillRandom(target.data(), n, -2.0f, 2.0f, static_cast<uint32_t>(n + 1));
        float loss = 0.0f;
        ASSERT_TRUE(MseLoss(n, pred.data(), target.data(), &loss, &pool).ok());
        const auto p = pred.ToDouble(), t = target.ToDouble();
        const double expected = MseLossReference(n, p.data(), t.data());
        EXPECT_NEAR(loss, expected, 1e-6 * expected + 1e-12) << "n " << n;
        const float d_loss = 0.75f;
        ASSERT_TRUE(MseLossGrad(n, pred.data(), target.data(), &d_loss, grad.data(), &pool).ok());
        std::vector<double> grad_ref(static_cast<size_t>(n));
        MseLossGradReference(n, p.data(), t.data(), 0.75, grad_ref.data());
        testing::ExpectAllNear(grad.data(), grad_ref.data(), n, 1e-12, 4e-7, "mse grad");
      }
  });
}

TEST(LossTest, MseGradMatchesFiniteDifferences) {
  testing::ForEachTarget([] {
    const int64_t n = 37;
    Buffer pred(n), target(n), grad(n);
    FillRandom(pred.data(), n, -2.0f, 2.0f, 1);
    FillRandom(target.data(), n, -2.0f, 2.0f, 2);
    const float d_loss = 1.0f;
    ASSERT_TRUE(MseLossGrad(n, pred.data(), target.data(), &d_loss, grad.data(), nullptr).ok());
    const auto t = target.ToDouble();
    const auto fd = testing::FiniteDifferences(pred.ToDouble(), [&](const std::vector<double> &p) {
      return MseLossReference(n, p.data(), t.data());
    });
    EXPECT_LE(testing::GradientError(grad.data(), fd), 1e-3);
  });
}

void CheckCrossEntropy(int64_t rows, int64_t classes, int misalign, ThreadPool *pool) {
  Buffer logits(rows * classes, misalign), grad(rows * classes, 3 - misalign);
  FillRandom(logits.data(), logits.size(), -8.0f, 8.0f, static_cast<uint32_t>(rows + classes));
  const std::vector<int32_t> labels = RandomLabels(rows, classes, 3);
  float loss = 0.0f;
  ASSERT_TRUE(SoftmaxCrossEntropy(rows, classes, logits.data(), labels.data(), &loss, pool).ok());
  const auto x = logits.ToDouble();
  const double expected = SoftmaxCrossEntropyReference(rows, classes, x.data(), labels.data());
  EXPECT_NEAR(loss, expected, 2e-6 * (1.0 + std::fabs(expected))) << rows << "x" << classes;
  const float d_loss = 1.5f;
  ASSERT_TRUE(SoftmaxCrossEntropyGrad(rows, classes, logits.data(), labels.data(), &d_loss,
                                      grad.data(), pool)
                  .ok());
  std::vector<double> grad_ref(x.size());
  SoftmaxCrossEntropyGradReference(rows, classes, x.data(), labels.data(), 1.5, grad_ref.data());
  const double scale = 1.5 / static_cast<double>(rows);
  testing::ExpectAllNear(grad.data(), grad_ref.data(), grad.size(), scale * (1e-6 + 6e-8 * classes),
                         2e-6, "cross-entropy grad");
}

TEST(LossTest, CrossEntropyMatchesReference) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    for (int64_t classes : testing::SweepSizes())
      for (int misalign = 0; misalign < 4; ++misalign)
        CheckCrossEntropy(3, classes, misalign, nullptr);
    CheckCrossEntropy(1000, 50, 1, &pool); // many row chunks
    CheckCrossEntropy(4, 30000, 2, &pool); // long rows
    CheckCrossEntropy(1, 1, 0, nullptr);   // one class: loss 0, gradient 0
  });
}

TEST(LossTest, CrossEntropyGradMatchesFiniteDifferences) {
  testing::ForEachTarget([] {
    const int64_t rows = 5, classes = 11;
    Buffer logits(rows * classes, 1), grad(rows * classes, 2);
    FillRandom(logits.data(), logits.size(), -4.0f, 4.0f, 9);
    const std::vector<int32_t> labels = RandomLabels(rows, classes, 10);
    const float d_loss = 1.0f;
    ASSERT_TRUE(SoftmaxCrossEntropyGrad(rows, classes, logits.data(), labels.data(), &d_loss,
                                        grad.data(), nullptr)
                    .ok());
    const auto fd =
        testing::FiniteDifferences(logits.ToDouble(), [&](const std::vector<double> &x) {
          return SoftmaxCrossEntropyReference(rows, classes, x.data(), labels.data());
        });
    EXPECT_LE(testing::GradientError(grad.data(), fd), 1e-3);
  });
}

TEST(LossTest, CrossEntropyIsStableForHugeLogits) {
  testing::ForEachTarget([] {
    float logits[3] = {1000.0f, -1000.0f, 999.0f}, grad[3];
    int32_t label = 2;
    float loss = 0.0f;
    ASSERT_TRUE(SoftmaxCrossEntropy(1, 3, logits, &label, &loss, nullptr).ok());
    EXPECT_NEAR(loss, std::log(1.0 + std::exp(1.0)), 1e-5); // lse - 999 = 1 + log(1 + e^-1)
    const float one = 1.0f;
    ASSERT_TRUE(SoftmaxCrossEntropyGrad(1, 3, logits, &label, &one, grad, nullptr).ok());
    EXPECT_TRUE(std::isfinite(grad[0]) && std::isfinite(grad[1]) && std::isfinite(grad[2]));
    EXPECT_NEAR(grad[0] + grad[1] + grad[2], 0.0, 1e-6);
  });
}

TEST(LossTest, BadLabelsAndSizesAreRejectedBeforeWriting) {
  float logits[6] = {0, 1, 2, 3, 4, 5}, grad[6] = {7, 7, 7, 7, 7, 7}, loss = 7.0f;
  const float one = 1.0f;
  for (int32_t bad : {-1, 3, 1000000}) {
    int32_t labels[2] = {0, bad};
    Status status = SoftmaxCrossEntropy(2, 3, logits, labels, &loss, nullptr);
    EXPECT_EQ(status.code(), StatusCode::kOutOfRange);
    EXPECT_NE(status.message().find("at row 1"), std::string::npos) << status.message();
    EXPECT_NE(status.message().find(std::to_string(bad)), std::string::npos);
    status = SoftmaxCrossEntropyGrad(2, 3, logits, labels, &one, grad, nullptr);
    EXPECT_EQ(status.code(), StatusCode::kOutOfRange);
  }
  EXPECT_EQ(loss, 7.0f);
  EXPECT_EQ(grad[0], 7.0f);
  int32_t label = 0;
  EXPECT_EQ(SoftmaxCrossEntropy(0, 3, logits, &label, &loss, nullptr).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SoftmaxCrossEntropy(1, 0, logits, &label, &loss, nullptr).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MseLoss(0, logits, logits, &loss, nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MseLossGrad(-2, logits, logits, &one, grad, nullptr).code(),
            StatusCode::kInvalidArgument);
}

TEST(LossTest, DeterministicWithTwoThreads) {
  ThreadPool pool(2);
  const int64_t rows = 3000, classes = 97;
  Buffer logits(rows * classes), target(rows * classes);
  FillRandom(logits.data(), logits.size(), -5.0f, 5.0f, 11);
  FillRandom(target.data(), target.size(), -5.0f, 5.0f, 12);
  const std::vector<int32_t> labels = RandomLabels(rows, classes, 13);
  float ce[3], mse[3];
  ThreadPool *pools[3] = {&pool, &pool, nullptr};
  for (int run = 0; run < 3; ++run) {
    ASSERT_TRUE(
        SoftmaxCrossEntropy(rows, classes, logits.data(), labels.data(), &ce[run], pools[run])
            .ok());
    ASSERT_TRUE(MseLoss(logits.size(), logits.data(), target.data(), &mse[run], pools[run]).ok());
  }
  EXPECT_TRUE(testing::BitIdentical(ce, ce + 1, 1) && testing::BitIdentical(ce, ce + 2, 1));
  EXPECT_TRUE(testing::BitIdentical(mse, mse + 1, 1) && testing::BitIdentical(mse, mse + 2, 1));
}

} // namespace
} // namespace kernels
} // namespace tidemark
