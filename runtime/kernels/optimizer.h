// Optimizer updates applied in place to parameters and their state: SGD (momentum, weight decay)
// and Adam (bias correction from the caller's step counter, L2 or decoupled weight decay).
//
// SGD (PyTorch semantics, dampening 0, velocity zero-initialized by the caller):
//   g = grad + weight_decay * p;  if momentum > 0: v = momentum * v + g, g = v;  p -= lr * g.
// Adam, for step t >= 1 (t counts updates already applied + 1):
//   g = grad + weight_decay * p            (L2 form; decoupled form instead p *= 1 - lr * wd)
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
// Each element is independent: O(n), bit-identical for any thread count.
#ifndef TIDEMARK_RUNTIME_KERNELS_OPTIMIZER_H_
#define TIDEMARK_RUNTIME_KERNELS_OPTIMIZER_H_

#include <cmath>
#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

struct SgdOptions {
  float learning_rate = 0.01f;
  float momentum = 0.0f; // in [0, 1]; 0 disables the velocity buffer
  float weight_decay = 0.0f;
};

struct AdamOptions {
  float learning_rate = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
  float weight_decay = 0.0f;
  bool decoupled_weight_decay = false; // true: AdamW
};

// Updates param[0, n) (and velocity when momentum > 0; velocity may be nullptr otherwise).
// Errors: InvalidArgument for n < 0, a negative or non-finite learning rate or weight decay,
// momentum outside [0, 1], or a null velocity with momentum > 0 (nothing written).
Status SgdUpdate(int64_t n, float *param, const float *grad, float *velocity,
                 const SgdOptions &options, ThreadPool *pool);

// Updates param, m and v in place for update number `step` (>= 1).
// Errors: InvalidArgument for n < 0, step < 1, betas outside [0, 1), epsilon <= 0, or a negative
// or non-finite learning rate or weight decay (nothing written).
Status AdamUpdate(int64_t n, float *param, const float *grad, float *m, float *v,
                  const AdamOptions &options, int64_t step, ThreadPool *pool);

// ---- Scalar references (tests). ----

inline void SgdReference(int64_t n, float *param, const float *grad, float *velocity,
                         const SgdOptions &o) {
  for (int64_t i = 0; i < n; ++i) {
    float g = grad[i] + o.weight_decay * param[i];
    if (o.momentum > 0.0f) {
      velocity[i] = o.momentum * velocity[i] + g;
      g = velocity[i];
    }
    param[i] -= o.learning_rate * g;
  }
}

inline void AdamReference(int64_t n, float *param, const float *grad, float *m, float *v,
                          const AdamOptions &o, int64_t step) {
  const double t = static_cast<double>(step);
  const float step_size = static_cast<float>(o.learning_rate / (1.0 - std::pow(o.beta1, t)));
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(o.beta2, t)));
  for (int64_t i = 0; i < n; ++i) {
    float g = grad[i];
    if (o.decoupled_weight_decay)
      param[i] *= 1.0f - o.learning_rate * o.weight_decay;
    else
      g += o.weight_decay * param[i];
    m[i] = o.beta1 * m[i] + (1.0f - o.beta1) * g;
    v[i] = o.beta2 * v[i] + (1.0f - o.beta2) * g * g;
    param[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + o.epsilon);
  }
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_OPTIMIZER_H_
