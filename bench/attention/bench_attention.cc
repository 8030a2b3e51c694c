// bench_attention: chunked vs naive attention, forward + backward, median times and extra memory.
//
// For each head dim D, sequence length T and mask it times one training step of attention
// (forward, then backward) with both kernels, alternating them repetition by repetition so machine
// noise hits both alike, and prints one Markdown table: median milliseconds, the ratio, useful
// GFLOP/s and the extra bytes each kernel needs (scratch for forward and backward, plus the lse
// rows). The header names the CPU model and the Highway target.
//
// Usage: bench_attention [--threads N] [--reps N] [--heads N] [--kv-heads N] [--dim D1,D2,...]
//                        [--batch N] [--chunk N] [--seq T1,T2,...] [--pad PERCENT]
// --kv-heads: key/value heads for grouped-query attention (0 = --heads, the default).
// --pad: the last PERCENT% of every batch's keys are padding (key_lengths = T - T * PERCENT / 100).
#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hwy/targets.h"
#include "runtime/core/thread_pool.h"
#include "runtime/kernels/attention.h"

namespace {

using tidemark::Status;
using tidemark::ThreadPool;
using tidemark::kernels::AttentionParams;

struct Options {
  int threads = 2, reps = 5;
  int64_t batch = 1, heads = 8, kv_heads = 0, chunk = 64, pad_percent = 0;
  std::vector<int64_t> dims = {64};
  std::vector<int64_t> seqs = {1024, 4096, 8192};
};

// A decimal integer >= min_value.
bool ParseInt(const char *text, int64_t *value, int64_t min_value = 1) {
  char *end = nullptr;
  const long long parsed = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || parsed < min_value)
    return false;
  *value = parsed;
  return true;
}

// A comma-separated list of integers >= 1.
bool ParseList(const char *text, std::vector<int64_t> *values) {
  values->clear();
  std::string list(text);
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    int64_t value = 0;
    if (!ParseInt(list.substr(start, comma - start).c_str(), &value))
      return false;
    values->push_back(value);
    start = comma + 1;
  }
  return !values->empty();
}

bool ParseOptions(int argc, char **argv, Options *options) {
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_attention: option %s needs a value\n", argv[i]);
      return false;
    }
    const std::string flag = argv[i];
    int64_t value = 0;
    bool ok = true;
    if (flag == "--seq")
      ok = ParseList(argv[i + 1], &options->seqs);
    else if (flag == "--dim")
      ok = ParseList(argv[i + 1], &options->dims);
    else if (flag == "--kv-heads")
      ok = ParseInt(argv[i + 1], &options->kv_heads, 0);
    else if (flag == "--pad")
      ok = ParseInt(argv[i + 1], &options->pad_percent, 0) && options->pad_percent <= 100;
    else if ((ok = ParseInt(argv[i + 1], &value))) {
      if (flag == "--threads")
        options->threads = static_cast<int>(value);
      else if (flag == "--reps")
        options->reps = static_cast<int>(value);
      else if (flag == "--heads")
        options->heads = value;
      else if (flag == "--batch")
        options->batch = value;
      else if (flag == "--chunk")
        options->chunk = value;
      else
        ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bench_attention: bad option %s %s\n", argv[i], argv[i + 1]);
      return false;
    }
  }
  return true;
}

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};
using Aligned = std::unique_ptr<void, FreeDeleter>;
Aligned AllocateAligned(size_t bytes) {
  return Aligned(std::aligned_alloc(64, std::max<size_t>(64, (bytes + 63) / 64 * 64)));
}

std::vector<float> RandomTensor(int64_t n, uint32_t seed) {
  std::vector<float> t(static_cast<size_t>(n));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float &x : t)
    x = dist(rng);
  return t;
}

// CPU time of all threads of this process. The pool's workers block (no spinning), so on a
// shared machine CPU time shows the work done even when wall time includes waiting for a core.
double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

struct Timing {
  double wall, cpu;
};

