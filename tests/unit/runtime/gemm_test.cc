// Gemm against GemmReference on every compiled Highway target: transposes, batches, alpha/beta,
// edge sizes around the register tile and vector width, misaligned pointers, 1-3 threads, and
// bit-for-bit determinism across runs and thread counts.
#include "runtime/kernels/gemm.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hwy/targets.h"
#include "runtime/core/thread_pool.h"
#include "runtime/kernels/gemm_blocking.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

// Runs `body` once per compiled-and-supported Highway target, with dispatch forced to it.
template <typename Body> void ForEachTarget(const Body &body) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    body(target);
  }
  hwy::SetSupportedTargetsForTest(0);
}

// 64-byte aligned scratch for `num_threads` threads, released on scope exit.
class Scratch {
public:
  explicit Scratch(int num_threads) {
    const size_t bytes = (GemmScratchBytes(num_threads) + 63) / 64 * 64;
    data_ = std::aligned_alloc(64, bytes);
  }
  ~Scratch() { std::free(data_); }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  void *get() const { return data_; }

private:
  void *data_;
};

// Elements spanned by `batch` items of `item_size` elements `stride` apart.
size_t SpanOf(const GemmParams &p, int64_t stride, int64_t item_size) {
  return static_cast<size_t>((p.batch - 1) * stride + item_size);
}

std::vector<float> RandomVector(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(size);
  for (float &x : v)
    x = dist(rng);
  return v;
}

std::vector<float> Absolute(std::vector<float> v) {
  for (float &x : v)
    x = std::fabs(x);
  return v;
}

// Inputs of one test case, stored `misalign` floats past the start of their vectors so that the
// pointers Gemm sees can be misaligned.
struct Operands {
  size_t misalign = 0;
  std::vector<float> a, b, c_initial;
  const float *A() const { return a.data() + misalign; }
  const float *B() const { return b.data() + misalign; }
};

Operands MakeOperands(const GemmParams &p, size_t misalign, bool nan_in_c, uint32_t seed) {
  Operands ops;
  ops.misalign = misalign;
  ops.a = RandomVector(misalign + SpanOf(p, p.stride_a, p.m * p.k), seed);
  ops.b = RandomVector(misalign + SpanOf(p, p.stride_b, p.k * p.n), seed + 1);
  ops.c_initial = RandomVector(misalign + SpanOf(p, p.stride_c, p.m * p.n), seed + 2);
  if (nan_in_c) {
    for (float &x : ops.c_initial)
      x = std::numeric_limits<float>::quiet_NaN();
  }
  return ops;
}

// Runs Gemm on a copy of the initial C and returns it (misalignment prefix included).
std::vector<float> RunGemm(const GemmParams &p, const Operands &ops, int num_threads) {
  std::vector<float> c = ops.c_initial;
  Scratch scratch(num_threads);
  if (num_threads == 1) {
    Gemm(p, ops.A(), ops.B(), c.data() + ops.misalign, scratch.get(), nullptr);
  } else {
    ThreadPool pool(num_threads);
    Gemm(p, ops.A(), ops.B(), c.data() + ops.misalign, scratch.get(), &pool);
  }
  return c;
}

// GemmReference's result for a case, and the per-element error bound for a float sum of k
// products, (k + 3) * eps * (|alpha| sum |a||b| + |beta c|), where the sum of magnitudes is itself
// computed by GemmReference on |A|, |B|, |C|. Computed once per case, shared by every target.
struct Expected {
  std::vector<float> values;
  std::vector<double> tolerance;
};

Expected ComputeExpected(const GemmParams &p, const Operands &ops) {
  Expected expected;
  expected.values = ops.c_initial;
  GemmReference(p, ops.A(), ops.B(), expected.values.data() + ops.misalign);
  GemmParams abs_params = p;
  abs_params.alpha = std::fabs(p.alpha);
  abs_params.beta = std::fabs(p.beta);
  const std::vector<float> abs_a = Absolute(ops.a), abs_b = Absolute(ops.b);
  std::vector<float> magnitude = Absolute(ops.c_initial);
  GemmReference(abs_params, abs_a.data() + ops.misalign, abs_b.data() + ops.misalign,
                magnitude.data() + ops.misalign);
  const double eps = std::numeric_limits<float>::epsilon();
  for (float x : magnitude)
    expected.tolerance.push_back((p.k + 3) * eps * x + 1e-30);
  return expected;
}

void ExpectClose(const Expected &expected, const std::vector<float> &got) {
  ASSERT_EQ(got.size(), expected.values.size());
  int failures = 0;
  for (size_t i = 0; i < got.size() && failures < 5; ++i) {
    const float want = expected.values[i];
    const bool both_nan = std::isnan(got[i]) && std::isnan(want);
    if (!both_nan && !(std::fabs(static_cast<double>(got[i]) - want) <= expected.tolerance[i])) {
      ADD_FAILURE() << "element " << i << ": got " << got[i] << ", want " << want << " (tolerance "
                    << expected.tolerance[i] << ")";
      ++failures;
    }
  }
}

