// Attention kernels: chunked vs naive vs a double-precision reference, finite differences,
// determinism and argument checks, on every compiled Highway target.
#include "runtime/kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "hwy/targets.h"
#include "runtime/core/thread_pool.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

// ---------------------------------------------------------------------------------------------
// Test plumbing: buffers that start off a 64-byte boundary, scratch, targets.

// Floats starting `misalign` floats past a 64-byte boundary (kernels must not assume alignment).
// Under AddressSanitizer the buffer ends exactly at the last float instead (the start is then
// `misalign` floats past malloc's alignment), so any read or write past a tensor is reported.
class Tensor {
public:
  Tensor(int64_t n, int misalign) : size_(n) {
#if defined(__SANITIZE_ADDRESS__)
    storage_.assign(static_cast<size_t>(n + misalign), 0.0f);
    data_ = storage_.data() + misalign;
#else
    storage_.assign(static_cast<size_t>(n) + 32, 0.0f);
    const uintptr_t address = reinterpret_cast<uintptr_t>(storage_.data());
    const size_t skip = ((64 - address % 64) % 64) / sizeof(float);
    data_ = storage_.data() + skip + misalign;
#endif
  }
  float *data() { return data_; }
  const float *data() const { return data_; }
  int64_t size() const { return size_; }
  float &operator[](int64_t i) { return data_[i]; }
  float operator[](int64_t i) const { return data_[i]; }

private:
  std::vector<float> storage_;
  float *data_ = nullptr;
  int64_t size_;
};

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};
using Scratch = std::unique_ptr<void, FreeDeleter>;
Scratch AllocateScratch(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  return Scratch(std::aligned_alloc(64, rounded == 0 ? 64 : rounded));
}

void FillRandom(Tensor &t, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.size(); ++i)
    t[i] = dist(rng);
}

template <typename Fn> void ForEachTarget(const Fn &body) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    body();
  }
  hwy::SetSupportedTargetsForTest(0);
}

AttentionParams MakeParams(int64_t b, int64_t h, int64_t tq, int64_t tk, int64_t d, bool causal,
                           int64_t q_chunk, int64_t k_chunk) {
  AttentionParams p;
  p.batch = b;
  p.heads = h;
  p.seq_q = tq;
  p.seq_k = tk;
  p.head_dim = d;
  p.causal = causal;
  p.scale = 1.0f / std::sqrt(static_cast<float>(d));
  p.q_chunk = q_chunk;
  p.k_chunk = k_chunk;
  return p;
}

std::string Describe(const AttentionParams &p) {
  return "B=" + std::to_string(p.batch) + " H=" + std::to_string(p.heads) +
         " Tq=" + std::to_string(p.seq_q) + " Tk=" + std::to_string(p.seq_k) +
         " D=" + std::to_string(p.head_dim) + (p.causal ? " causal" : "") +
         " chunks=" + std::to_string(p.q_chunk) + "x" + std::to_string(p.k_chunk);
}

// Inputs of one problem (tensors misaligned by one float) and the outputs of one kernel run.
struct Problem {
  AttentionParams p;
  Tensor q, k, v, d_out;
  explicit Problem(const AttentionParams &params)
      : p(params), q(QSize(params), 1), k(KSize(params), 1), v(KSize(params), 1),
        d_out(QSize(params), 1) {
    FillRandom(q, 11);
    FillRandom(k, 22);
    FillRandom(v, 33);
    FillRandom(d_out, 44);
  }
  static int64_t QSize(const AttentionParams &p) {
    return p.batch * p.heads * p.seq_q * p.head_dim;
  }
  static int64_t KSize(const AttentionParams &p) {
    return p.batch * p.heads * p.seq_k * p.head_dim;
  }
};

struct Result {
  Tensor out, lse, dq, dk, dv;
  explicit Result(const AttentionParams &p)
      : out(Problem::QSize(p), 1), lse(p.batch * p.heads * p.seq_q, 1), dq(Problem::QSize(p), 1),
        dk(Problem::KSize(p), 1), dv(Problem::KSize(p), 1) {}
};

enum class Kernel { kChunked, kNaive };

