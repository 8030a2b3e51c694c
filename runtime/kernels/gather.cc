// Gather / scatter-add: per-target row copy and row accumulate, the id check and the task split.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/gather.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

// Copies rows [first, first + count) of the output from the table.
HWY_NOINLINE void GatherRows(const float *table, int64_t dim, const int32_t *ids, int64_t first,
                             int64_t count, float *out) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t i = first; i < first + count; ++i) {
    const float *src = table + static_cast<int64_t>(ids[i]) * dim;
    float *dst = out + i * dim;
    for (int64_t j = 0; j < dim; j += lanes)
      StorePartial(d, LoadPartial(d, src + j, dim - j), dst + j, dim - j);
  }
}

// Columns [column, column + width) of the scatter-add: clear, then accumulate every id in order.
HWY_NOINLINE void ScatterAddColumns(const int32_t *ids, int64_t count, const float *dy,
                                    int64_t rows, int64_t dim, int64_t column, int64_t width,
                                    float *d_table) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t r = 0; r < rows; ++r) {
    float *dst = d_table + r * dim + column;
    for (int64_t j = 0; j < width; j += lanes)
      StorePartial(d, hn::Zero(d), dst + j, width - j);
  }
  for (int64_t i = 0; i < count; ++i)
    AccumulateRow(dy + i * dim + column, d_table + static_cast<int64_t>(ids[i]) * dim + column,
                  width);
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/gather.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(GatherRows);
HWY_EXPORT(ScatterAddColumns);

namespace {
constexpr int64_t kTaskElements = 16 * 1024;
// Scatter-add column chunk: 256 floats = 1 KiB per table row touched, a multiple of every vector
// width; a 768-wide embedding splits into 3 tasks, a 4096-wide one into 16.
constexpr int64_t kScatterColumns = 256;
} // namespace

Status ValidateGather(int64_t rows, int64_t dim, const int32_t *ids, int64_t count) {
  if (rows < 0 || dim < 0 || count < 0)
    return InvalidArgument("gather: negative size (rows " + std::to_string(rows) + ", dim " +
                           std::to_string(dim) + ", ids " + std::to_string(count) + ")");
  if (count > 0 && ids == nullptr)
    return InvalidArgument("gather: null ids");
  for (int64_t i = 0; i < count; ++i)
    if (ids[i] < 0 || ids[i] >= rows)
      return Status(StatusCode::kOutOfRange,
                    "gather: id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                        " is outside the table's " + std::to_string(rows) + " rows");
  return Status::Ok();
}

Status Gather(const float *table, int64_t rows, int64_t dim, const int32_t *ids, int64_t count,
              float *out, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateGather(rows, dim, ids, count));
  if (count == 0 || dim == 0)
    return Status::Ok();
  if (table == nullptr || out == nullptr)
    return InvalidArgument("gather: null table or output");
  const int64_t rows_per_task = std::max<int64_t>(1, kTaskElements / dim);
  auto *rows_fn = HWY_DYNAMIC_DISPATCH(GatherRows);
  RunTasks(pool, (count + rows_per_task - 1) / rows_per_task, [&](int64_t task) {
    const int64_t first = task * rows_per_task;
    rows_fn(table, dim, ids, first, std::min(rows_per_task, count - first), out);
  });
  return Status::Ok();
}

Status GatherGrad(const int32_t *ids, int64_t count, const float *dy, int64_t rows, int64_t dim,
                  float *d_table, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateGather(rows, dim, ids, count));
  if (rows == 0 || dim == 0)
    return Status::Ok();
  if (d_table == nullptr || (count > 0 && dy == nullptr))
    return InvalidArgument("gather grad: null gradient buffer");
  auto *columns_fn = HWY_DYNAMIC_DISPATCH(ScatterAddColumns);
  const int64_t chunks = (dim + kScatterColumns - 1) / kScatterColumns;
  RunTasks(pool, chunks, [&](int64_t task) {
    const int64_t column = task * kScatterColumns;
    columns_fn(ids, count, dy, rows, dim, column, std::min(kScatterColumns, dim - column), d_table);
  });
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
