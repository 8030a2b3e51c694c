// Layer norm: Highway dispatch, row-block tasks, and the ordered combination of the backward's
// d_scale/d_bias partials.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/layer_norm.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/layer_norm-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

HWY_NOINLINE void LayerNormRows(const float *x, const float *scale, const float *bias,
                                float epsilon, float *y, float *mean, float *rstd, int64_t first,
                                int64_t count, int64_t n) {
  for (int64_t r = first; r < first + count; ++r)
    LayerNormRow(x + r * n, scale, bias, epsilon, y + r * n, mean ? mean + r : nullptr,
                 rstd ? rstd + r : nullptr, n);
}

// Rows [first, first + count) of the backward, accumulating into one block's partials (zeroed
// here first).
HWY_NOINLINE void LayerNormGradRows(const float *x, const float *scale, const float *mean,
                                    const float *rstd, const float *dy, float *dx,
                                    float *partial_scale, float *partial_bias, int64_t first,
                                    int64_t count, int64_t n) {
  for (int64_t j = 0; j < n; ++j)
    partial_scale[j] = partial_bias[j] = 0.0f;
  for (int64_t r = first; r < first + count; ++r)
    LayerNormGradRow(x + r * n, scale, mean[r], rstd[r], dy + r * n, dx + r * n, partial_scale,
                     partial_bias, n);
}

// out[j] = sum over blocks b (in order) of partials[b * stride + j], for j in [0, count).
HWY_NOINLINE void SumPartials(const float *partials, int64_t blocks, int64_t stride, float *out,
                              int64_t count) {
  for (int64_t j = 0; j < count; ++j)
    out[j] = 0.0f;
  for (int64_t b = 0; b < blocks; ++b)
    AccumulateRow(partials + b * stride, out, count);
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/layer_norm.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(LayerNormRows);
HWY_EXPORT(LayerNormGradRows);
HWY_EXPORT(SumPartials);

namespace {

constexpr int64_t kTaskElements = 16 * 1024;
constexpr int64_t kColumnChunk = 1024;

Status ValidateSizes(const char *what, int64_t rows, int64_t norm_size) {
  if (rows < 0 || norm_size < 0)
    return InvalidArgument(std::string(what) + ": negative size (rows " + std::to_string(rows) +
                           ", norm_size " + std::to_string(norm_size) + ")");
  if (rows > 0 && norm_size == 0)
    return InvalidArgument(std::string(what) + ": norm_size is 0 (the mean of nothing)");
  return Status::Ok();
}

int64_t GradBlocks(int64_t rows) { return std::min(rows, kLayerNormGradBlocks); }

// Floats per partial row, padded to 16 so every block's partial row starts 64-byte aligned.
int64_t PartialStride(int64_t norm_size) { return (norm_size + 15) / 16 * 16; }

} // namespace

Status LayerNorm(int64_t rows, int64_t norm_size, const float *x, const float *scale,
                 const float *bias, float epsilon, float *y, float *mean, float *rstd,
                 ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateSizes("layer norm", rows, norm_size));
  if (!(epsilon >= 0.0f) || std::isinf(epsilon))
    return InvalidArgument("layer norm: epsilon must be finite and >= 0, got " +
                           std::to_string(epsilon));
  if (rows == 0)
    return Status::Ok();
  const int64_t rows_per_task = std::max<int64_t>(1, kTaskElements / norm_size);
  auto *rows_fn = HWY_DYNAMIC_DISPATCH(LayerNormRows);
  RunTasks(pool, (rows + rows_per_task - 1) / rows_per_task, [&](int64_t task) {
    const int64_t first = task * rows_per_task;
    rows_fn(x, scale, bias, epsilon, y, mean, rstd, first, std::min(rows_per_task, rows - first),
            norm_size);
  });
  return Status::Ok();
}

size_t LayerNormGradScratchBytes(int64_t rows, int64_t norm_size, int /*num_threads*/) {
  if (rows <= 0 || norm_size <= 0)
    return 0;
  return static_cast<size_t>(2 * GradBlocks(rows) * PartialStride(norm_size)) * sizeof(float);
}

Status LayerNormGrad(int64_t rows, int64_t norm_size, const float *x, const float *scale,
                     const float *mean, const float *rstd, const float *dy, float *dx,
                     float *d_scale, float *d_bias, void *scratch, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateSizes("layer norm grad", rows, norm_size));
  if (rows == 0) {
    std::fill(d_scale, d_scale + norm_size, 0.0f);
    std::fill(d_bias, d_bias + norm_size, 0.0f);
    return Status::Ok();
  }
  if (scratch == nullptr)
    return InvalidArgument("layer norm grad: scratch is null (see LayerNormGradScratchBytes)");
  const int64_t blocks = GradBlocks(rows);
  const int64_t stride = PartialStride(norm_size);
  float *partial_scale = static_cast<float *>(scratch);
  float *partial_bias = partial_scale + blocks * stride;
  // Block b owns rows [b * rows / blocks, (b + 1) * rows / blocks): a function of rows only.
  auto *grad_rows = HWY_DYNAMIC_DISPATCH(LayerNormGradRows);
  RunTasks(pool, blocks, [&](int64_t b) {
    const int64_t first = b * rows / blocks, last = (b + 1) * rows / blocks;
    grad_rows(x, scale, mean, rstd, dy, dx, partial_scale + b * stride, partial_bias + b * stride,
              first, last - first, norm_size);
  });
  auto *sum_partials = HWY_DYNAMIC_DISPATCH(SumPartials);
  const int64_t chunks = (norm_size + kColumnChunk - 1) / kColumnChunk;
  RunTasks(pool, 2 * chunks, [&](int64_t task) {
    const bool bias_half = task >= chunks;
    const int64_t column = (task % chunks) * kColumnChunk;
    const int64_t count = std::min(kColumnChunk, norm_size - column);
    sum_partials((bias_half ? partial_bias : partial_scale) + column, blocks, stride,
                 (bias_half ? d_bias : d_scale) + column, count);
  });
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