// Runs forward then backward with `threads` threads (a fresh pool, scratch sized for it).
Result RunKernels(const Problem &prob, Kernel kernel, int threads) {
  const AttentionParams &p = prob.p;
  ThreadPool pool(threads);
  Result r(p);
  const bool chunked = kernel == Kernel::kChunked;
  const size_t fwd_bytes =
      chunked ? AttentionScratchBytes(p, threads) : NaiveAttentionScratchBytes(p, threads);
  const size_t bwd_bytes = chunked ? AttentionBackwardScratchBytes(p, threads) : fwd_bytes;
  EXPECT_GT(fwd_bytes, 0u);
  Scratch fwd = AllocateScratch(fwd_bytes), bwd = AllocateScratch(bwd_bytes);
  const Status forward = chunked
                             ? AttentionForward(p, prob.q.data(), prob.k.data(), prob.v.data(),
                                                r.out.data(), r.lse.data(), fwd.get(), &pool)
                             : NaiveAttentionForward(p, prob.q.data(), prob.k.data(), prob.v.data(),
                                                     r.out.data(), r.lse.data(), fwd.get(), &pool);
  EXPECT_TRUE(forward.ok()) << forward.ToString();
  const Status backward =
      chunked ? AttentionBackward(p, prob.q.data(), prob.k.data(), prob.v.data(), r.out.data(),
                                  r.lse.data(), prob.d_out.data(), r.dq.data(), r.dk.data(),
                                  r.dv.data(), bwd.get(), &pool)
              : NaiveAttentionBackward(p, prob.q.data(), prob.k.data(), prob.v.data(), r.out.data(),
                                       r.lse.data(), prob.d_out.data(), r.dq.data(), r.dk.data(),
                                       r.dv.data(), bwd.get(), &pool);
  EXPECT_TRUE(backward.ok()) << backward.ToString();
  return r;
}

// ---------------------------------------------------------------------------------------------
// Plain double-precision reference (straight from the definitions, no chunking, no SIMD).

struct Reference {
  std::vector<double> out, lse, dq, dk, dv;
};

// Keys [0, limit) that query i sees.
int64_t VisibleKeys(const AttentionParams &p, int64_t i) {
  if (!p.causal)
    return p.seq_k;
  const int64_t limit = i + (p.seq_k - p.seq_q) + 1;
  return limit < 0 ? 0 : (limit > p.seq_k ? p.seq_k : limit);
}

double DotRows(const float *a, const float *b, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i)
    sum += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return sum;
}

// Softmax probabilities of row i of head bh (zeros past the visible keys); returns lse.
double ReferenceRow(const Problem &prob, int64_t bh, int64_t i, std::vector<double> &probs) {
  const AttentionParams &p = prob.p;
  const int64_t d = p.head_dim, limit = VisibleKeys(p, i);
  probs.assign(static_cast<size_t>(p.seq_k), 0.0);
  if (limit == 0)
    return -std::numeric_limits<double>::infinity();
  const float *q = prob.q.data() + (bh * p.seq_q + i) * d;
  double max_score = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < limit; ++j) {
    probs[j] = p.scale * DotRows(q, prob.k.data() + (bh * p.seq_k + j) * d, d);
    max_score = std::max(max_score, probs[j]);
  }
  double sum = 0.0;
  for (int64_t j = 0; j < limit; ++j)
    sum += std::exp(probs[j] - max_score);
  for (int64_t j = 0; j < limit; ++j)
    probs[j] = std::exp(probs[j] - max_score) / sum;
  return max_score + std::log(sum);
}

void ReferenceRowBackward(const Problem &prob, int64_t bh, int64_t i,
                          const std::vector<double> &probs, const double *out_row, Reference &ref) {
  const AttentionParams &p = prob.p;
  const int64_t d = p.head_dim;
  const float *d_out = prob.d_out.data() + (bh * p.seq_q + i) * d;
  double delta = 0.0;
  for (int64_t c = 0; c < d; ++c)
    delta += d_out[c] * out_row[c];
  for (int64_t j = 0; j < VisibleKeys(p, i); ++j) {
    const int64_t key = (bh * p.seq_k + j) * d;
    const double dp = DotRows(d_out, prob.v.data() + key, d);
    const double ds = probs[j] * (dp - delta) * p.scale;
    for (int64_t c = 0; c < d; ++c) {
      ref.dq[(bh * p.seq_q + i) * d + c] += ds * prob.k[key + c];
      ref.dk[key + c] += ds * prob.q[(bh * p.seq_q + i) * d + c];
      ref.dv[key + c] += probs[j] * d_out[c];
    }
  }
}

