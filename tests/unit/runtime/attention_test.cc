// Attention kernels: chunked vs naive vs a double-precision reference (grouped-query heads, key
// padding and causal masks), finite differences, determinism and argument checks, on every
// compiled Highway target.
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
#include <utility>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::ForEachTarget;

// ---------------------------------------------------------------------------------------------
// Test plumbing: buffers that start off a 64-byte boundary, scratch, problems.

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
  // Moving keeps the storage (and so data_) in place; a copy would point into the source.
  Tensor(Tensor &&) = default;
  Tensor(const Tensor &) = delete;
  Tensor &operator=(const Tensor &) = delete;
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

AttentionParams MakeParams(int64_t b, int64_t h, int64_t tq, int64_t tk, int64_t d, bool causal,
                           int64_t q_chunk, int64_t k_chunk, int64_t kv_heads = 0) {
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
  p.kv_heads = kv_heads;
  return p;
}

int64_t KvHeads(const AttentionParams &p) { return p.kv_heads == 0 ? p.heads : p.kv_heads; }

std::string Describe(const AttentionParams &p, const std::vector<int32_t> &lengths) {
  std::string text = "B=" + std::to_string(p.batch) + " H=" + std::to_string(p.heads) +
                     " KVH=" + std::to_string(KvHeads(p)) + " Tq=" + std::to_string(p.seq_q) +
                     " Tk=" + std::to_string(p.seq_k) + " D=" + std::to_string(p.head_dim) +
                     (p.causal ? " causal" : "") + " chunks=" + std::to_string(p.q_chunk) + "x" +
                     std::to_string(p.k_chunk);
  if (!lengths.empty()) {
    text += " key_lengths=";
    for (int32_t length : lengths)
      text += std::to_string(length) + ",";
  }
  return text;
}

// One problem: parameters (optionally with key lengths, owned here), inputs misaligned by one
// float. Not copyable: p.key_lengths points into `lengths`.
struct Problem {
  AttentionParams p;
  std::vector<int32_t> lengths;
  Tensor q, k, v, d_out;
  explicit Problem(const AttentionParams &params, std::vector<int32_t> key_lengths = {})
      : p(params), lengths(std::move(key_lengths)), q(QSize(params), 1), k(KSize(params), 1),
        v(KSize(params), 1), d_out(QSize(params), 1) {
    p.key_lengths = lengths.empty() ? nullptr : lengths.data();
    FillRandom(q, 11);
    FillRandom(k, 22);
    FillRandom(v, 33);
    FillRandom(d_out, 44);
  }
  Problem(const Problem &) = delete;
  Problem &operator=(const Problem &) = delete;
  static int64_t QSize(const AttentionParams &p) {
    return p.batch * p.heads * p.seq_q * p.head_dim;
  }
  static int64_t KSize(const AttentionParams &p) {
    return p.batch * KvHeads(p) * p.seq_k * p.head_dim;
  }
  std::string Describe() const { return kernels::Describe(p, lengths); }
};

// Outputs of one kernel run. They start as NaN, so an element a kernel fails to write (the
// kernels write their outputs, never accumulate into them) shows up in every comparison.
struct Result {
  Tensor out, lse, dq, dk, dv;
  explicit Result(const AttentionParams &p)
      : out(Problem::QSize(p), 1), lse(p.batch * p.heads * p.seq_q, 1), dq(Problem::QSize(p), 1),
        dk(Problem::KSize(p), 1), dv(Problem::KSize(p), 1) {
    for (Tensor *t : {&out, &lse, &dq, &dk, &dv})
      std::fill(t->data(), t->data() + t->size(), std::numeric_limits<float>::quiet_NaN());
  }
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
// Scalar double-precision reference, straight from the definitions: the whole masked score
// matrix of each query head is materialized, no chunking, no SIMD, no shared code with the
// kernels.

struct Reference {
  std::vector<double> out, lse, dq, dk, dv;
};

// Whether query i of batch b may attend key j: the key-padding mask and the causal mask
// (bottom-right aligned), each spelled out.
bool Visible(const AttentionParams &p, int64_t b, int64_t i, int64_t j) {
  if (p.key_lengths != nullptr && j >= p.key_lengths[b])
    return false;
  if (p.causal && j > i + (p.seq_k - p.seq_q))
    return false;
  return true;
}

double DotRows(const float *a, const float *b, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i)
    sum += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return sum;
}

