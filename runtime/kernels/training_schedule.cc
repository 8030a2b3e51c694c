// SumOfSquares / ScaleBy per Highway target and the schedule check.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/training_schedule.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

HWY_NOINLINE float SquaresChunk(const float *x, int64_t n) { return DotRow(x, x, n); }
HWY_NOINLINE void ScaleChunk(float *x, float factor, int64_t n) { ScaleRow(x, factor, n); }

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/training_schedule.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(SquaresChunk);
HWY_EXPORT(ScaleChunk);

namespace {
// f32 partial sums over 4096 elements (about 2^-12 relative rounding each), combined in double.
constexpr int64_t kChunk = 4096;
constexpr int64_t kChunksPerTask = 16;
} // namespace

double SumOfSquares(const float *x, int64_t n, ThreadPool *pool) {
  if (n <= 0)
    return 0.0;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const int64_t tasks = (chunks + kChunksPerTask - 1) / kChunksPerTask;
  // One double per task on the stack when it fits; tasks beyond that are summed serially in
  // order, which gives the same value.
  constexpr int64_t kMaxTasks = 256;
  double partials[kMaxTasks];
  auto *squares = HWY_DYNAMIC_DISPATCH(SquaresChunk);
  auto task_sum = [&](int64_t task) {
    double sum = 0.0;
    const int64_t last = std::min(chunks, (task + 1) * kChunksPerTask);
    for (int64_t c = task * kChunksPerTask; c < last; ++c)
      sum += static_cast<double>(squares(x + c * kChunk, std::min(kChunk, n - c * kChunk)));
    return sum;
  };
  double total = 0.0;
  for (int64_t first = 0; first < tasks; first += kMaxTasks) {
    const int64_t count = std::min(kMaxTasks, tasks - first);
    RunTasks(pool, count, [&](int64_t t) { partials[t] = task_sum(first + t); });
    for (int64_t t = 0; t < count; ++t)
      total += partials[t];
  }
  return total;
}

void ScaleBy(float *x, int64_t n, float factor, ThreadPool *pool) {
  if (n <= 0 || factor == 1.0f)
    return;
  auto *scale = HWY_DYNAMIC_DISPATCH(ScaleChunk);
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  RunTasks(pool, chunks,
           [&](int64_t c) { scale(x + c * kChunk, factor, std::min(kChunk, n - c * kChunk)); });
}

Status ValidateLrSchedule(const LrSchedule &s) {
  if (s.kind == LrSchedule::Kind::kConstant)
    return Status::Ok();
  if (s.warmup_steps < 0 || s.total_steps <= s.warmup_steps)
    return InvalidArgument("lr schedule: need 0 <= warmup steps < total steps, got " +
                           std::to_string(s.warmup_steps) + " and " +
                           std::to_string(s.total_steps));
  if (!(s.min_ratio >= 0.0 && s.min_ratio <= 1.0))
    return InvalidArgument("lr schedule: the final ratio must be in [0, 1], got " +
                           std::to_string(s.min_ratio));
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