Reference ComputeReference(const Problem &prob) {
  const AttentionParams &p = prob.p;
  const int64_t d = p.head_dim;
  Reference ref;
  ref.out.assign(Problem::QSize(p), 0.0);
  ref.lse.assign(p.batch * p.heads * p.seq_q, 0.0);
  ref.dq.assign(Problem::QSize(p), 0.0);
  ref.dk.assign(Problem::KSize(p), 0.0);
  ref.dv.assign(Problem::KSize(p), 0.0);
  std::vector<double> probs;
  for (int64_t bh = 0; bh < p.batch * p.heads; ++bh) {
    for (int64_t i = 0; i < p.seq_q; ++i) {
      ref.lse[bh * p.seq_q + i] = ReferenceRow(prob, bh, i, probs);
      double *out_row = ref.out.data() + (bh * p.seq_q + i) * d;
      for (int64_t j = 0; j < p.seq_k; ++j)
        for (int64_t c = 0; c < d; ++c)
          out_row[c] += probs[j] * prob.v[(bh * p.seq_k + j) * d + c];
      ReferenceRowBackward(prob, bh, i, probs, out_row, ref);
    }
  }
  return ref;
}

// Every element within tol * max(1, max |expected|) (float accumulation over Tk and D terms).
void ExpectClose(const Tensor &actual, const std::vector<double> &expected, double tol,
                 const char *what) {
  double scale = 1.0;
  for (double e : expected)
    if (std::isfinite(e))
      scale = std::max(scale, std::fabs(e));
  int failures = 0;
  for (int64_t i = 0; i < actual.size() && failures < 5; ++i) {
    const double e = expected[i], a = actual[i];
    const bool both_neg_inf = std::isinf(e) && e < 0 && std::isinf(a) && a < 0;
    if (both_neg_inf)
      continue;
    if (!(std::fabs(a - e) <= tol * scale)) {
      ++failures;
      ADD_FAILURE() << what << "[" << i << "] = " << a << ", expected " << e;
    }
  }
}

void ExpectMatchesReference(const Result &r, const Reference &ref, double tol) {
  ExpectClose(r.out, ref.out, tol, "out");
  ExpectClose(r.lse, ref.lse, tol, "lse");
  ExpectClose(r.dq, ref.dq, tol, "dq");
  ExpectClose(r.dk, ref.dk, tol, "dk");
  ExpectClose(r.dv, ref.dv, tol, "dv");
}

bool BitIdentical(const Tensor &a, const Tensor &b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size()) * sizeof(float)) == 0;
}

void ExpectBitIdentical(const Result &a, const Result &b) {
  EXPECT_TRUE(BitIdentical(a.out, b.out)) << "out differs";
  EXPECT_TRUE(BitIdentical(a.lse, b.lse)) << "lse differs";
  EXPECT_TRUE(BitIdentical(a.dq, b.dq)) << "dq differs";
  EXPECT_TRUE(BitIdentical(a.dk, b.dk)) << "dk differs";
  EXPECT_TRUE(BitIdentical(a.dv, b.dv)) << "dv differs";
}

// Float accumulation of at most a few hundred terms of magnitude <= 1: errors stay near 1e-6.
constexpr double kTolerance = 2e-5;

// The problems of the accuracy tests: chunks that do not divide T, T = 1, Tq != Tk both ways,
// head_dim and sequence lengths around every x86 vector width (N-1, N, N+1, 8N+3 for N = 4, 8, 16).
std::vector<AttentionParams> AccuracyCases() {
  std::vector<AttentionParams> cases;
  for (bool causal : {false, true}) {
    cases.push_back(MakeParams(1, 2, 37, 37, 16, causal, 8, 5));
    cases.push_back(MakeParams(1, 1, 1, 1, 8, causal, 64, 64));
    cases.push_back(MakeParams(2, 1, 37, 23, 9, causal, 8, 5));   // Tq > Tk: masked rows
    cases.push_back(MakeParams(1, 3, 19, 45, 17, causal, 7, 16)); // Tq < Tk
    cases.push_back(MakeParams(1, 1, 33, 33, 67, causal, 16, 17));
    cases.push_back(MakeParams(1, 1, 17, 15, 131, causal, 4, 3));
    cases.push_back(MakeParams(1, 2, 64, 64, 64, causal, 64, 64));
    cases.push_back(MakeParams(1, 1, 300, 290, 5, causal, 64, 64)); // naive depth > 256
  }
  for (int64_t d : {1, 3, 4, 5, 7, 15, 35})
    cases.push_back(MakeParams(1, 1, 9, 11, d, true, 4, 4));
  // Chunks far larger than the sequence are clamped to it (no overflow in the scratch size).
  cases.push_back(
      MakeParams(1, 2, 5, 7, 4, true, std::numeric_limits<int64_t>::max(), int64_t{1} << 50));
  return cases;
}

