// Softmax: Highway dispatch and the task split (row blocks, or column blocks of inner positions).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/softmax.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/softmax-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

HWY_NOINLINE void SoftmaxRows(const float *x, float *y, int64_t rows, int64_t len) {
  for (int64_t r = 0; r < rows; ++r)
    SoftmaxRow(x + r * len, y + r * len, len);
}

HWY_NOINLINE void SoftmaxGradRows(const float *y, const float *dy, float *dx, int64_t rows,
                                  int64_t len) {
  for (int64_t r = 0; r < rows; ++r)
    SoftmaxGradRow(y + r * len, dy + r * len, dx + r * len, len);
}

// `count` neighbouring inner positions starting at x (any count; vectors of Lanes at a time).
HWY_NOINLINE void SoftmaxColumnBlock(const float *x, float *y, int64_t axis_len, int64_t inner,
                                     int64_t count) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  for (int64_t i = 0; i < count; i += lanes)
    SoftmaxColumns(x + i, y + i, axis_len, inner, count - i);
}

HWY_NOINLINE void SoftmaxGradColumnBlock(const float *y, const float *dy, float *dx,
                                         int64_t axis_len, int64_t inner, int64_t count) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  for (int64_t i = 0; i < count; i += lanes)
    SoftmaxGradColumns(y + i, dy + i, dx + i, axis_len, inner, count - i);
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/softmax.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(SoftmaxRows);
HWY_EXPORT(SoftmaxGradRows);
HWY_EXPORT(SoftmaxColumnBlock);
HWY_EXPORT(SoftmaxGradColumnBlock);

namespace {

// ~16K elements per task; column blocks of 256 inner positions (1 KiB per row of the block).
constexpr int64_t kTaskElements = 16 * 1024;
constexpr int64_t kColumnBlock = 256;

Status ValidateSizes(const char *what, int64_t outer, int64_t axis_len, int64_t inner) {
  if (outer < 0 || axis_len < 0 || inner < 0)
    return InvalidArgument(std::string(what) + ": negative size (outer " + std::to_string(outer) +
                           ", axis " + std::to_string(axis_len) + ", inner " +
                           std::to_string(inner) + ")");
  return Status::Ok();
}

// Calls rows_fn(first_row, row_count) for the inner == 1 case, or
// columns_fn(offset, count) for blocks of inner positions of one outer index.
template <typename RowsFn, typename ColumnsFn>
void SplitWork(int64_t outer, int64_t axis_len, int64_t inner, ThreadPool *pool,
               const RowsFn &rows_fn, const ColumnsFn &columns_fn) {
  if (outer == 0 || axis_len == 0 || inner == 0)
    return;
  if (inner == 1) {
    const int64_t rows_per_task = std::max<int64_t>(1, kTaskElements / axis_len);
    RunTasks(pool, (outer + rows_per_task - 1) / rows_per_task, [&](int64_t task) {
      const int64_t first = task * rows_per_task;
      rows_fn(first, std::min(rows_per_task, outer - first));
    });
    return;
  }
  const int64_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
  RunTasks(pool, outer * blocks, [&](int64_t task) {
    const int64_t column = (task % blocks) * kColumnBlock;
    columns_fn((task / blocks) * axis_len * inner + column, std::min(kColumnBlock, inner - column));
  });
}

} // namespace

Status Softmax(int64_t outer, int64_t axis_len, int64_t inner, const float *x, float *y,
               ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateSizes("softmax", outer, axis_len, inner));
  auto *rows = HWY_DYNAMIC_DISPATCH(SoftmaxRows);
  auto *columns = HWY_DYNAMIC_DISPATCH(SoftmaxColumnBlock);
  SplitWork(
      outer, axis_len, inner, pool,
      [&](int64_t first, int64_t count) {
        rows(x + first * axis_len, y + first * axis_len, count, axis_len);
      },
      [&](int64_t offset, int64_t count) {
        columns(x + offset, y + offset, axis_len, inner, count);
      });
  return Status::Ok();
}

Status SoftmaxGrad(int64_t outer, int64_t axis_len, int64_t inner, const float *y, const float *dy,
                   float *dx, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateSizes("softmax grad", outer, axis_len, inner));
  auto *rows = HWY_DYNAMIC_DISPATCH(SoftmaxGradRows);
  auto *columns = HWY_DYNAMIC_DISPATCH(SoftmaxGradColumnBlock);
  SplitWork(
      outer, axis_len, inner, pool,
      [&](int64_t first, int64_t count) {
        const int64_t offset = first * axis_len;
        rows(y + offset, dy + offset, dx + offset, count, axis_len);
      },
      [&](int64_t offset, int64_t count) {
        columns(y + offset, dy + offset, dx + offset, axis_len, inner, count);
      });
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