void ExpectMatchesReference(const GemmParams &p, const Operands &ops,
                            const std::vector<float> &got) {
  ExpectClose(ComputeExpected(p, ops), got);
}

GemmParams Dense(int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b) {
  GemmParams p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.trans_a = trans_a;
  p.trans_b = trans_b;
  return p;
}

std::string Describe(const GemmParams &p) {
  return "m=" + std::to_string(p.m) + " n=" + std::to_string(p.n) + " k=" + std::to_string(p.k) +
         " trans_a=" + std::to_string(p.trans_a) + " trans_b=" + std::to_string(p.trans_b) +
         " batch=" + std::to_string(p.batch) + " alpha=" + std::to_string(p.alpha) +
         " beta=" + std::to_string(p.beta);
}

void CheckCase(const GemmParams &p, size_t misalign, int num_threads, uint32_t seed) {
  SCOPED_TRACE(Describe(p) + " misalign=" + std::to_string(misalign) +
               " threads=" + std::to_string(num_threads));
  const Operands ops = MakeOperands(p, misalign, /*nan_in_c=*/false, seed);
  ExpectMatchesReference(p, ops, RunGemm(p, ops, num_threads));
}

// Sizes around every target's register tile (MR in {6, 8}, with 1-, 2- and 4-row kernels for the
// last rows; NR in {2, 8, 16, 32, 48} for lane counts 1, 4, 8, 16) and the vector width N: 1, N-1,
// N, N+1, 8N+3 for N = 4, 8, 16.
const int64_t kEdgeRows[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 17, 35};
const int64_t kEdgeCols[] = {1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 35, 47, 48, 49, 67, 131};
const int64_t kEdgeDepths[] = {1, 2, 7, 16, 33};

TEST(GemmTest, EdgeSizesAllTransposesEveryTarget) {
  ForEachTarget([](int64_t) {
    uint32_t seed = 1;
    for (int transposes = 0; transposes < 4; ++transposes) {
      for (int64_t m : kEdgeRows) {
        for (int64_t n : kEdgeCols) {
          for (int64_t k : kEdgeDepths) {
            const GemmParams p = Dense(m, n, k, transposes & 1, transposes & 2);
            CheckCase(p, /*misalign=*/seed % 2, /*num_threads=*/1, seed);
            ++seed;
          }
        }
      }
    }
  });
}

// Several k slices (KC), MC row blocks and NC column blocks, each with a ragged last block. The
// reference is computed once per case and reused for every target.
TEST(GemmTest, SizesSpanningSeveralCacheBlocksEveryTarget) {
  for (int transposes = 0; transposes < 4; ++transposes) {
    const int64_t m = gemm_blocking::kMaxBlockRows + 5;
    const int64_t n = gemm_blocking::kMaxBlockCols + 65;
    const int64_t k = gemm_blocking::kDepth + 88;
    GemmParams p = Dense(m, n, k, transposes & 1, transposes & 2);
    p.alpha = 0.75f;
    p.beta = -1.5f;
    SCOPED_TRACE(Describe(p));
    const Operands ops = MakeOperands(p, /*misalign=*/1, false, 100 + transposes);
    const Expected expected = ComputeExpected(p, ops);
    ForEachTarget([&](int64_t) { ExpectClose(expected, RunGemm(p, ops, 2)); });
  }
}

TEST(GemmTest, AlphaAndBetaEveryTarget) {
  ForEachTarget([](int64_t) {
    const float alphas[] = {1.0f, -0.5f, 2.0f};
    const float betas[] = {0.0f, 1.0f, 0.25f};
    uint32_t seed = 200;
    for (float alpha : alphas) {
      for (float beta : betas) {
        const int64_t two_slices = gemm_blocking::kDepth + 14;
        for (int64_t k : {int64_t{1}, int64_t{19}, two_slices}) {
          GemmParams p = Dense(23, 53, k, false, true);
          p.alpha = alpha;
          p.beta = beta;
          CheckCase(p, /*misalign=*/1, /*num_threads=*/2, seed++);
        }
      }
    }
  });
}

TEST(GemmTest, BetaZeroNeverReadsCEveryTarget) {
  ForEachTarget([](int64_t) {
    const int64_t two_slices = gemm_blocking::kDepth + 44;
    for (int64_t k : {int64_t{0}, int64_t{1}, int64_t{9}, two_slices}) {
      for (int threads : {1, 3}) {
        // 40 x 100 x 556 is enough work for two tasks.
        GemmParams p = Dense(40, 100, k, true, false);
        p.alpha = 1.5f;
        SCOPED_TRACE(Describe(p) + " threads=" + std::to_string(threads));
        const Operands ops = MakeOperands(p, /*misalign=*/1, /*nan_in_c=*/true, 300);
        const std::vector<float> got = RunGemm(p, ops, threads);
        for (size_t i = ops.misalign; i < got.size(); ++i)
          ASSERT_FALSE(std::isnan(got[i])) << "NaN from C leaked into element " << i;
        ExpectMatchesReference(p, ops, got);
      }
    }
  });
}