// One query head h of batch b, reading kv head h / (H / KVH).
void ReferenceHead(const Problem &prob, int64_t b, int64_t h, Reference &ref) {
  const AttentionParams &p = prob.p;
  const int64_t tq = p.seq_q, tk = p.seq_k, d = p.head_dim, kvh = KvHeads(p);
  const int64_t kv_head = h / (p.heads / kvh);
  const int64_t q0 = (b * p.heads + h) * tq * d, k0 = (b * kvh + kv_head) * tk * d;
  const float *q = prob.q.data() + q0, *d_out = prob.d_out.data() + q0;
  const float *k = prob.k.data() + k0, *v = prob.v.data() + k0;
  const double neg_inf = -std::numeric_limits<double>::infinity();
  // Scores of the visible pairs, then the row softmax (probs = 0 where masked).
  std::vector<double> probs(static_cast<size_t>(tq * tk), 0.0), ds(probs.size(), 0.0);
  for (int64_t i = 0; i < tq; ++i) {
    double *row = probs.data() + i * tk;
    double row_max = neg_inf, sum = 0.0;
    for (int64_t j = 0; j < tk; ++j)
      if (Visible(p, b, i, j))
        row_max = std::max(row_max, p.scale * DotRows(q + i * d, k + j * d, d));
    for (int64_t j = 0; j < tk; ++j)
      if (Visible(p, b, i, j)) {
        row[j] = std::exp(p.scale * DotRows(q + i * d, k + j * d, d) - row_max);
        sum += row[j];
      }
    ref.lse[(b * p.heads + h) * tq + i] = sum == 0.0 ? neg_inf : row_max + std::log(sum);
    for (int64_t j = 0; j < tk; ++j)
      row[j] = sum == 0.0 ? 0.0 : row[j] / sum;
  }
  // out = P V; dP = dO V^T; delta = rowsum(P * dP); dS = scale * P * (dP - delta).
  for (int64_t i = 0; i < tq; ++i) {
    const double *row = probs.data() + i * tk;
    std::vector<double> dp(static_cast<size_t>(tk), 0.0);
    double delta = 0.0;
    for (int64_t j = 0; j < tk; ++j) {
      if (!Visible(p, b, i, j))
        continue;
      for (int64_t c = 0; c < d; ++c)
        ref.out[q0 + i * d + c] += row[j] * v[j * d + c];
      dp[j] = DotRows(d_out + i * d, v + j * d, d);
      delta += row[j] * dp[j];
    }
    for (int64_t j = 0; j < tk; ++j)
      ds[i * tk + j] = p.scale * row[j] * (dp[j] - delta);
  }
  // dq = dS K, dk += dS^T Q, dv += P^T dO (the group's query heads add into one kv head).
  for (int64_t i = 0; i < tq; ++i)
    for (int64_t j = 0; j < tk; ++j)
      for (int64_t c = 0; c < d; ++c) {
        ref.dq[q0 + i * d + c] += ds[i * tk + j] * k[j * d + c];
        ref.dk[k0 + j * d + c] += ds[i * tk + j] * q[i * d + c];
        ref.dv[k0 + j * d + c] += probs[i * tk + j] * d_out[i * d + c];
      }
}

Reference ComputeReference(const Problem &prob) {
  const AttentionParams &p = prob.p;
  Reference ref;
  ref.out.assign(Problem::QSize(p), 0.0);
  ref.lse.assign(p.batch * p.heads * p.seq_q, 0.0);
  ref.dq.assign(Problem::QSize(p), 0.0);
  ref.dk.assign(Problem::KSize(p), 0.0);
  ref.dv.assign(Problem::KSize(p), 0.0);
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h)
      ReferenceHead(prob, b, h, ref);
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

// A problem description: parameters plus optional key lengths (one per batch).
struct Case {
  AttentionParams p;
  std::vector<int32_t> lengths;
};

