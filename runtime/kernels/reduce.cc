// Reduce: Highway dispatch of the row primitives, the axis-group plan and the task split.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/reduce.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/elementwise-inl.h"
#include "runtime/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

// The per-row primitives the plan below dispatches to (one indirect call per row).
HWY_NOINLINE float ReduceSumRow(const float *x, int64_t n) { return SumRow(x, n); }
HWY_NOINLINE void ReduceAccumulateRow(const float *x, double *acc, int64_t n) {
  AccumulateRowDouble(x, acc, n);
}
// dst[i] = src[i or 0] * scale: the broadcast of ReduceGrad (src_step 1: a row, 0: one value).
HWY_NOINLINE void ReduceBroadcastRow(const float *src, int64_t src_step, float scale, float *dst,
                                     int64_t n) {
  BinaryRowForm(MulFn(), src, src_step, &scale, 0, dst, n);
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/reduce.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(ReduceSumRow);
HWY_EXPORT(ReduceAccumulateRow);
HWY_EXPORT(ReduceBroadcastRow);

namespace {

// About this many input elements per task: large enough to amortize the task hand-off, small
// enough that 2+ threads get several tasks each on transformer-sized tensors.
constexpr int64_t kTaskElements = 32 * 1024;
// Column chunk of the vertical (kept-innermost) case: 4 KiB of accumulators stays in L1.
constexpr int64_t kColumnChunk = 1024;

// A list of axis groups (size, input stride), outermost first.
struct AxisGroups {
  int count = 0;
  int64_t size[kMaxRank] = {};
  int64_t stride[kMaxRank] = {};

  int64_t Product() const {
    int64_t p = 1;
    for (int g = 0; g < count; ++g)
      p *= size[g];
    return p;
  }
  // Input offset of the `index`-th combination of this list (row-major).
  int64_t OffsetOf(int64_t index) const {
    int64_t offset = 0;
    for (int g = count - 1; g >= 0; --g) {
      offset += (index % size[g]) * stride[g];
      index /= size[g];
    }
    return offset;
  }
  void Push(int64_t s, int64_t st) {
    size[count] = s;
    stride[count] = st;
    ++count;
  }
};

// The reduction plan: the innermost group (contiguous, `inner` elements) and the remaining kept
// and reduced groups, in order.
struct ReducePlan {
  bool inner_reduced = false;
  int64_t inner = 1;
  AxisGroups kept;    // Kept groups except the innermost one.
  AxisGroups reduced; // Reduced groups except the innermost one.
};

ReducePlan MakePlan(const Shape &shape, uint32_t axes_mask) {
  // Merge neighbouring non-trivial axes with the same flag; size-1 axes are dropped.
  AxisGroups merged;
  bool merged_reduced[kMaxRank] = {};
  int64_t stride = 1;
  int64_t strides[kMaxRank];
  for (int axis = shape.rank - 1; axis >= 0; --axis) {
    strides[axis] = stride;
    stride *= shape.dims[axis];
  }
  for (int axis = 0; axis < shape.rank; ++axis) {
    if (shape.dims[axis] == 1)
      continue;
    const bool reduced = (axes_mask >> axis) & 1u;
    if (merged.count > 0 && merged_reduced[merged.count - 1] == reduced) {
      merged.size[merged.count - 1] *= shape.dims[axis];
      merged.stride[merged.count - 1] = strides[axis];
      continue;
    }
    merged_reduced[merged.count] = reduced;
    merged.Push(shape.dims[axis], strides[axis]);
  }
  ReducePlan plan;
  if (merged.count == 0)
    return plan; // A single element: a kept inner group of size 1.
  const int last = merged.count - 1;
  plan.inner_reduced = merged_reduced[last];
  plan.inner = merged.size[last];
  for (int g = 0; g < last; ++g)
    (merged_reduced[g] ? plan.reduced : plan.kept).Push(merged.size[g], merged.stride[g]);
  return plan;
}

// Innermost axes reduced: every output is a sum of contiguous rows of `plan.inner` elements.
void ReduceHorizontal(const ReducePlan &plan, const float *in, float *out, float divisor,
                      ThreadPool *pool) {
  const int64_t num_outputs = plan.kept.Product();
  const int64_t rows_per_output = plan.reduced.Product();
  const int64_t work_per_output = std::max<int64_t>(1, plan.inner * rows_per_output);
  const int64_t outputs_per_task = std::max<int64_t>(1, kTaskElements / work_per_output);
  const int64_t num_tasks = (num_outputs + outputs_per_task - 1) / outputs_per_task;
  auto *sum_row = HWY_DYNAMIC_DISPATCH(ReduceSumRow);
  RunTasks(pool, num_tasks, [&](int64_t task) {
    const int64_t begin = task * outputs_per_task;
    const int64_t end = std::min(num_outputs, begin + outputs_per_task);
    for (int64_t o = begin; o < end; ++o) {
      const float *base = in + plan.kept.OffsetOf(o);
      double sum = 0.0; // the row sums added in double, one rounding at the end
      for (int64_t r = 0; r < rows_per_output; ++r)
        sum += static_cast<double>(sum_row(base + plan.reduced.OffsetOf(r), plan.inner));
      out[o] = static_cast<float>(divisor == 1.0f ? sum : sum / static_cast<double>(divisor));
    }
  });
}

// Innermost axes kept: every output row of `plan.inner` elements accumulates input rows.
void ReduceVertical(const ReducePlan &plan, const float *in, float *out, float divisor,
                    ThreadPool *pool) {
  const int64_t num_vectors = plan.kept.Product();
  const int64_t rows_per_vector = plan.reduced.Product();
  const int64_t width = plan.inner;
  const int64_t chunk = std::min(width, kColumnChunk);
  const int64_t chunks_per_vector = (width + chunk - 1) / chunk;
  const int64_t vectors_per_task =
      chunks_per_vector > 1
          ? 1
          : std::max<int64_t>(1, kTaskElements / std::max<int64_t>(1, width * rows_per_vector));
  const int64_t num_tasks =
      chunks_per_vector * ((num_vectors + vectors_per_task - 1) / vectors_per_task);
  auto *accumulate_row = HWY_DYNAMIC_DISPATCH(ReduceAccumulateRow);
  RunTasks(pool, num_tasks, [&](int64_t task) {
    const int64_t first_vector = (task / chunks_per_vector) * vectors_per_task;
    const int64_t last_vector = std::min(num_vectors, first_vector + vectors_per_task);
    const int64_t column = (task % chunks_per_vector) * chunk;
    const int64_t columns = std::min(chunk, width - column);
    // Column sums accumulate in double (8 KiB for a full chunk, in L1) and round once: a bias
    // gradient over R rows then carries one rounding, not R (PyTorch's cascade sum grows as
    // log R; a float accumulator as sqrt R to R).
    double acc[kColumnChunk];
    for (int64_t v = first_vector; v < last_vector; ++v) {
      std::fill(acc, acc + columns, 0.0);
      const float *base = in + plan.kept.OffsetOf(v) + column;
      for (int64_t r = 0; r < rows_per_vector; ++r)
        accumulate_row(base + plan.reduced.OffsetOf(r), acc, columns);
      float *dst = out + v * width + column;
      for (int64_t c = 0; c < columns; ++c)
        dst[c] =
            static_cast<float>(divisor == 1.0f ? acc[c] : acc[c] / static_cast<double>(divisor));
    }
  });
}

} // namespace

Status ValidateReduce(const Shape &in_shape, uint32_t axes_mask) {
  if (in_shape.rank < 0 || in_shape.rank > kMaxRank)
    return InvalidArgument("reduce: rank " + std::to_string(in_shape.rank) + " is outside [0, " +
                           std::to_string(kMaxRank) + "]");
  for (int axis = 0; axis < in_shape.rank; ++axis)
    if (in_shape.dims[axis] < 0)
      return InvalidArgument("reduce: dimension " + std::to_string(axis) + " is negative (" +
                             std::to_string(in_shape.dims[axis]) + ")");
  if (in_shape.rank < 32 && (axes_mask >> in_shape.rank) != 0)
    return InvalidArgument("reduce: axes mask " + std::to_string(axes_mask) +
                           " selects an axis at or beyond the rank " +
                           std::to_string(in_shape.rank));
  return Status::Ok();
}

Shape ReducedShape(const Shape &in_shape, uint32_t axes_mask) {
  Shape out = in_shape;
  for (int axis = 0; axis < in_shape.rank; ++axis)
    if ((axes_mask >> axis) & 1u)
      out.dims[axis] = 1;
  return out;
}

Status Reduce(ReduceOp op, const Shape &in_shape, const float *in, uint32_t axes_mask, float *out,
              ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateReduce(in_shape, axes_mask));
  const int64_t in_count = in_shape.NumElements();
  const int64_t out_count = ReducedShape(in_shape, axes_mask).NumElements();
  if (in_count == 0) { // Empty reduction: sum 0, mean NaN (0 / 0), as NumPy.
    std::fill(out, out + out_count, op == ReduceOp::kMean ? NAN : 0.0f);
    return Status::Ok();
  }
  const float divisor = op == ReduceOp::kMean ? static_cast<float>(in_count / out_count) : 1.0f;
  const ReducePlan plan = MakePlan(in_shape, axes_mask);
  if (plan.inner_reduced)
    ReduceHorizontal(plan, in, out, divisor, pool);
  else
    ReduceVertical(plan, in, out, divisor, pool);
  return Status::Ok();
}