TEST(GemmTest, EmptyDepthScalesCByBeta) {
  GemmParams p = Dense(5, 7, 0, false, false);
  p.beta = 0.5f;
  const Operands ops = MakeOperands(p, 0, false, 400);
  const std::vector<float> got = RunGemm(p, ops, 2);
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(got[i], 0.5f * ops.c_initial[i]);
}

TEST(GemmTest, BatchWithStridesAndBroadcastEveryTarget) {
  ForEachTarget([](int64_t) {
    uint32_t seed = 500;
    for (int transposes = 0; transposes < 4; ++transposes) {
      for (int broadcast = 0; broadcast < 3; ++broadcast) {
        GemmParams p = Dense(21, 50, 37, transposes & 1, transposes & 2);
        p.batch = 3;
        // Gaps between items catch a wrong stride; stride 0 shares one matrix across the batch.
        p.stride_a = broadcast == 1 ? 0 : p.m * p.k + 5;
        p.stride_b = broadcast == 2 ? 0 : p.k * p.n + 3;
        p.stride_c = p.m * p.n + 7;
        p.beta = 1.0f;
        CheckCase(p, /*misalign=*/seed % 2, /*num_threads=*/2, seed);
        ++seed;
      }
    }
  });
}

// Enough work for 4 tasks: 2 and 3 threads split the 6 items between them, 4 threads split every
// item into rectangles. All must match the reference and each other bit for bit.
TEST(GemmTest, BatchSplitAcrossThreadsEveryTarget) {
  ForEachTarget([](int64_t) {
    GemmParams p = Dense(70, 90, 200, false, true);
    p.batch = 6;
    p.stride_a = 0;
    p.stride_b = p.k * p.n + 1;
    p.stride_c = p.m * p.n + 2;
    p.beta = -1.0f;
    SCOPED_TRACE(Describe(p));
    const Operands ops = MakeOperands(p, /*misalign=*/1, false, 800);
    const std::vector<float> single = RunGemm(p, ops, 1);
    ExpectMatchesReference(p, ops, single);
    for (int threads : {2, 3, 4}) {
      const std::vector<float> split = RunGemm(p, ops, threads);
      ASSERT_EQ(0, std::memcmp(single.data(), split.data(), single.size() * sizeof(float)))
          << "threads=" << threads;
    }
  });
}

// A batch of single-tile-row items splits along N across threads (with enough work for 3 tasks).
TEST(GemmTest, ShortWideMatricesSplitAcrossThreadsEveryTarget) {
  ForEachTarget([](int64_t) {
    for (int threads : {2, 3}) {
      GemmParams p = Dense(3, 5003, 300, false, threads == 3);
      p.batch = 2;
      p.stride_a = p.m * p.k;
      p.stride_b = p.k * p.n;
      p.stride_c = p.m * p.n;
      CheckCase(p, /*misalign=*/1, threads, 600 + threads);
    }
  });
}

// Every C element's k sum runs in the same order whatever the split, so results must be identical
// bit for bit across repeated runs AND across 1, 2 and 3 threads.
TEST(GemmTest, BitIdenticalAcrossRunsAndThreadCountsEveryTarget) {
  ForEachTarget([](int64_t) {
    for (int transposes = 0; transposes < 4; ++transposes) {
      const int64_t three_slices = 2 * gemm_blocking::kDepth + 99;
      GemmParams p = Dense(203, 181, three_slices, transposes & 1, transposes & 2);
      p.beta = 0.5f;
      SCOPED_TRACE(Describe(p));
      const Operands ops = MakeOperands(p, /*misalign=*/1, false, 700 + transposes);
      const std::vector<float> first = RunGemm(p, ops, 1);
      ExpectMatchesReference(p, ops, first);
      for (int threads : {1, 2, 3}) {
        for (int repeat = 0; repeat < 2; ++repeat) {
          const std::vector<float> again = RunGemm(p, ops, threads);
          ASSERT_EQ(0, std::memcmp(first.data(), again.data(), first.size() * sizeof(float)))
              << "threads=" << threads << " repeat=" << repeat;
        }
      }
    }
  });
}

TEST(GemmTest, TargetNameIsTheBestSupportedTarget) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  // SupportedAndGeneratedTargets lists the best target first.
  EXPECT_STREQ(GemmTargetName(), hwy::TargetName(targets.front()));
}

TEST(GemmTest, ScratchGrowsWithThreads) {
  EXPECT_GT(GemmScratchBytes(1), 0u);
  EXPECT_EQ(GemmScratchBytes(2), 2 * GemmScratchBytes(1));
  EXPECT_EQ(GemmScratchBytes(0), GemmScratchBytes(1));
}

} // namespace
} // namespace kernels
} // namespace tidemark
