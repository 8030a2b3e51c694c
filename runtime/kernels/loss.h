// Losses: mean-squared error and softmax cross-entropy with integer class labels, forward and
// backward.
//
// MSE: loss = (1/n) sum (pred - target)^2;  d_pred = d_loss * (2/n) (pred - target).
// Softmax cross-entropy over rows of `classes` logits, labels int32 in [0, classes):
//   loss = (1/rows) sum_r (lse_r - logits[r, label_r]),  lse_r = m_r + log sum_j exp(x_rj - m_r)
//   with m_r the row max (numerically stable log-sum-exp);
//   d_logits[r, j] = d_loss / rows * (softmax(x_r)_j - [j == label_r]) (recomputed from logits:
//   nothing is saved between forward and backward).
// Labels are run-time data, so the KERNELS check them: any label outside [0, classes) makes the
// call return OutOfRange naming the row and value, before anything is written or read out of
// bounds. d_loss points to the scalar upstream gradient (1 for a plain training step).
// Determinism: the total is built from at most kLossPartials per-chunk partial sums (chunking a
// function of the size only), accumulated in double in chunk order.
// Complexity: O(n) / O(rows * classes); no extra memory (partials live on the stack).
#ifndef TIDEMARK_RUNTIME_KERNELS_LOSS_H_
#define TIDEMARK_RUNTIME_KERNELS_LOSS_H_

#include <cmath>
#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

constexpr int64_t kLossPartials = 256;

// *loss = mean((pred - target)^2). Errors: InvalidArgument when n <= 0.
Status MseLoss(int64_t n, const float *pred, const float *target, float *loss, ThreadPool *pool);

// d_pred = *d_loss * 2 (pred - target) / n. d_pred may alias pred or target.
Status MseLossGrad(int64_t n, const float *pred, const float *target, const float *d_loss,
                   float *d_pred, ThreadPool *pool);

// OutOfRange (naming the first bad row and its label) unless every label is in [0, classes).
Status CheckClassLabels(int64_t rows, int64_t classes, const int32_t *labels);

// *loss = mean over rows of the softmax cross-entropy of logits [rows, classes].
// Errors: InvalidArgument for rows <= 0 or classes <= 0; OutOfRange for a bad label.
Status SoftmaxCrossEntropy(int64_t rows, int64_t classes, const float *logits,
                           const int32_t *labels, float *loss, ThreadPool *pool);

// d_logits [rows, classes] (may alias logits). Same errors as the forward.
Status SoftmaxCrossEntropyGrad(int64_t rows, int64_t classes, const float *logits,
                               const int32_t *labels, const float *d_loss, float *d_logits,
                               ThreadPool *pool);

// ---- Scalar references (tests). T is float or double; inputs assumed valid. ----

template <typename T> T MseLossReference(int64_t n, const T *pred, const T *target) {
  T sum = T(0);
  for (int64_t i = 0; i < n; ++i)
    sum += (pred[i] - target[i]) * (pred[i] - target[i]);
  return sum / static_cast<T>(n);
}

template <typename T>
void MseLossGradReference(int64_t n, const T *pred, const T *target, T d_loss, T *d_pred) {
  for (int64_t i = 0; i < n; ++i)
    d_pred[i] = d_loss * T(2) * (pred[i] - target[i]) / static_cast<T>(n);
}

template <typename T> T LogSumExpReference(const T *x, int64_t n) {
  T m = x[0];
  for (int64_t j = 1; j < n; ++j)
    m = std::fmax(m, x[j]);
  T sum = T(0);
  for (int64_t j = 0; j < n; ++j)
    sum += std::exp(x[j] - m);
  return m + std::log(sum);
}

template <typename T>
T SoftmaxCrossEntropyReference(int64_t rows, int64_t classes, const T *logits,
                               const int32_t *labels) {
  T total = T(0);
  for (int64_t r = 0; r < rows; ++r)
    total += LogSumExpReference(logits + r * classes, classes) - logits[r * classes + labels[r]];
  return total / static_cast<T>(rows);
}

template <typename T>
void SoftmaxCrossEntropyGradReference(int64_t rows, int64_t classes, const T *logits,
                                      const int32_t *labels, T d_loss, T *d_logits) {
  for (int64_t r = 0; r < rows; ++r) {
    const T lse = LogSumExpReference(logits + r * classes, classes);
    for (int64_t j = 0; j < classes; ++j) {
      const T p = std::exp(logits[r * classes + j] - lse);
      d_logits[r * classes + j] = d_loss / static_cast<T>(rows) * (p - (j == labels[r] ? 1 : 0));
    }
  }
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_LOSS_H_