// ---------------------------------------------------------------------------------------------

TEST(AttentionTest, ChunkedAndNaiveMatchDoubleReference) {
  for (const AttentionParams &p : AccuracyCases()) {
    SCOPED_TRACE(Describe(p));
    const Problem prob(p);
    const Reference ref = ComputeReference(prob);
    ForEachTarget([&] {
      for (int threads : {1, 2}) {
        SCOPED_TRACE("threads=" + std::to_string(threads));
        ExpectMatchesReference(RunKernels(prob, Kernel::kChunked, threads), ref, kTolerance);
        ExpectMatchesReference(RunKernels(prob, Kernel::kNaive, threads), ref, kTolerance);
      }
    });
  }
}

TEST(AttentionTest, ChunkedMatchesNaive) {
  for (const AttentionParams &p : AccuracyCases()) {
    SCOPED_TRACE(Describe(p));
    const Problem prob(p);
    ForEachTarget([&] {
      const Result naive = RunKernels(prob, Kernel::kNaive, 2);
      const Result chunked = RunKernels(prob, Kernel::kChunked, 2);
      for (const auto &[a, b, name] : {std::make_tuple(&chunked.out, &naive.out, "out"),
                                       std::make_tuple(&chunked.dq, &naive.dq, "dq"),
                                       std::make_tuple(&chunked.dk, &naive.dk, "dk"),
                                       std::make_tuple(&chunked.dv, &naive.dv, "dv")}) {
        std::vector<double> expected(b->data(), b->data() + b->size());
        ExpectClose(*a, expected, kTolerance, name);
      }
    });
  }
}

// Causal with Tq > Tk: the first Tq - Tk queries see no key at all.
TEST(AttentionTest, FullyMaskedRowsAreZeroNotNaN) {
  const AttentionParams p = MakeParams(1, 2, 20, 6, 8, true, 8, 4);
  const Problem prob(p);
  ForEachTarget([&] {
    for (Kernel kernel : {Kernel::kChunked, Kernel::kNaive}) {
      const Result r = RunKernels(prob, kernel, 2);
      for (int64_t bh = 0; bh < 2; ++bh) {
        for (int64_t i = 0; i < 14; ++i) {
          EXPECT_TRUE(std::isinf(r.lse[bh * 20 + i]) && r.lse[bh * 20 + i] < 0);
          for (int64_t c = 0; c < 8; ++c) {
            EXPECT_EQ(r.out[(bh * 20 + i) * 8 + c], 0.0f);
            EXPECT_EQ(r.dq[(bh * 20 + i) * 8 + c], 0.0f);
          }
        }
        EXPECT_TRUE(std::isfinite(r.lse[bh * 20 + 14])); // sees key 0
      }
      for (const Tensor *t : {&r.out, &r.dq, &r.dk, &r.dv})
        for (int64_t i = 0; i < t->size(); ++i)
          ASSERT_TRUE(std::isfinite((*t)[i])) << "non-finite at " << i;
    }
  });
}

// loss = sum(out * R): its gradient w.r.t. q, k, v is the backward with d_out = R.
double Loss(const Problem &prob, const Tensor &weights, void *scratch, ThreadPool *pool) {
  Tensor out(Problem::QSize(prob.p), 0), lse(prob.p.batch * prob.p.heads * prob.p.seq_q, 0);
  const Status s = AttentionForward(prob.p, prob.q.data(), prob.k.data(), prob.v.data(), out.data(),
                                    lse.data(), scratch, pool);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return DotRows(out.data(), weights.data(), out.size());
}

