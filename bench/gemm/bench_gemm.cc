// bench_gemm: GFLOP/s of tidemark::kernels::Gemm on transformer-sized shapes, their backward-pass
// transposes and small batched shapes. bench/gemm/run.sh runs it next to NumPy+OpenBLAS.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "hwy/targets.h"
#include "runtime/core/thread_pool.h"
#include "runtime/kernels/gemm.h"

namespace tidemark {
namespace kernels {
namespace {

struct AlignedFree {
  void operator()(void *p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<void, AlignedFree>;

AlignedBuffer AllocateAligned(size_t bytes) {
  return AlignedBuffer(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
}

float *RandomFloats(const AlignedBuffer &buffer, size_t count, uint32_t seed) {
  float *data = static_cast<float *>(buffer.get());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (size_t i = 0; i < count; ++i)
    data[i] = dist(rng);
  return data;
}

// Arguments: m, n, k, trans_a, trans_b, batch, threads.
void BM_Gemm(benchmark::State &state) {
  GemmParams p;
  p.m = state.range(0);
  p.n = state.range(1);
  p.k = state.range(2);
  p.trans_a = state.range(3) != 0;
  p.trans_b = state.range(4) != 0;
  p.batch = state.range(5);
  const int threads = static_cast<int>(state.range(6));
  p.stride_a = p.m * p.k;
  p.stride_b = p.k * p.n;
  p.stride_c = p.m * p.n;
  const size_t a_count = static_cast<size_t>(p.batch * p.stride_a);
  const size_t b_count = static_cast<size_t>(p.batch * p.stride_b);
  const size_t c_count = static_cast<size_t>(p.batch * p.stride_c);
  AlignedBuffer a_buffer = AllocateAligned(a_count * sizeof(float));
  AlignedBuffer b_buffer = AllocateAligned(b_count * sizeof(float));
  AlignedBuffer c_buffer = AllocateAligned(c_count * sizeof(float));
  AlignedBuffer scratch = AllocateAligned(GemmScratchBytes(threads));
  const float *a = RandomFloats(a_buffer, a_count, 1);
  const float *b = RandomFloats(b_buffer, b_count, 2);
  float *c = RandomFloats(c_buffer, c_count, 3);
  ThreadPool pool(threads);
  for (auto _ : state) {
    Gemm(p, a, b, c, scratch.get(), &pool);
    benchmark::DoNotOptimize(c);
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(p.batch * p.m * p.n * p.k);
  state.counters["GFLOPS"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(GemmTargetName());
}

// Forward shapes of a 768-wide transformer with 2048 tokens (QKV/out projections and the MLP),
// the backward transposes (dW = X^T dY uses trans_a, dX = dY W^T uses trans_b) and small shapes.
void GemmShapes(benchmark::internal::Benchmark *bench) {
  bench->ArgNames({"m", "n", "k", "ta", "tb", "batch", "threads"});
  for (int threads : {2, 1}) {
    bench->Args({2048, 768, 768, 0, 0, 1, threads});
    bench->Args({2048, 768, 3072, 0, 0, 1, threads});
    bench->Args({2048, 3072, 768, 0, 0, 1, threads});
  }
  bench->Args({768, 3072, 2048, 1, 0, 1, 2}); // dW of the 768 -> 3072 layer: X^T dY.
  bench->Args({2048, 768, 3072, 0, 1, 1, 2}); // dX of the 768 -> 3072 layer: dY W^T.
  bench->Args({768, 768, 2048, 1, 0, 1, 2});  // dW of a 768 -> 768 projection.
  bench->Args({2048, 768, 768, 0, 1, 1, 2});  // dX of a 768 -> 768 projection.
  bench->Args({64, 64, 64, 0, 0, 1, 2});
  bench->Args({64, 64, 64, 0, 0, 1, 1});
  bench->Args({512, 512, 64, 0, 0, 8, 2});
}

// Wall time decides GFLOP/s; the CPU time of the whole process (all threads) is reported too, so
// run.sh can show GFLOP per CPU-second, which a loaded machine disturbs much less.
BENCHMARK(BM_Gemm)
    ->Apply(GemmShapes)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

} // namespace
} // namespace kernels
} // namespace tidemark

// --hwy_target=NAME (e.g. AVX2) forces a compiled Highway target, to measure the fallbacks that
// machines without AVX-512 would run. Everything else goes to Google Benchmark.
int main(int argc, char **argv) {
  const std::string flag = "--hwy_target=";
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind(flag, 0) != 0) {
      argv[kept++] = argv[i];
      continue;
    }
    bool found = false;
    for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
      if (arg.substr(flag.size()) == hwy::TargetName(target)) {
        hwy::SetSupportedTargetsForTest(target);
        found = true;
      }
    }
    if (!found) {
      std::fprintf(stderr, "bench_gemm: %s is not a compiled and supported Highway target\n",
                   arg.c_str());
      return 1;
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
