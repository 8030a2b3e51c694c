// RMS norm: per-target row forward/backward, the fixed-block d_scale reduction and validation.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/rms_norm.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

// y = x * rstd * scale for one row; returns rstd.
HWY_INLINE float RmsNormRow(const float *x, const float *scale, float epsilon, float *y,
                            int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const float rstd = 1.0f / std::sqrt(DotRow(x, x, n) / static_cast<float>(n) + epsilon);
  const auto vr = hn::Set(d, rstd);
  for (int64_t j = 0; j < n; j += lanes) {
    const int64_t count = n - j;
    const auto v =
        hn::Mul(hn::Mul(LoadPartial(d, x + j, count), vr), LoadPartial(d, scale + j, count));
    StorePartial(d, v, y + j, count);
  }
  return rstd;
}

HWY_NOINLINE void RmsNormRows(const float *x, const float *scale, float epsilon, float *y,
                              float *rstd, int64_t first, int64_t count, int64_t n) {
  for (int64_t r = first; r < first + count; ++r) {
    const float s = RmsNormRow(x + r * n, scale, epsilon, y + r * n, n);
    if (rstd != nullptr)
      rstd[r] = s;
  }
}

// Rows [first, first + count) of the backward; partial_scale (zeroed here) += dy * xhat.
HWY_NOINLINE void RmsNormGradRows(const float *x, const float *scale, const float *rstd,
                                  const float *dy, float *dx, float *partial_scale, int64_t first,
                                  int64_t count, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t j = 0; j < n; ++j)
    partial_scale[j] = 0.0f;
  for (int64_t r = first; r < first + count; ++r) {
    const float *xr = x + r * n;
    const float *dyr = dy + r * n;
    float *dxr = dx + r * n;
    const float s = rstd[r];
    // mean(g * xhat) = rstd * sum(dy * scale * x) / n
    auto acc = hn::Zero(d);
    for (int64_t j = 0; j < n; j += lanes) {
      const int64_t c = n - j;
      const auto g = hn::Mul(LoadPartial(d, dyr + j, c), LoadPartial(d, scale + j, c));
      acc = hn::MulAdd(g, LoadPartial(d, xr + j, c), acc);
    }
    const float mean_gx = s * hn::GetLane(hn::SumOfLanes(d, acc)) / static_cast<float>(n);
    const auto vs = hn::Set(d, s);
    const auto vm = hn::Set(d, mean_gx);
    for (int64_t j = 0; j < n; j += lanes) {
      const int64_t c = n - j;
      const auto dyv = LoadPartial(d, dyr + j, c);
      const auto xhat = hn::Mul(LoadPartial(d, xr + j, c), vs);
      const auto g = hn::Mul(dyv, LoadPartial(d, scale + j, c));
      StorePartial(d, hn::Mul(vs, hn::NegMulAdd(xhat, vm, g)), dxr + j, c);
      StorePartial(d, hn::MulAdd(dyv, xhat, LoadPartial(d, partial_scale + j, c)),
                   partial_scale + j, c);
    }
  }
}

// out[j] = sum over blocks b (in order) of partials[b * stride + j], for j in [0, count).
HWY_NOINLINE void RmsSumPartials(const float *partials, int64_t blocks, int64_t stride, float *out,
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
#include "runtime/kernels/rms_norm.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(RmsNormRows);
HWY_EXPORT(RmsNormGradRows);
HWY_EXPORT(RmsSumPartials);

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

int64_t GradBlocks(int64_t rows) { return std::min(rows, kRmsNormGradBlocks); }

// Floats per partial row, padded to 16 so every block's partial row starts 64-byte aligned.
int64_t PartialStride(int64_t norm_size) { return (norm_size + 15) / 16 * 16; }

} // namespace

Status RmsNorm(int64_t rows, int64_t norm_size, const float *x, const float *scale, float epsilon,
               float *y, float *rstd, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateSizes("rms norm", rows, norm_size));
  if (!(epsilon >= 0.0f) || std::isinf(epsilon))
    return InvalidArgument("rms norm: epsilon must be finite and >= 0, got " +
                           std::to_string(epsilon));
  if (rows == 0)
    return Status::Ok();
  const int64_t rows_per_task = std::max<int64_t>(1, kTaskElements / norm_size);
  auto *rows_fn = HWY_DYNAMIC_DISPATCH(RmsNormRows);
  RunTasks(pool, (rows + rows_per_task - 1) / rows_per_task, [&](int64_t task) {
    const int64_t first = task * rows_per_task;
    rows_fn(x, scale, epsilon, y, rstd, first, std::min(rows_per_task, rows - first), norm_size);
  });
  return Status::Ok();
}

size_t RmsNormGradScratchBytes(int64_t rows, int64_t norm_size, int /*num_threads*/) {
  if (rows <= 0 || norm_size <= 0)
    return 0;
  return static_cast<size_t>(GradBlocks(rows) * PartialStride(norm_size)) * sizeof(float);
}

Status RmsNormGrad(int64_t rows, int64_t norm_size, const float *x, const float *scale,
                   const float *rstd, const float *dy, float *dx, float *d_scale, void *scratch,
                   ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateSizes("rms norm grad", rows, norm_size));
  if (rows == 0) {
    std::fill(d_scale, d_scale + norm_size, 0.0f);
    return Status::Ok();
  }
  if (scratch == nullptr)
    return InvalidArgument("rms norm grad: scratch is null (see RmsNormGradScratchBytes)");
  const int64_t blocks = GradBlocks(rows);
  const int64_t stride = PartialStride(norm_size);
  float *partial_scale = static_cast<float *>(scratch);
  // Block b owns rows [b * rows / blocks, (b + 1) * rows / blocks): a function of rows only.
  auto *grad_rows = HWY_DYNAMIC_DISPATCH(RmsNormGradRows);
  RunTasks(pool, blocks, [&](int64_t b) {
    const int64_t first = b * rows / blocks, last = (b + 1) * rows / blocks;
    grad_rows(x, scale, rstd, dy, dx, partial_scale + b * stride, first, last - first, norm_size);
  });
  auto *sum_partials = HWY_DYNAMIC_DISPATCH(RmsSumPartials);
  const int64_t chunks = (norm_size + kColumnChunk - 1) / kColumnChunk;
  RunTasks(pool, chunks, [&](int64_t task) {
    const int64_t column = task * kColumnChunk;
    sum_partials(partial_scale + column, blocks, stride, d_scale + column,
                 std::min(kColumnChunk, norm_size - column));
  });
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