// ||numeric - analytic|| / ||analytic|| over every coordinate of `input`, central differences.
double GradientError(Problem &prob, Tensor &input, const Tensor &analytic, void *scratch,
                     ThreadPool *pool) {
  const float step = 1e-2f;
  double diff2 = 0.0, norm2 = 0.0;
  for (int64_t i = 0; i < input.size(); ++i) {
    const float saved = input[i];
    input[i] = saved + step;
    const double plus = Loss(prob, prob.d_out, scratch, pool);
    input[i] = saved - step;
    const double minus = Loss(prob, prob.d_out, scratch, pool);
    input[i] = saved;
    const double numeric =
        (plus - minus) / (static_cast<double>(saved + step) - static_cast<double>(saved - step));
    diff2 += (numeric - analytic[i]) * (numeric - analytic[i]);
    norm2 += static_cast<double>(analytic[i]) * analytic[i];
  }
  return std::sqrt(diff2 / norm2);
}

TEST(AttentionTest, BackwardMatchesFiniteDifferences) {
  for (bool causal : {false, true}) {
    // bh = 2 with 2 threads runs the one-pass backward, bh = 3 the two-pass one.
    for (int64_t heads : {2, 3}) {
      Problem prob(MakeParams(1, heads, 11, 9, 6, causal, 4, 3));
      SCOPED_TRACE(Describe(prob.p));
      ForEachTarget([&] {
        const Result r = RunKernels(prob, Kernel::kChunked, 2);
        ThreadPool pool(2);
        Scratch scratch = AllocateScratch(AttentionScratchBytes(prob.p, 2));
        EXPECT_LE(GradientError(prob, prob.q, r.dq, scratch.get(), &pool), 1e-3);
        EXPECT_LE(GradientError(prob, prob.k, r.dk, scratch.get(), &pool), 1e-3);
        EXPECT_LE(GradientError(prob, prob.v, r.dv, scratch.get(), &pool), 1e-3);
      });
    }
  }
}

// Same inputs, same results to the bit: across runs, thread counts and backward schedules.
TEST(AttentionTest, DeterministicAcrossRunsThreadsAndSchedules) {
  for (bool causal : {false, true}) {
    for (int64_t heads : {1, 3, 8}) {
      const Problem prob(MakeParams(1, heads, 45, 37, 20, causal, 8, 5));
      SCOPED_TRACE(Describe(prob.p));
      ForEachTarget([&] {
        const Result first = RunKernels(prob, Kernel::kChunked, 2);
        ExpectBitIdentical(first, RunKernels(prob, Kernel::kChunked, 2));
        ExpectBitIdentical(first, RunKernels(prob, Kernel::kChunked, 1));
        ExpectBitIdentical(first, RunKernels(prob, Kernel::kChunked, 3));
        const Result naive = RunKernels(prob, Kernel::kNaive, 2);
        ExpectBitIdentical(naive, RunKernels(prob, Kernel::kNaive, 1));
      });
    }
  }
}

// Without a pool the kernels run on the calling thread, with one scratch slice.
TEST(AttentionTest, NullPoolMatchesPool) {
  const Problem prob(MakeParams(2, 3, 29, 31, 12, true, 8, 8));
  ForEachTarget([&] {
    const Result pooled = RunKernels(prob, Kernel::kChunked, 2);
    const AttentionParams &p = prob.p;
    Result r(p);
    Scratch fwd = AllocateScratch(AttentionScratchBytes(p, 1));
    Scratch bwd = AllocateScratch(AttentionBackwardScratchBytes(p, 1));
    ASSERT_TRUE(AttentionForward(p, prob.q.data(), prob.k.data(), prob.v.data(), r.out.data(),
                                 r.lse.data(), fwd.get(), nullptr)
                    .ok());
    ASSERT_TRUE(AttentionBackward(p, prob.q.data(), prob.k.data(), prob.v.data(), r.out.data(),
                                  r.lse.data(), prob.d_out.data(), r.dq.data(), r.dk.data(),
                                  r.dv.data(), bwd.get(), nullptr)
                    .ok());
    ExpectBitIdentical(pooled, r);
  });
}

