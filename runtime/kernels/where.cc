// Where: per-target select rows, the three-operand broadcast plan and the task split.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/where.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// out[i] = cond[i * c_step] != 0 ? a[i * a_step] : b[i * b_step] for i in [0, n); each step is
// 0 (a broadcast scalar) or 1 (a contiguous row). Full vectors in SIMD, the tail in scalar code
// (the same select, so every element is the same copy).
HWY_NOINLINE void WhereRow(const int32_t *cond, int64_t c_step, const float *a, int64_t a_step,
                           const float *b, int64_t b_step, float *out, int64_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto zero = hn::Zero(di);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto c = c_step ? hn::LoadU(di, cond + i) : hn::Set(di, cond[0]);
    const auto va = a_step ? hn::LoadU(df, a + i) : hn::Set(df, a[0]);
    const auto vb = b_step ? hn::LoadU(df, b + i) : hn::Set(df, b[0]);
    const auto is_false = hn::RebindMask(df, hn::Eq(c, zero));
    hn::StoreU(hn::IfThenElse(is_false, vb, va), df, out + i);
  }
  for (; i < n; ++i)
    out[i] = cond[i * c_step] != 0 ? a[i * a_step] : b[i * b_step];
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/where.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(WhereRow);

namespace {

// Elements per task, as the binary kernels: 16K floats (64 KiB per stream).
constexpr int64_t kChunk = 16 * 1024;
constexpr int kOperands = 3; // cond, a, b

// Output axes (outermost first) with each operand's element stride (0 = broadcast).
struct WherePlan {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[kOperands][kMaxRank] = {};
};

void AlignedStrides(const Shape &operand, const Shape &out, int64_t *strides) {
  int64_t stride = 1;
  for (int axis = out.rank - 1; axis >= 0; --axis) {
    const int operand_axis = axis - (out.rank - operand.rank);
    const int64_t dim = operand_axis >= 0 ? operand.dims[operand_axis] : 1;
    strides[axis] = dim == 1 ? 0 : stride;
    stride *= dim;
  }
}

WherePlan MakePlan(const Shape *shapes[kOperands], const Shape &out) {
  int64_t aligned[kOperands][kMaxRank];
  for (int k = 0; k < kOperands; ++k)
    AlignedStrides(*shapes[k], out, aligned[k]);
  WherePlan plan;
  for (int axis = 0; axis < out.rank; ++axis) {
    const int64_t dim = out.dims[axis];
    if (dim == 1)
      continue;
    const int last = plan.rank - 1;
    bool merge = last >= 0;
    for (int k = 0; merge && k < kOperands; ++k)
      merge = plan.strides[k][last] == aligned[k][axis] * dim;
    if (merge) {
      plan.dims[last] *= dim;
      for (int k = 0; k < kOperands; ++k)
        plan.strides[k][last] = aligned[k][axis];
      continue;
    }
    plan.dims[plan.rank] = dim;
    for (int k = 0; k < kOperands; ++k)
      plan.strides[k][plan.rank] = aligned[k][axis];
    ++plan.rank;
  }
  if (plan.rank == 0) { // A single element.
    plan.rank = 1;
    plan.dims[0] = 1;
    for (int k = 0; k < kOperands; ++k)
      plan.strides[k][0] = 1;
  }
  return plan;
}

} // namespace

Status WhereShape(const Shape &cond_shape, const Shape &a_shape, const Shape &b_shape, Shape *out) {
  Shape ab;
  TIDEMARK_RETURN_IF_ERROR(BroadcastShapes(a_shape, b_shape, &ab));
  Status status = BroadcastShapes(cond_shape, ab, out);
  if (!status.ok())
    return InvalidArgument("where: the condition does not broadcast with a and b: " +
                           status.message());
  return Status::Ok();
}

Status Where(const Shape &cond_shape, const int32_t *cond, const Shape &a_shape, const float *a,
             const Shape &b_shape, const float *b, const Shape &out_shape, float *out,
             ThreadPool *pool) {
  Shape expected;
  TIDEMARK_RETURN_IF_ERROR(WhereShape(cond_shape, a_shape, b_shape, &expected));
  if (expected != out_shape)
    return InvalidArgument("where: the output shape is not the broadcast shape of its operands");
  if (out_shape.NumElements() == 0)
    return Status::Ok();
  const Shape *shapes[kOperands] = {&cond_shape, &a_shape, &b_shape};
  const WherePlan plan = MakePlan(shapes, out_shape);
  const int inner = plan.rank - 1;
  const int64_t width = plan.dims[inner];
  int64_t num_rows = 1;
  for (int axis = 0; axis < inner; ++axis)
    num_rows *= plan.dims[axis];
  const int64_t chunks_per_row = (width + kChunk - 1) / kChunk;
  const int64_t rows_per_task = chunks_per_row > 1 ? 1 : std::max<int64_t>(1, kChunk / width);
  const int64_t num_tasks = chunks_per_row * ((num_rows + rows_per_task - 1) / rows_per_task);
  auto *row_fn = HWY_DYNAMIC_DISPATCH(WhereRow);
  RunTasks(pool, num_tasks, [&](int64_t task) {
    const int64_t first_row = (task / chunks_per_row) * rows_per_task;
    const int64_t last_row = std::min(num_rows, first_row + rows_per_task);
    const int64_t column = (task % chunks_per_row) * kChunk;
    const int64_t columns = std::min(kChunk, width - column);
    for (int64_t row = first_row; row < last_row; ++row) {
      int64_t offset[kOperands] = {0, 0, 0};
      int64_t rest = row;
      for (int axis = inner - 1; axis >= 0; --axis) {
        const int64_t coord = rest % plan.dims[axis];
        rest /= plan.dims[axis];
        for (int k = 0; k < kOperands; ++k)
          offset[k] += coord * plan.strides[k][axis];
      }
      for (int k = 0; k < kOperands; ++k)
        offset[k] += column * plan.strides[k][inner];
      row_fn(cond + offset[0], plan.strides[0][inner], a + offset[1], plan.strides[1][inner],
             b + offset[2], plan.strides[2][inner], out + row * width + column, columns);
    }
  });
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