// The problems of the accuracy tests: chunks that do not divide T, T = 1, Tq != Tk both ways,
// head_dim and sequence lengths around every x86 vector width (N-1, N, N+1, 8N+3 for N = 4, 8, 16),
// grouped-query heads (KVH = 1, 2, H), key padding alone and with causal, lengths that end inside
// a chunk, on a chunk boundary, at 0 (a whole batch masked) and at Tk.
std::vector<Case> AccuracyCases() {
  std::vector<Case> cases;
  for (bool causal : {false, true}) {
    cases.push_back({MakeParams(1, 2, 37, 37, 16, causal, 8, 5), {}});
    cases.push_back({MakeParams(1, 1, 1, 1, 8, causal, 64, 64), {}});
    cases.push_back({MakeParams(2, 1, 37, 23, 9, causal, 8, 5), {}});   // Tq > Tk: masked rows
    cases.push_back({MakeParams(1, 3, 19, 45, 17, causal, 7, 16), {}}); // Tq < Tk
    cases.push_back({MakeParams(1, 1, 33, 33, 67, causal, 16, 17), {}});
    cases.push_back({MakeParams(1, 1, 17, 15, 131, causal, 4, 3), {}});
    cases.push_back({MakeParams(1, 2, 64, 64, 64, causal, 64, 64), {}});
    cases.push_back({MakeParams(1, 1, 300, 290, 5, causal, 64, 64), {}}); // naive depth > 256
    for (int64_t kv_heads : {1, 2, 4}) {
      // Tq > Tk; lengths inside a chunk, 0, on a chunk boundary (10 = 2 * 5).
      cases.push_back({MakeParams(4, 4, 37, 29, 16, causal, 8, 5, kv_heads), {29, 0, 13, 10}});
      cases.push_back({MakeParams(2, 4, 19, 45, 9, causal, 7, 16, kv_heads), {1, 40}}); // Tq < Tk
    }
    for (int64_t kv_heads : {1, 2, 3, 6})
      cases.push_back({MakeParams(2, 6, 45, 45, 35, causal, 16, 7, kv_heads), {45, 17}});
    cases.push_back({MakeParams(1, 8, 64, 64, 64, causal, 64, 64, 2), {50}});
    cases.push_back({MakeParams(2, 2, 33, 33, 67, causal, 16, 17, 1), {0, 0}}); // all masked
    cases.push_back({MakeParams(1, 2, 300, 290, 5, causal, 64, 64, 1), {270}}); // naive depth
  }
  for (int64_t d : {1, 3, 4, 5, 7, 15, 35})
    cases.push_back({MakeParams(1, 1, 9, 11, d, true, 4, 4), {}});
  // Chunks far larger than the sequence are clamped to it (no overflow in the scratch size).
  cases.push_back(
      {MakeParams(1, 2, 5, 7, 4, true, std::numeric_limits<int64_t>::max(), int64_t{1} << 50), {}});
  return cases;
}

// ---------------------------------------------------------------------------------------------

TEST(AttentionTest, ChunkedAndNaiveMatchDoubleReference) {
  for (const Case &c : AccuracyCases()) {
    const Problem prob(c.p, c.lengths);
    SCOPED_TRACE(prob.Describe());
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
  for (const Case &c : AccuracyCases()) {
    const Problem prob(c.p, c.lengths);
    SCOPED_TRACE(prob.Describe());
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

void ExpectAllFinite(const Result &r) {
  for (const Tensor *t : {&r.out, &r.dq, &r.dk, &r.dv})
    for (int64_t i = 0; i < t->size(); ++i)
      ASSERT_TRUE(std::isfinite((*t)[i])) << "non-finite at " << i;
}

// Causal with Tq > Tk: the first Tq - Tk queries see no key at all.
TEST(AttentionTest, FullyMaskedRowsAreZeroNotNaN) {
  const Problem prob(MakeParams(1, 2, 20, 6, 8, true, 8, 4));
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
      ExpectAllFinite(r);
    }
  });
}