TEST(AttentionTest, ChunkedScratchIsIndependentOfSequenceLength) {
  AttentionParams p = MakeParams(1, 8, 1024, 1024, 64, true, 64, 64);
  const size_t forward = AttentionScratchBytes(p, 2);
  const size_t backward = AttentionBackwardScratchBytes(p, 2);
  const size_t naive = NaiveAttentionScratchBytes(p, 2);
  EXPECT_GT(forward, 0u);
  EXPECT_GT(backward, 0u);
  for (int64_t t : {4096, 8192, 100000}) {
    p.seq_q = p.seq_k = t;
    EXPECT_EQ(AttentionScratchBytes(p, 2), forward);
    EXPECT_EQ(AttentionBackwardScratchBytes(p, 2), backward);
    EXPECT_GT(NaiveAttentionScratchBytes(p, 2), naive); // grows as T^2
  }
  EXPECT_EQ(AttentionScratchBytes(p, 4), 2 * forward); // per thread
}

TEST(AttentionTest, RejectsBadParameters) {
  const AttentionParams good = MakeParams(1, 1, 4, 4, 4, false, 2, 2);
  EXPECT_TRUE(ValidateAttentionParams(good).ok());
  struct Case {
    void (*mutate)(AttentionParams &);
    const char *message;
  };
  const Case cases[] = {
      {[](AttentionParams &p) { p.batch = 0; }, "batch must be >= 1"},
      {[](AttentionParams &p) { p.heads = -1; }, "heads must be >= 1"},
      {[](AttentionParams &p) { p.seq_q = 0; }, "seq_q must be >= 1"},
      {[](AttentionParams &p) { p.seq_k = 0; }, "seq_k must be >= 1"},
      {[](AttentionParams &p) { p.head_dim = 0; }, "head_dim must be >= 1"},
      {[](AttentionParams &p) { p.q_chunk = 0; }, "q_chunk must be >= 1"},
      {[](AttentionParams &p) { p.k_chunk = -3; }, "k_chunk must be >= 1"},
      {[](AttentionParams &p) { p.scale = std::nanf(""); }, "scale must be finite"},
      {[](AttentionParams &p) { p.seq_q = int64_t{1} << 40; }, "larger than 2^40"},
  };
  for (const Case &c : cases) {
    AttentionParams p = good;
    c.mutate(p);
    const Status s = ValidateAttentionParams(p);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(c.message), std::string::npos) << s.message();
    EXPECT_EQ(AttentionScratchBytes(p, 1), 0u);
    EXPECT_EQ(NaiveAttentionScratchBytes(p, 1), 0u);
    Tensor t(64, 0);
    Scratch scratch = AllocateScratch(1 << 16);
    EXPECT_FALSE(AttentionForward(p, t.data(), t.data(), t.data(), t.data(), t.data(),
                                  scratch.get(), nullptr)
                     .ok());
  }
}

TEST(AttentionTest, RejectsNullTensorsAndMisalignedScratch) {
  const AttentionParams p = MakeParams(1, 1, 4, 4, 4, false, 2, 2);
  Tensor q(16, 0), out(16, 0), lse(4, 0);
  Scratch scratch = AllocateScratch(AttentionBackwardScratchBytes(p, 1) + 64);
  Status s = AttentionForward(p, q.data(), nullptr, q.data(), out.data(), lse.data(), scratch.get(),
                              nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'k' is null"), std::string::npos) << s.message();
  s = AttentionForward(p, q.data(), q.data(), q.data(), out.data(), lse.data(), nullptr, nullptr);
  EXPECT_NE(s.message().find("scratch is null"), std::string::npos) << s.message();
  void *misaligned = static_cast<char *>(scratch.get()) + 4;
  s = AttentionForward(p, q.data(), q.data(), q.data(), out.data(), lse.data(), misaligned,
                       nullptr);
  EXPECT_NE(s.message().find("64-byte aligned"), std::string::npos) << s.message();
  s = AttentionBackward(p, q.data(), q.data(), q.data(), out.data(), lse.data(), q.data(),
                        out.data(), out.data(), nullptr, scratch.get(), nullptr);
  EXPECT_NE(s.message().find("'dv' is null"), std::string::npos) << s.message();
  s = NaiveAttentionBackward(p, q.data(), q.data(), q.data(), out.data(), lse.data(), nullptr,
                             out.data(), out.data(), out.data(), scratch.get(), nullptr);
  EXPECT_NE(s.message().find("'d_out' is null"), std::string::npos) << s.message();
}

} // namespace
} // namespace kernels
} // namespace tidemark