Status ReduceGrad(ReduceOp op, const Shape &in_shape, uint32_t axes_mask, const float *dy,
                  float *dx, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateReduce(in_shape, axes_mask));
  const int64_t in_count = in_shape.NumElements();
  if (in_count == 0)
    return Status::Ok();
  const int64_t out_count = ReducedShape(in_shape, axes_mask).NumElements();
  // x * 1 == x exactly, so the sum's backward is a pure broadcast copy.
  const float scale =
      op == ReduceOp::kMean ? 1.0f / static_cast<float>(in_count / out_count) : 1.0f;
  const ReducePlan plan = MakePlan(in_shape, axes_mask);
  const int64_t rows_per_output = plan.reduced.Product();
  const int64_t work_per_output = std::max<int64_t>(1, plan.inner * rows_per_output);
  const int64_t outputs_per_task = std::max<int64_t>(1, kTaskElements / work_per_output);
  const int64_t num_outputs = plan.kept.Product();
  const int64_t num_tasks = (num_outputs + outputs_per_task - 1) / outputs_per_task;
  auto *broadcast_row = HWY_DYNAMIC_DISPATCH(ReduceBroadcastRow);
  // Horizontal plan: output o is one value spread over rows; vertical: a row of `inner` values.
  const int64_t src_step = plan.inner_reduced ? 0 : 1;
  const int64_t src_stride = plan.inner_reduced ? 1 : plan.inner;
  RunTasks(pool, num_tasks, [&](int64_t task) {
    const int64_t begin = task * outputs_per_task;
    const int64_t end = std::min(num_outputs, begin + outputs_per_task);
    for (int64_t o = begin; o < end; ++o) {
      float *base = dx + plan.kept.OffsetOf(o);
      for (int64_t r = 0; r < rows_per_output; ++r)
        broadcast_row(dy + o * src_stride, src_step, scale, base + plan.reduced.OffsetOf(r),
                      plan.inner);
    }
  });
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
