// Gradient clipping by global norm and learning-rate schedules: the per-step scalars a training
// step computes before its optimizer updates.
//
// Clipping (PyTorch's clip_grad_norm_ with norm_type 2): total = sqrt(sum over every gradient
// tensor of sum(g^2)); coefficient = min(1, max_norm / (total + 1e-6)); every gradient is then
// multiplied by the coefficient (skipped when it is 1). SumOfSquares is deterministic: fixed
// chunks (a function of n only), double partials added in chunk order, so the norm is the same for
// any thread count.
//
// Schedules (the step counter t counts updates already applied, from 0):
//   constant:  lr(t) = base
//   warmup + cosine (nanoGPT's): for t < warmup, base (t + 1) / warmup;
//     for warmup <= t < total, min + (base - min) (1 + cos(pi (t - warmup) / (total - warmup))) /
//     2; for t >= total, min;  with min = base * min_ratio.
#ifndef TIDEMARK_RUNTIME_KERNELS_TRAINING_SCHEDULE_H_
#define TIDEMARK_RUNTIME_KERNELS_TRAINING_SCHEDULE_H_

#include <cmath>
#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

// sum(x[i]^2) in double, deterministic for any thread count.
double SumOfSquares(const float *x, int64_t n, ThreadPool *pool);

// x[0, n) *= factor.
void ScaleBy(float *x, int64_t n, float factor, ThreadPool *pool);

// min(1, max_norm / (sqrt(total_squares) + 1e-6)); 1 when max_norm <= 0 (clipping off). A
// non-finite norm gives a non-finite coefficient, so the step's parameters show it (PyTorch does
// the same unless error_if_nonfinite).
inline float ClipCoefficient(double total_squares, float max_norm) {
  if (max_norm <= 0.0f)
    return 1.0f;
  const double coefficient = static_cast<double>(max_norm) / (std::sqrt(total_squares) + 1e-6);
  if (std::isnan(coefficient))
    return NAN; // as torch.clamp(NaN, max=1)
  return coefficient < 1.0 ? static_cast<float>(coefficient) : 1.0f;
}

struct LrSchedule {
  enum class Kind { kConstant, kWarmupCosine };
  Kind kind = Kind::kConstant;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0; // end of the cosine decay
  double min_ratio = 0.1;  // final lr / base lr
};

// InvalidArgument unless warmup >= 0, total > warmup (for the cosine), min_ratio in [0, 1].
Status ValidateLrSchedule(const LrSchedule &schedule);

// The learning rate for update t (t = 0 for the first update).
inline double LearningRateAt(const LrSchedule &s, double base, int64_t t) {
  if (s.kind == LrSchedule::Kind::kConstant)
    return base;
  if (t < s.warmup_steps)
    return base * static_cast<double>(t + 1) / static_cast<double>(s.warmup_steps);
  const double min_lr = base * s.min_ratio;
  if (t >= s.total_steps)
    return min_lr;
  const double progress =
      static_cast<double>(t - s.warmup_steps) / static_cast<double>(s.total_steps - s.warmup_steps);
  return min_lr + (base - min_lr) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress));
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_TRAINING_SCHEDULE_H_
