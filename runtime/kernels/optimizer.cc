// Optimizer updates: option checks, Highway dispatch and flat element chunks.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/optimizer.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/optimizer-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

HWY_NOINLINE void SgdRange(float *param, const float *grad, float *velocity, float lr,
                           float momentum, float weight_decay, int64_t n) {
  SgdChunk(param, grad, velocity, lr, momentum, weight_decay, n);
}

HWY_NOINLINE void AdamRange(float *param, const float *grad, float *m, float *v,
                            const AdamOptions &options, int64_t step, int64_t n) {
  AdamChunk(param, grad, m, v, options, step, n);
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(SgdRange);
HWY_EXPORT(AdamRange);

namespace {

constexpr int64_t kChunk = 16 * 1024;

template <typename Fn> void RunChunks(ThreadPool *pool, int64_t n, const Fn &fn) {
  const int64_t num_tasks = (n + kChunk - 1) / kChunk;
  auto task_fn = [&](int64_t task) {
    const int64_t begin = task * kChunk;
    fn(begin, std::min(kChunk, n - begin));
  };
  if (pool != nullptr) {
    pool->ParallelFor(num_tasks, task_fn);
    return;
  }
  for (int64_t task = 0; task < num_tasks; ++task)
    task_fn(task);
}

Status CheckNonNegative(const char *what, const char *name, float value) {
  if (!(value >= 0.0f) || std::isinf(value))
    return InvalidArgument(std::string(what) + ": " + name + " must be finite and >= 0, got " +
                           std::to_string(value));
  return Status::Ok();
}

Status CheckCount(const char *what, int64_t n) {
  if (n < 0)
    return InvalidArgument(std::string(what) + ": negative element count " + std::to_string(n));
  return Status::Ok();
}

} // namespace

Status SgdUpdate(int64_t n, float *param, const float *grad, float *velocity,
                 const SgdOptions &options, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(CheckCount("sgd", n));
  TIDEMARK_RETURN_IF_ERROR(CheckNonNegative("sgd", "learning rate", options.learning_rate));
  TIDEMARK_RETURN_IF_ERROR(CheckNonNegative("sgd", "weight decay", options.weight_decay));
  if (!(options.momentum >= 0.0f && options.momentum <= 1.0f))
    return InvalidArgument("sgd: momentum must be in [0, 1], got " +
                           std::to_string(options.momentum));
  if (options.momentum > 0.0f && velocity == nullptr)
    return InvalidArgument("sgd: momentum > 0 needs a velocity buffer (got null)");
  float *state = options.momentum > 0.0f ? velocity : nullptr;
  auto *range_fn = HWY_DYNAMIC_DISPATCH(SgdRange);
  RunChunks(pool, n, [&](int64_t begin, int64_t count) {
    range_fn(param + begin, grad + begin, state ? state + begin : nullptr, options.learning_rate,
             options.momentum, options.weight_decay, count);
  });
  return Status::Ok();
}

Status AdamUpdate(int64_t n, float *param, const float *grad, float *m, float *v,
                  const AdamOptions &options, int64_t step, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(CheckCount("adam", n));
  TIDEMARK_RETURN_IF_ERROR(CheckNonNegative("adam", "learning rate", options.learning_rate));
  TIDEMARK_RETURN_IF_ERROR(CheckNonNegative("adam", "weight decay", options.weight_decay));
  if (step < 1)
    return InvalidArgument("adam: step must be >= 1 (bias correction divides by 1 - beta^step), "
                           "got " +
                           std::to_string(step));
  if (!(options.beta1 >= 0.0f && options.beta1 < 1.0f) ||
      !(options.beta2 >= 0.0f && options.beta2 < 1.0f))
    return InvalidArgument("adam: beta1 and beta2 must be in [0, 1), got " +
                           std::to_string(options.beta1) + " and " + std::to_string(options.beta2));
  if (!(options.epsilon > 0.0f) || std::isinf(options.epsilon))
    return InvalidArgument("adam: epsilon must be finite and > 0, got " +
                           std::to_string(options.epsilon));
  auto *range_fn = HWY_DYNAMIC_DISPATCH(AdamRange);
  RunChunks(pool, n, [&](int64_t begin, int64_t count) {
    range_fn(param + begin, grad + begin, m + begin, v + begin, options, step, count);
  });
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