// Key padding with causal, 4 query heads on 2 kv heads, Tq = 9 > Tk = 6: batch 0 has length 0
// (every row masked), batch 1 length 4 (rows 0-2 see no key: row i sees keys <= i - 3; the other
// rows see keys up to min(i - 3, 3)). Masked rows: out = 0, lse = -inf, dq = 0; padded keys
// (every key of batch 0, keys 4-5 of batch 1): dk = dv = 0; nothing NaN.
TEST(AttentionTest, PaddedBatchesAndKeysGetZerosNotNaN) {
  const int64_t heads = 4, kv_heads = 2, tq = 9, tk = 6, d = 5;
  const Problem prob(MakeParams(2, heads, tq, tk, d, true, 4, 4, kv_heads), {0, 4});
  ForEachTarget([&] {
    for (Kernel kernel : {Kernel::kChunked, Kernel::kNaive}) {
      const Result r = RunKernels(prob, kernel, 2);
      for (int64_t b = 0; b < 2; ++b)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t i = 0; i < tq; ++i) {
            const int64_t row = (b * heads + h) * tq + i;
            const bool masked = b == 0 || i < tq - tk; // causal: row i sees keys <= i - 3
            EXPECT_EQ(std::isinf(r.lse[row]) && r.lse[row] < 0, masked) << "row " << row;
            for (int64_t c = 0; masked && c < d; ++c) {
              EXPECT_EQ(r.out[row * d + c], 0.0f);
              EXPECT_EQ(r.dq[row * d + c], 0.0f);
            }
          }
      for (int64_t b = 0; b < 2; ++b)
        for (int64_t g = 0; g < kv_heads; ++g)
          for (int64_t j = b == 0 ? 0 : 4; j < tk; ++j)
            for (int64_t c = 0; c < d; ++c) {
              EXPECT_EQ(r.dk[((b * kv_heads + g) * tk + j) * d + c], 0.0f);
              EXPECT_EQ(r.dv[((b * kv_heads + g) * tk + j) * d + c], 0.0f);
            }
      ExpectAllFinite(r);
    }
  });
}

// Keys at or past a batch's length are never read: NaN and huge values there change nothing, to
// the bit, in either kernel (a masked key that was read would turn 0 * NaN into NaN).
TEST(AttentionTest, PaddedKeysAreNeverRead) {
  for (bool causal : {false, true}) {
    const AttentionParams p = MakeParams(3, 4, 21, 26, 12, causal, 8, 5, 2);
    const std::vector<int32_t> lengths = {26, 11, 3};
    const Problem clean(p, lengths);
    Problem poisoned(p, lengths);
    const int64_t kv_heads = 2, tk = 26, d = 12;
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t g = 0; g < kv_heads; ++g)
        for (int64_t j = lengths[b]; j < tk; ++j)
          for (int64_t c = 0; c < d; ++c) {
            const int64_t at = ((b * kv_heads + g) * tk + j) * d + c;
            poisoned.k[at] = std::numeric_limits<float>::quiet_NaN();
            poisoned.v[at] = c % 2 == 0 ? std::numeric_limits<float>::infinity() : 1e30f;
          }
    SCOPED_TRACE(clean.Describe());
    ForEachTarget([&] {
      for (Kernel kernel : {Kernel::kChunked, Kernel::kNaive})
        for (int threads : {1, 2, 4}) { // B * KVH = 6: one-pass at 1 and 2, two-pass at 4
          const Result r = RunKernels(poisoned, kernel, threads);
          ExpectAllFinite(r);
          ExpectBitIdentical(RunKernels(clean, kernel, threads), r);
        }
    });
  }
}

