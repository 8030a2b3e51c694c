// The fused LM head + cross-entropy against a double-precision reference that materializes the
// logits: loss, lse and all gradients, chunk sizes that do not divide the sizes, ignored labels,
// finite differences, bit-identity across thread counts, and errors.
#include "runtime/kernels/lm_head_loss.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::FillRandom;

using testing::Scratch;

struct Problem {
  LmHeadLossParams p;
  std::vector<float> h, w, bias;
  std::vector<int32_t> labels;
};

Problem MakeProblem(int64_t rows, int64_t hidden, int64_t vocab, int64_t row_chunk,
                    int64_t vocab_chunk, uint32_t seed, int ignored_every = 0) {
  Problem pr;
  pr.p.rows = rows;
  pr.p.hidden = hidden;
  pr.p.vocab = vocab;
  pr.p.row_chunk = row_chunk;
  pr.p.vocab_chunk = vocab_chunk;
  pr.h.resize(static_cast<size_t>(rows * hidden));
  pr.w.resize(static_cast<size_t>(vocab * hidden));
  pr.bias.resize(static_cast<size_t>(vocab));
  FillRandom(pr.h.data(), rows * hidden, -1.0f, 1.0f, seed);
  FillRandom(pr.w.data(), vocab * hidden, -0.5f, 0.5f, seed + 1);
  FillRandom(pr.bias.data(), vocab, -0.2f, 0.2f, seed + 2);
  std::mt19937 rng(seed + 3);
  pr.labels.resize(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r)
    pr.labels[r] = (ignored_every > 0 && r % ignored_every == 1)
                       ? -100
                       : static_cast<int32_t>(rng() % static_cast<uint32_t>(vocab));
  return pr;
}

// Materialized reference in double: loss, lse, dh, dw, d_bias (bias optional).
struct Reference {
  double loss = 0.0;
  std::vector<double> lse, dh, dw, d_bias;
};

Reference Compute(const Problem &pr, bool with_bias, double d_loss) {
  const auto &p = pr.p;
  Reference ref;
  ref.lse.assign(p.rows, 0.0);
  ref.dh.assign(p.rows * p.hidden, 0.0);
  ref.dw.assign(p.vocab * p.hidden, 0.0);
  ref.d_bias.assign(p.vocab, 0.0);
  int64_t valid = 0;
  for (int32_t label : pr.labels)
    valid += label != p.ignore_index;
  std::vector<double> z(p.vocab);
  double total = 0.0;
  for (int64_t r = 0; r < p.rows; ++r) {
    double m = -INFINITY;
    for (int64_t v = 0; v < p.vocab; ++v) {
      double sum = with_bias ? pr.bias[v] : 0.0;
      for (int64_t e = 0; e < p.hidden; ++e)
        sum += static_cast<double>(pr.h[r * p.hidden + e]) * pr.w[v * p.hidden + e];
      z[v] = sum;
      m = std::fmax(m, sum);
    }
    double s = 0.0;
    for (int64_t v = 0; v < p.vocab; ++v)
      s += std::exp(z[v] - m);
    ref.lse[r] = m + std::log(s);
    if (pr.labels[r] == p.ignore_index)
      continue;
    total += ref.lse[r] - z[pr.labels[r]];
    const double g = d_loss / static_cast<double>(valid);
    for (int64_t v = 0; v < p.vocab; ++v) {
      const double grad = (std::exp(z[v] - ref.lse[r]) - (v == pr.labels[r] ? 1.0 : 0.0)) * g;
      ref.d_bias[v] += grad;
      for (int64_t e = 0; e < p.hidden; ++e) {
        ref.dh[r * p.hidden + e] += grad * pr.w[v * p.hidden + e];
        ref.dw[v * p.hidden + e] += grad * pr.h[r * p.hidden + e];
      }
    }
  }
  ref.loss = total / static_cast<double>(valid);
  return ref;
}

void ExpectClose(const std::vector<float> &got, const std::vector<double> &want, double tol,
                 const char *what) {
  ASSERT_EQ(got.size(), want.size());
  double scale = 1e-30;
  for (double v : want)
    scale = std::fmax(scale, std::fabs(v));
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], tol * scale) << what << " [" << i << "]";
}