// One kernel (chunked or naive) with its buffers, ready to run forward + backward steps.
class Step {
public:
  Step(const AttentionParams &p, bool naive, int threads, ThreadPool *pool)
      : p_(p), naive_(naive), pool_(pool) {
    using namespace tidemark::kernels;
    forward_bytes_ =
        naive ? NaiveAttentionScratchBytes(p, threads) : AttentionScratchBytes(p, threads);
    backward_bytes_ = naive ? 0 : AttentionBackwardScratchBytes(p, threads);
    const int64_t rows = p.batch * p.heads * p.seq_q, size = rows * p.head_dim;
    const int64_t kv_heads = p.kv_heads == 0 ? p.heads : p.kv_heads;
    q_ = RandomTensor(size, 1);
    k_ = RandomTensor(p.batch * kv_heads * p.seq_k * p.head_dim, 2);
    v_ = RandomTensor(p.batch * kv_heads * p.seq_k * p.head_dim, 3);
    d_out_ = RandomTensor(size, 4);
    out_.resize(size);
    dq_.resize(size);
    dk_.resize(k_.size());
    dv_.resize(v_.size());
    lse_.resize(static_cast<size_t>(rows));
    forward_scratch_ = AllocateAligned(forward_bytes_);
    backward_scratch_ = AllocateAligned(backward_bytes_);
  }
  // Naive forward and backward share one scratch (the backward's need is the larger).
  size_t ExtraBytes() const { return forward_bytes_ + backward_bytes_ + lse_.size() * 4; }
  size_t ScratchBytes() const { return forward_bytes_ + backward_bytes_; }