// kv_heads = heads and every key length = Tk are the defaults spelled out: the same bits.
TEST(AttentionTest, ExplicitDefaultsMatchDefaults) {
  const AttentionParams p = MakeParams(2, 3, 29, 31, 12, true, 8, 8);
  AttentionParams explicit_p = p;
  explicit_p.kv_heads = 3;
  const Problem defaults(p);
  const Problem spelled_out(explicit_p, {31, 31});
  ForEachTarget([&] {
    for (Kernel kernel : {Kernel::kChunked, Kernel::kNaive})
      ExpectBitIdentical(RunKernels(defaults, kernel, 2), RunKernels(spelled_out, kernel, 2));
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

void ExpectGradientsMatchFiniteDifferences(Problem &prob) {
  SCOPED_TRACE(prob.Describe());
  ForEachTarget([&] {
    const Result r = RunKernels(prob, Kernel::kChunked, 2);
    ThreadPool pool(2);
    Scratch scratch = AllocateScratch(AttentionScratchBytes(prob.p, 2));
    EXPECT_LE(GradientError(prob, prob.q, r.dq, scratch.get(), &pool), 1e-3);
    EXPECT_LE(GradientError(prob, prob.k, r.dk, scratch.get(), &pool), 1e-3);
    EXPECT_LE(GradientError(prob, prob.v, r.dv, scratch.get(), &pool), 1e-3);
  });
}

TEST(AttentionTest, BackwardMatchesFiniteDifferences) {
  for (bool causal : {false, true}) {
    // bh = 2 with 2 threads runs the one-pass backward, bh = 3 the two-pass one.
    for (int64_t heads : {2, 3}) {
      Problem prob(MakeParams(1, heads, 11, 9, 6, causal, 4, 3));
      ExpectGradientsMatchFiniteDifferences(prob);
    }
  }
}

// Grouped-query heads with key padding: dk and dv sum over each group's query heads. With 2
// threads, B * KVH = 4 kv tasks run the one-pass backward, B * KVH = 3 the two-pass one.
TEST(AttentionTest, GroupedPaddedBackwardMatchesFiniteDifferences) {
  for (bool causal : {false, true}) {
    Problem one_pass(MakeParams(2, 4, 11, 9, 6, causal, 4, 3, 2), {9, 5});
    ExpectGradientsMatchFiniteDifferences(one_pass);
    Problem two_pass(MakeParams(3, 2, 7, 10, 5, causal, 3, 4, 1), {10, 4, 1});
    ExpectGradientsMatchFiniteDifferences(two_pass);
  }
}

// Same inputs, same results to the bit: across runs, thread counts and backward schedules.
// Root-mean-square error over rms(expected), over the finite expected values.
double RmsRelativeError(const Tensor &actual, const std::vector<double> &expected) {
  double err = 0.0, norm = 0.0;
  for (int64_t i = 0; i < actual.size(); ++i)
    if (std::isfinite(expected[i])) {
      err += (actual[i] - expected[i]) * (actual[i] - expected[i]);
      norm += expected[i] * expected[i];
    }
  return std::sqrt(err / norm);
}

// Every key of a (batch, kv head) shares a component 8x the keys' spread (a key bias does this).
// The softmax does not see it, so neither does the exact dq; the kernel takes dq's key rows about
// their mean, so its rounding does not see it either. Measured rms error of dq over rms(dq):
// 2.7e-7 to 2.9e-7 (every target, one-pass and two-pass schedules), against 1.7e-6 to 1.8e-6 with
// the raw key rows.
TEST(AttentionTest, DqIgnoresAComponentSharedByEveryKey) {
  const AttentionParams p = MakeParams(2, 4, 64, 64, 16, /*causal=*/true, 16, 16);
  Problem prob(p);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> shared(-8.0f, 8.0f);
  const int64_t per_head = p.seq_k * p.head_dim;
  for (int64_t head = 0; head < p.batch * p.heads; ++head)
    for (int64_t c = 0; c < p.head_dim; ++c) {
      const float offset = shared(rng);
      for (int64_t j = 0; j < p.seq_k; ++j)
        prob.k[head * per_head + j * p.head_dim + c] += offset;
    }
  const Reference ref = ComputeReference(prob);
  ForEachTarget([&] {
    for (int threads : {1, 3}) { // one-pass, and two-pass (8 kv heads on 3 threads)
      SCOPED_TRACE("threads " + std::to_string(threads));
      EXPECT_LE(RmsRelativeError(RunKernels(prob, Kernel::kChunked, threads).dq, ref.dq), 6e-7);
    }
  });
}

// lse = m + log(l) is formed in double and rounded once: its error is then l's (a float sum of
// exponentials) plus one rounding. Measured over these 2048 rows, the mean error is 0.30 ulps of
// lse on every target, against 0.36-0.38 with m + log(l) in float. (The worst row, 2.9-8.9 ulps
// both ways, is one whose lse is near 0, where an ulp is tiny and l's own error dominates.)
TEST(AttentionTest, LseRoundsOnce) {
  const AttentionParams p = MakeParams(2, 4, 256, 256, 16, /*causal=*/true, 64, 64);
  const Problem prob(p);
  const Reference ref = ComputeReference(prob);
  ForEachTarget([&] {
    const Result r = RunKernels(prob, Kernel::kChunked, 2);
    double ulps = 0.0;
    for (int64_t i = 0; i < r.lse.size(); ++i) {
      const float nearest = static_cast<float>(ref.lse[i]);
      const double ulp = std::nextafter(nearest, HUGE_VALF) - nearest;
      ulps += std::fabs(r.lse[i] - ref.lse[i]) / ulp;
    }
    EXPECT_LE(ulps / static_cast<double>(r.lse.size()), 0.33);
  });
}

TEST(AttentionTest, DeterministicAcrossRunsThreadsAndSchedules) {
  for (bool causal : {false, true}) {
    for (int64_t heads : {1, 3, 8}) {
      const Problem prob(MakeParams(1, heads, 45, 37, 20, causal, 8, 5));
      SCOPED_TRACE(prob.Describe());
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

// Grouped-query backward: dk and dv of a kv head sum over its query heads in one task, in a fixed
// order, so 1, 2 and 4 threads give the same bits. With 8 query heads: KVH = 1 runs two-pass at 2
// and 4 threads, KVH = 2 one-pass at 2 and two-pass at 4, KVH = 8 one-pass (1 thread: one-pass).
TEST(AttentionTest, GroupedQueryDeterministicAcrossThreads) {
  for (bool causal : {false, true}) {
    for (int64_t kv_heads : {1, 2, 8}) {
      const Problem prob(MakeParams(1, 8, 45, 37, 20, causal, 8, 5, kv_heads), {30});
      SCOPED_TRACE(prob.Describe());
      ForEachTarget([&] {
        const Result one = RunKernels(prob, Kernel::kChunked, 1);
        ExpectBitIdentical(one, RunKernels(prob, Kernel::kChunked, 1));
        ExpectBitIdentical(one, RunKernels(prob, Kernel::kChunked, 2));
        ExpectBitIdentical(one, RunKernels(prob, Kernel::kChunked, 4));
        const Result naive = RunKernels(prob, Kernel::kNaive, 1);
        ExpectBitIdentical(naive, RunKernels(prob, Kernel::kNaive, 2));
        ExpectBitIdentical(naive, RunKernels(prob, Kernel::kNaive, 4));
      });
    }
  }
}

// Without a pool the kernels run on the calling thread, with one scratch slice.
TEST(AttentionTest, NullPoolMatchesPool) {
  const Problem prob(MakeParams(2, 4, 29, 31, 12, true, 8, 8, 2), {31, 9});
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
  // Nor of the kv heads or the key lengths (which the size functions do not even read).
  const std::vector<int32_t> lengths = {17};
  for (int64_t kv_heads : {1, 2, 8}) {
    p.kv_heads = kv_heads;
    p.key_lengths = kv_heads == 2 ? lengths.data() : nullptr;
    EXPECT_EQ(AttentionScratchBytes(p, 2), forward);
    EXPECT_EQ(AttentionBackwardScratchBytes(p, 2), backward);
  }
}

TEST(AttentionTest, RejectsBadParameters) {
  const AttentionParams good = MakeParams(1, 4, 4, 4, 4, false, 2, 2);
  EXPECT_TRUE(ValidateAttentionParams(good).ok());
  struct BadCase {
    void (*mutate)(AttentionParams &);
    const char *message;
  };
  const BadCase cases[] = {
      {[](AttentionParams &p) { p.batch = 0; }, "batch must be >= 1"},
      {[](AttentionParams &p) { p.heads = -1; }, "heads must be >= 1"},
      {[](AttentionParams &p) { p.seq_q = 0; }, "seq_q must be >= 1"},
      {[](AttentionParams &p) { p.seq_k = 0; }, "seq_k must be >= 1"},
      {[](AttentionParams &p) { p.head_dim = 0; }, "head_dim must be >= 1"},
      {[](AttentionParams &p) { p.q_chunk = 0; }, "q_chunk must be >= 1"},
      {[](AttentionParams &p) { p.k_chunk = -3; }, "k_chunk must be >= 1"},
      {[](AttentionParams &p) { p.scale = std::nanf(""); }, "scale must be finite"},
      {[](AttentionParams &p) { p.seq_q = int64_t{1} << 40; }, "larger than 2^40"},
      {[](AttentionParams &p) { p.kv_heads = -1; }, "kv_heads must be 0 (= heads) or a divisor"},
      {[](AttentionParams &p) { p.kv_heads = 3; }, "divisor of heads (4), got 3"},
      {[](AttentionParams &p) { p.kv_heads = 8; }, "divisor of heads (4), got 8"},
  };
  for (const BadCase &c : cases) {
    AttentionParams p = good;
    c.mutate(p);
    const Status s = ValidateAttentionParams(p);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(c.message), std::string::npos) << s.message();
    EXPECT_EQ(AttentionScratchBytes(p, 1), 0u);
    EXPECT_EQ(AttentionBackwardScratchBytes(p, 1), 0u);
    EXPECT_EQ(NaiveAttentionScratchBytes(p, 1), 0u);
    Tensor t(256, 0);
    Scratch scratch = AllocateScratch(1 << 16);
    EXPECT_FALSE(AttentionForward(p, t.data(), t.data(), t.data(), t.data(), t.data(),
                                  scratch.get(), nullptr)
                     .ok());
  }
}

// A key length outside [0, Tk] is rejected by all four kernels, naming the batch, before anything
// is written.
TEST(AttentionTest, RejectsKeyLengthsOutOfRangeWithoutWriting) {
  for (const auto &[lengths, message] :
       {std::make_tuple(std::vector<int32_t>{3, 6}, "key length of batch 1 is 6, outside [0, "
                                                    "seq_k = 5]"),
        std::make_tuple(std::vector<int32_t>{-1, 5}, "key length of batch 0 is -1, outside")}) {
    const Problem prob(MakeParams(2, 2, 4, 5, 3, true, 2, 2, 1), lengths);
    const AttentionParams &p = prob.p;
    const Status s = ValidateAttentionParams(p);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(message), std::string::npos) << s.message();
    EXPECT_GT(AttentionScratchBytes(p, 1), 0u); // sizes do not depend on the lengths
    Result r(p);
    for (Tensor *t : {&r.out, &r.lse, &r.dq, &r.dk, &r.dv})
      std::fill(t->data(), t->data() + t->size(), 7.0f);
    Scratch scratch =
        AllocateScratch(NaiveAttentionScratchBytes(p, 1) + AttentionBackwardScratchBytes(p, 1));
    const float *q = prob.q.data(), *k = prob.k.data(), *v = prob.v.data();
    const Status statuses[] = {
        AttentionForward(p, q, k, v, r.out.data(), r.lse.data(), scratch.get(), nullptr),
        NaiveAttentionForward(p, q, k, v, r.out.data(), r.lse.data(), scratch.get(), nullptr),
        AttentionBackward(p, q, k, v, r.out.data(), r.lse.data(), prob.d_out.data(), r.dq.data(),
                          r.dk.data(), r.dv.data(), scratch.get(), nullptr),
        NaiveAttentionBackward(p, q, k, v, r.out.data(), r.lse.data(), prob.d_out.data(),
                               r.dq.data(), r.dk.data(), r.dv.data(), scratch.get(), nullptr)};
    for (const Status &status : statuses)
      EXPECT_EQ(status.message(), s.message());
    for (const Tensor *t : {&r.out, &r.lse, &r.dq, &r.dk, &r.dv})
      for (int64_t i = 0; i < t->size(); ++i)
        ASSERT_EQ((*t)[i], 7.0f) << "written at " << i;
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