void Check(const Problem &pr, bool with_bias, ThreadPool *pool) {
  const auto &p = pr.p;
  const int threads = pool ? pool->num_threads() : 1;
  Scratch scratch(LmHeadLossScratchBytes(p, threads));
  std::vector<float> lse(p.rows), dh(p.rows * p.hidden), dw(p.vocab * p.hidden), db(p.vocab);
  float loss = 0.0f, d_loss = 1.5f;
  const float *bias = with_bias ? pr.bias.data() : nullptr;
  ASSERT_TRUE(LmHeadLoss(p, pr.h.data(), pr.w.data(), bias, pr.labels.data(), &loss, lse.data(),
                         scratch.data(), pool)
                  .ok());
  ASSERT_TRUE(LmHeadLossGrad(p, pr.h.data(), pr.w.data(), bias, pr.labels.data(), lse.data(),
                             &d_loss, dh.data(), dw.data(), with_bias ? db.data() : nullptr,
                             scratch.data(), pool)
                  .ok());
  const Reference ref = Compute(pr, with_bias, d_loss);
  EXPECT_NEAR(loss, ref.loss, 2e-6 * (1.0 + std::fabs(ref.loss)));
  ExpectClose(lse, ref.lse, 2e-6, "lse");
  ExpectClose(dh, ref.dh, 2e-5, "dh");
  ExpectClose(dw, ref.dw, 2e-5, "dw");
  if (with_bias)
    ExpectClose(db, ref.d_bias, 2e-5, "d_bias");
}

TEST(LmHeadLossTest, MatchesTheMaterializedReference) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    Check(MakeProblem(7, 5, 11, 3, 4, 1), true, nullptr);      // chunks divide nothing
    Check(MakeProblem(7, 5, 11, 100, 100, 2), false, nullptr); // one chunk each
    Check(MakeProblem(33, 17, 301, 8, 64, 3, 4), true, &pool); // ignored labels, threads
    Check(MakeProblem(64, 48, 1000, 16, 256, 4), true, &pool); // several GEMM blocks
  });
}

// Mean |error| in ulps of the float nearest to each expected value (values far from 0).
double MeanUlps(const std::vector<float> &got, const std::vector<double> &want) {
  double sum = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const float nearest = static_cast<float>(want[i]);
    sum += std::fabs(got[i] - want[i]) /
           (std::nextafter(std::fabs(nearest), HUGE_VALF) - std::fabs(nearest));
  }
  return sum / static_cast<double>(got.size());
}

// d_bias sums each row chunk's rows in double and adds them to the running sum with one rounding:
// over 4096 rows (8 row chunks of 512) the mean error is 3.2-4.1 ulps on every target (the floor
// set by G = p - onehot's own float rounding), against 27-41 ulps with a float accumulator.
TEST(LmHeadLossTest, BiasGradientOverManyRowsRoundsOncePerChunk) {
  Problem pr = MakeProblem(4096, 16, 40, 512, 40, 9);
  for (float &b : pr.bias) // d_bias = sum of (p - onehot) over rows: keep it away from 0
    b += 1.0f;
  pr.bias[0] = 3.0f;
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    const auto &p = pr.p;
    Scratch scratch(LmHeadLossScratchBytes(p, 2));
    std::vector<float> lse(p.rows), dh(p.rows * p.hidden), dw(p.vocab * p.hidden), db(p.vocab);
    float loss = 0.0f, d_loss = 1.0f;
    ASSERT_TRUE(LmHeadLoss(p, pr.h.data(), pr.w.data(), pr.bias.data(), pr.labels.data(), &loss,
                           lse.data(), scratch.data(), &pool)
                    .ok());
    ASSERT_TRUE(LmHeadLossGrad(p, pr.h.data(), pr.w.data(), pr.bias.data(), pr.labels.data(),
                               lse.data(), &d_loss, dh.data(), dw.data(), db.data(), scratch.data(),
                               &pool)
                    .ok());
    const Reference ref = Compute(pr, true, d_loss);
    EXPECT_LE(MeanUlps(db, ref.d_bias), 8.0);
  });
}

TEST(LmHeadLossTest, GradientsMatchFiniteDifferences) {
  Problem pr = MakeProblem(4, 3, 6, 3, 4, 9, 3);
  const auto &p = pr.p;
  Scratch scratch(LmHeadLossScratchBytes(p, 1));
  std::vector<float> lse(p.rows), dh(p.rows * p.hidden), dw(p.vocab * p.hidden), db(p.vocab);
  float loss = 0.0f, d_loss = 1.0f;
  ASSERT_TRUE(LmHeadLoss(p, pr.h.data(), pr.w.data(), pr.bias.data(), pr.labels.data(), &loss,
                         lse.data(), scratch.data(), nullptr)
                  .ok());
  ASSERT_TRUE(LmHeadLossGrad(p, pr.h.data(), pr.w.data(), pr.bias.data(), pr.labels.data(),
                             lse.data(), &d_loss, dh.data(), dw.data(), db.data(), scratch.data(),
                             nullptr)
                  .ok());
  auto loss_of = [&](const Problem &q) { return Compute(q, true, 1.0).loss; };
  auto fd = [&](std::vector<float> Problem::*field, const std::vector<float> &grad) {
    Problem q = pr;
    std::vector<double> x((q.*field).begin(), (q.*field).end());
    const auto numeric = testing::FiniteDifferences(
        x,
        [&](const std::vector<double> &v) {
          for (size_t i = 0; i < v.size(); ++i)
            (q.*field)[i] = static_cast<float>(v[i]);
          return loss_of(q);
        },
        1e-3);
    return testing::GradientError(grad.data(), numeric);
  };
  EXPECT_LE(fd(&Problem::h, dh), 1e-3);
  EXPECT_LE(fd(&Problem::w, dw), 1e-3);
  EXPECT_LE(fd(&Problem::bias, db), 1e-3);
}