  // Wall and process-CPU seconds of one forward + backward.
  Timing Run() {
    using namespace tidemark::kernels;
    const double cpu_start = ProcessCpuSeconds();
    const auto start = std::chrono::steady_clock::now();
    Status s = naive_ ? NaiveAttentionForward(p_, q_.data(), k_.data(), v_.data(), out_.data(),
                                              lse_.data(), forward_scratch_.get(), pool_)
                      : AttentionForward(p_, q_.data(), k_.data(), v_.data(), out_.data(),
                                         lse_.data(), forward_scratch_.get(), pool_);
    Check(s);
    void *backward_scratch = naive_ ? forward_scratch_.get() : backward_scratch_.get();
    s = naive_ ? NaiveAttentionBackward(p_, q_.data(), k_.data(), v_.data(), out_.data(),
                                        lse_.data(), d_out_.data(), dq_.data(), dk_.data(),
                                        dv_.data(), backward_scratch, pool_)
               : AttentionBackward(p_, q_.data(), k_.data(), v_.data(), out_.data(), lse_.data(),
                                   d_out_.data(), dq_.data(), dk_.data(), dv_.data(),
                                   backward_scratch, pool_);
    Check(s);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return Timing{wall, ProcessCpuSeconds() - cpu_start};
  }
  const std::vector<float> &dq() const { return dq_; }
  const std::vector<float> &dk() const { return dk_; }
  const std::vector<float> &dv() const { return dv_; }

private:
  static void Check(const Status &s) {
    if (!s.ok()) {
      std::fprintf(stderr, "bench_attention: %s\n", s.ToString().c_str());
      std::exit(1);
    }
  }
  AttentionParams p_;
  bool naive_;
  ThreadPool *pool_;
  size_t forward_bytes_ = 0, backward_bytes_ = 0;
  std::vector<float> q_, k_, v_, d_out_, out_, dq_, dk_, dv_, lse_;
  Aligned forward_scratch_, backward_scratch_;
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Useful flops of forward + backward: 2 products forward (Q K^T, P V) and 5 backward (Q K^T,
// dO V^T, P^T dO, dS^T Q, dS K), each 2 flops per visible (query, key) pair and head-dim lane.
// Masked pairs and the chunked two-pass schedule's recomputation are not counted.
double UsefulFlops(const AttentionParams &p) {
  double pairs = 0;
  for (int64_t b = 0; b < p.batch; ++b) {
    const int64_t keys = p.key_lengths == nullptr ? p.seq_k : p.key_lengths[b];
    for (int64_t i = 0; i < p.seq_q; ++i) {
      const int64_t limit =
          p.causal ? std::clamp<int64_t>(i + p.seq_k - p.seq_q + 1, 0, keys) : keys;
      pairs += static_cast<double>(limit);
    }
  }
  return 14.0 * static_cast<double>(p.head_dim) * pairs * static_cast<double>(p.heads);
}

// The CPU model as lscpu prints it ("Model name"), from /proc/cpuinfo.
std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

double MaxAbsDiff(const std::vector<float> &a, const std::vector<float> &b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, static_cast<double>(std::fabs(a[i] - b[i])));
  return worst;
}

// The problem of one table row; `lengths` receives the key lengths when --pad is given.
AttentionParams MakeParams(const Options &o, int64_t dim, int64_t seq, bool causal,
                           std::vector<int32_t> *lengths) {
  AttentionParams p;
  p.batch = o.batch;
  p.heads = o.heads;
  p.kv_heads = o.kv_heads;
  p.seq_q = p.seq_k = seq;
  p.head_dim = dim;
  p.causal = causal;
  p.scale = 1.0f / std::sqrt(static_cast<float>(dim));
  p.q_chunk = p.k_chunk = o.chunk;
  lengths->assign(static_cast<size_t>(o.batch),
                  static_cast<int32_t>(seq - seq * o.pad_percent / 100));
  if (o.pad_percent > 0)
    p.key_lengths = lengths->data();
  return p;
}

// Largest |chunked - naive| over dq, dk and dv.
double MaxGradDiff(const Step &a, const Step &b) {
  return std::max(
      {MaxAbsDiff(a.dq(), b.dq()), MaxAbsDiff(a.dk(), b.dk()), MaxAbsDiff(a.dv(), b.dv())});
}

void BenchOne(const Options &o, int64_t dim, int64_t seq, bool causal, ThreadPool *pool) {
  std::vector<int32_t> lengths;
  const AttentionParams p = MakeParams(o, dim, seq, causal, &lengths);
  Step chunked(p, /*naive=*/false, o.threads, pool), naive(p, /*naive=*/true, o.threads, pool);
  chunked.Run(); // warm-up (page faults, caches)
  naive.Run();
  std::vector<double> chunked_wall, naive_wall, chunked_cpu, naive_cpu;
  for (int rep = 0; rep < o.reps; ++rep) {
    const Timing c = chunked.Run(), n = naive.Run();
    chunked_wall.push_back(c.wall);
    chunked_cpu.push_back(c.cpu);
    naive_wall.push_back(n.wall);
    naive_cpu.push_back(n.cpu);
  }
  const double c = Median(chunked_wall), n = Median(naive_wall);
  const double c_cpu = Median(chunked_cpu), n_cpu = Median(naive_cpu);
  std::printf(
      "| %6lld | %4lld | %-6s | %9.1f | %9.1f | %5.2f | %9.1f | %9.1f | %5.2f | %7.1f | %7.1f | "
      "%9zu | %10zu | %7zu | %.1e |\n",
      static_cast<long long>(seq), static_cast<long long>(dim), causal ? "yes" : "no", c * 1e3,
      n * 1e3, c / n, c_cpu * 1e3, n_cpu * 1e3, c_cpu / n_cpu, UsefulFlops(p) / c * 1e-9,
      UsefulFlops(p) / n * 1e-9, chunked.ScratchBytes(), naive.ScratchBytes(),
      static_cast<size_t>(p.batch * p.heads * seq * 4), MaxGradDiff(chunked, naive));
  std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o))
    return 2;
  for (int64_t dim : o.dims)
    for (int64_t seq : o.seqs) {
      std::vector<int32_t> lengths;
      const Status s = tidemark::kernels::ValidateAttentionParams(
          MakeParams(o, dim, seq, /*causal=*/true, &lengths));
      if (!s.ok() || seq > INT32_MAX) {
        std::fprintf(stderr, "bench_attention: %s\n",
                     s.ok() ? "--seq must fit in int32" : s.ToString().c_str());
        return 2;
      }
    }
  ThreadPool pool(o.threads);
  std::printf("CPU: %s\n", CpuModel().c_str());
  std::printf("attention forward+backward: batch %lld, heads %lld, kv_heads %lld, chunks %lld, "
              "key padding %lld%%, %d threads, Highway target %s, median of %d interleaved "
              "rounds\n\n",
              static_cast<long long>(o.batch), static_cast<long long>(o.heads),
              static_cast<long long>(o.kv_heads == 0 ? o.heads : o.kv_heads),
              static_cast<long long>(o.chunk), static_cast<long long>(o.pad_percent), o.threads,
              hwy::TargetName(hwy::SupportedAndGeneratedTargets()[0]), o.reps);
  std::printf("| T | D | causal | chunked ms | naive ms | ratio | chunked CPU ms | naive CPU ms | "
              "CPU ratio | chunked GFLOP/s | naive GFLOP/s | chunked scratch B | naive scratch B "
              "| lse B | max grad diff |\n");
  std::printf("|---:|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int64_t dim : o.dims)
    for (int64_t seq : o.seqs)
      for (bool causal : {false, true})
        BenchOne(o, dim, seq, causal, &pool);
  return 0;
}
