// Losses: Highway dispatch, label checks, and deterministic chunked reductions of the totals.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/loss.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/loss-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

HWY_NOINLINE float SquaredErrorChunk(const float *pred, const float *target, int64_t n) {
  return SquaredErrorSum(pred, target, n);
}

HWY_NOINLINE void MseGradChunk(const float *pred, const float *target, float factor, float *d_pred,
                               int64_t n) {
  ScaledDifference(pred, target, factor, d_pred, n);
}

// sum over rows [first, first + count) of lse_r - logits[r, label_r], accumulated in double.
HWY_NOINLINE double CrossEntropyChunk(const float *logits, const int32_t *labels, int64_t first,
                                      int64_t count, int64_t classes) {
  double total = 0.0;
  for (int64_t r = first; r < first + count; ++r) {
    const float *row = logits + r * classes;
    // (m - x_label) + log(sum exp(x - m)): never forms m + log(sum), which would round to the
    // spacing of |m| (6e-5 at m = 1000) before the label logit is subtracted.
    const float m = MaxRow(row, classes);
    total += static_cast<double>(m - row[labels[r]]) +
             std::log(static_cast<double>(ExpSumRow(row, m, nullptr, classes)));
  }
  return total;
}

HWY_NOINLINE void CrossEntropyGradChunk(const float *logits, const int32_t *labels, float scale,
                                        float *d_logits, int64_t first, int64_t count,
                                        int64_t classes) {
  for (int64_t r = first; r < first + count; ++r)
    CrossEntropyGradRow(logits + r * classes, labels[r], scale, d_logits + r * classes, classes);
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/loss.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(SquaredErrorChunk);
HWY_EXPORT(MseGradChunk);
HWY_EXPORT(CrossEntropyChunk);
HWY_EXPORT(CrossEntropyGradChunk);

namespace {

// Smallest chunk worth a task, in elements.
constexpr int64_t kMinChunkElements = 8 * 1024;

// Number of chunks for `items` items of `item_size` elements: depends on the sizes only.
int64_t NumChunks(int64_t items, int64_t item_size) {
  const int64_t per_chunk =
      std::max<int64_t>(1, kMinChunkElements / std::max<int64_t>(1, item_size));
  return std::clamp<int64_t>((items + per_chunk - 1) / per_chunk, 1, kLossPartials);
}

// Chunk c of `chunks` over `items`: [ChunkBegin(c), ChunkBegin(c + 1)).
int64_t ChunkBegin(int64_t c, int64_t chunks, int64_t items) { return c * items / chunks; }

Status ValidateCrossEntropy(const char *what, int64_t rows, int64_t classes,
                            const int32_t *labels) {
  if (rows <= 0 || classes <= 0)
    return InvalidArgument(std::string(what) + ": rows and classes must be positive (rows " +
                           std::to_string(rows) + ", classes " + std::to_string(classes) + ")");
  return CheckClassLabels(rows, classes, labels);
}

} // namespace

Status MseLoss(int64_t n, const float *pred, const float *target, float *loss, ThreadPool *pool) {
  if (n <= 0)
    return InvalidArgument("mse loss: element count must be positive, got " + std::to_string(n));
  const int64_t chunks = NumChunks(n, 1);
  double partials[kLossPartials];
  auto *chunk_fn = HWY_DYNAMIC_DISPATCH(SquaredErrorChunk);
  RunTasks(pool, chunks, [&](int64_t c) {
    const int64_t begin = ChunkBegin(c, chunks, n), end = ChunkBegin(c + 1, chunks, n);
    partials[c] = chunk_fn(pred + begin, target + begin, end - begin);
  });
  double total = 0.0;
  for (int64_t c = 0; c < chunks; ++c)
    total += partials[c];
  *loss = static_cast<float>(total / static_cast<double>(n));
  return Status::Ok();
}

Status MseLossGrad(int64_t n, const float *pred, const float *target, const float *d_loss,
                   float *d_pred, ThreadPool *pool) {
  if (n <= 0)
    return InvalidArgument("mse loss grad: element count must be positive, got " +
                           std::to_string(n));
  const float factor = *d_loss * 2.0f / static_cast<float>(n);
  const int64_t chunks = NumChunks(n, 1);
  auto *grad_fn = HWY_DYNAMIC_DISPATCH(MseGradChunk);
  RunTasks(pool, chunks, [&](int64_t c) {
    const int64_t begin = ChunkBegin(c, chunks, n), end = ChunkBegin(c + 1, chunks, n);
    grad_fn(pred + begin, target + begin, factor, d_pred + begin, end - begin);
  });
  return Status::Ok();
}

Status CheckClassLabels(int64_t rows, int64_t classes, const int32_t *labels) {
  for (int64_t r = 0; r < rows; ++r)
    if (labels[r] < 0 || labels[r] >= classes)
      return OutOfRange("softmax cross-entropy: label " + std::to_string(labels[r]) + " at row " +
                        std::to_string(r) + " is outside [0, " + std::to_string(classes) + ")");
  return Status::Ok();
}

Status SoftmaxCrossEntropy(int64_t rows, int64_t classes, const float *logits,
                           const int32_t *labels, float *loss, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateCrossEntropy("softmax cross-entropy", rows, classes, labels));
  const int64_t chunks = NumChunks(rows, classes);
  double partials[kLossPartials];
  auto *chunk_fn = HWY_DYNAMIC_DISPATCH(CrossEntropyChunk);
  RunTasks(pool, chunks, [&](int64_t c) {
    const int64_t begin = ChunkBegin(c, chunks, rows), end = ChunkBegin(c + 1, chunks, rows);
    partials[c] = chunk_fn(logits, labels, begin, end - begin, classes);
  });
  double total = 0.0;
  for (int64_t c = 0; c < chunks; ++c)
    total += partials[c];
  *loss = static_cast<float>(total / static_cast<double>(rows));
  return Status::Ok();
}

Status SoftmaxCrossEntropyGrad(int64_t rows, int64_t classes, const float *logits,
                               const int32_t *labels, const float *d_loss, float *d_logits,
                               ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(
      ValidateCrossEntropy("softmax cross-entropy grad", rows, classes, labels));
  const float scale = *d_loss / static_cast<float>(rows);
  const int64_t chunks = NumChunks(rows, classes);
  auto *grad_fn = HWY_DYNAMIC_DISPATCH(CrossEntropyGradChunk);
  RunTasks(pool, chunks, [&](int64_t c) {
    const int64_t begin = ChunkBegin(c, chunks, rows), end = ChunkBegin(c + 1, chunks, rows);
    grad_fn(logits, labels, scale, d_logits, begin, end - begin, classes);
  });
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