TEST(LmHeadLossTest, BitIdenticalAcrossThreadCounts) {
  const Problem pr = MakeProblem(50, 32, 700, 16, 128, 5, 7);
  const auto &p = pr.p;
  std::vector<float> results[2];
  for (int threads : {1, 4}) {
    ThreadPool pool(threads);
    Scratch scratch(LmHeadLossScratchBytes(p, threads));
    std::vector<float> lse(p.rows), dh(p.rows * p.hidden), dw(p.vocab * p.hidden), db(p.vocab);
    float loss = 0.0f, d_loss = 1.0f;
    ASSERT_TRUE(LmHeadLoss(p, pr.h.data(), pr.w.data(), pr.bias.data(), pr.labels.data(), &loss,
                           lse.data(), scratch.data(), &pool)
                    .ok());
    ASSERT_TRUE(LmHeadLossGrad(p, pr.h.data(), pr.w.data(), pr.bias.data(), pr.labels.data(),
                               lse.data(), &d_loss, dh.data(), dw.data(), db.data(), scratch.data(),
                               &pool)
                    .ok());
    std::vector<float> &all = results[threads == 1 ? 0 : 1];
    all.push_back(loss);
    all.insert(all.end(), lse.begin(), lse.end());
    all.insert(all.end(), dh.begin(), dh.end());
    all.insert(all.end(), dw.begin(), dw.end());
    all.insert(all.end(), db.begin(), db.end());
  }
  ASSERT_EQ(results[0].size(), results[1].size());
  EXPECT_TRUE(testing::BitIdentical(results[0].data(), results[1].data(),
                                    static_cast<int64_t>(results[0].size())));
}

TEST(LmHeadLossTest, AllIgnoredGivesNanLossAndZeroGradients) {
  Problem pr = MakeProblem(3, 4, 5, 2, 2, 6);
  for (int32_t &label : pr.labels)
    label = -100;
  Scratch scratch(LmHeadLossScratchBytes(pr.p, 1));
  std::vector<float> lse(3), dh(12, 7.0f), dw(20, 7.0f), db(5, 7.0f);
  float loss = 0.0f, d_loss = 1.0f;
  ASSERT_TRUE(LmHeadLoss(pr.p, pr.h.data(), pr.w.data(), pr.bias.data(), pr.labels.data(), &loss,
                         lse.data(), scratch.data(), nullptr)
                  .ok());
  EXPECT_TRUE(std::isnan(loss));
  ASSERT_TRUE(LmHeadLossGrad(pr.p, pr.h.data(), pr.w.data(), pr.bias.data(), pr.labels.data(),
                             lse.data(), &d_loss, dh.data(), dw.data(), db.data(), scratch.data(),
                             nullptr)
                  .ok());
  for (float v : dh)
    EXPECT_EQ(v, 0.0f);
  for (float v : dw)
    EXPECT_EQ(v, 0.0f);
  for (float v : db)
    EXPECT_EQ(v, 0.0f);
}

TEST(LmHeadLossTest, BadLabelsAndSizesAreRejected) {
  Problem pr = MakeProblem(3, 4, 5, 2, 2, 6);
  pr.labels[2] = 5;
  Scratch scratch(LmHeadLossScratchBytes(pr.p, 1));
  std::vector<float> lse(3, 7.0f);
  float loss = 7.0f;
  Status status = LmHeadLoss(pr.p, pr.h.data(), pr.w.data(), nullptr, pr.labels.data(), &loss,
                             lse.data(), scratch.data(), nullptr);
  EXPECT_EQ(status.code(), StatusCode::kOutOfRange);
  EXPECT_NE(status.message().find("label 5 of row 2 is outside [0, 5)"), std::string::npos)
      << status.ToString();
  EXPECT_EQ(loss, 7.0f);
  for (float v : lse)
    EXPECT_EQ(v, 7.0f);
  LmHeadLossParams bad = pr.p;
  bad.vocab_chunk = 0;
  EXPECT_EQ(LmHeadLoss(bad, pr.h.data(), pr.w.data(), nullptr, pr.labels.data(), &loss, lse.data(),
                       scratch.data(), nullptr)
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(LmHeadLossScratchBytes(bad, 1), 0u);
  EXPECT_FALSE(LmHeadLoss(pr.p, pr.h.data(), pr.w.data(), nullptr, pr.labels.data(), &loss,
                          lse.data(), nullptr, nullptr)
                   .ok());
}

} // namespace
} // namespace kernels
} // namespace tidemark
