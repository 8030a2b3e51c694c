// Elementwise: Highway dispatch, the broadcast plan and task split, ReduceToShape, BinaryGrad.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/elementwise.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/elementwise-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

HWY_NOINLINE void BinaryRow(int op, const float *a, int64_t a_step, const float *b, int64_t b_step,
                            float *out, int64_t n) {
  switch (op) {
  case 0:
    return BinaryRowForm(AddFn(), a, a_step, b, b_step, out, n);
  case 1:
    return BinaryRowForm(SubFn(), a, a_step, b, b_step, out, n);
  case 2:
    return BinaryRowForm(MulFn(), a, a_step, b, b_step, out, n);
  case 3:
    return BinaryRowForm(DivFn(), a, a_step, b, b_step, out, n);
  case 4:
    return BinaryRowForm(MinFn(), a, a_step, b, b_step, out, n);
  case 5:
    return BinaryRowForm(MaxFn(), a, a_step, b, b_step, out, n);
  case 6:
    return BinaryRowForm(MinShareFn(), a, a_step, b, b_step, out, n);
  default:
    return BinaryRowForm(MaxShareFn(), a, a_step, b, b_step, out, n);
  }
}

// One instantiation per op: the op is a template parameter, so its row loop has no branch.
HWY_NOINLINE void UnaryRow(int op, const float *x, float *y, int64_t n, float a, float b) {
  const UnaryArgs args{a, b};
  switch (op) {
  case 0:
    return UnaryRowT<0>(x, y, n, args);
  case 1:
    return UnaryRowT<1>(x, y, n, args);
  case 2:
    return UnaryRowT<2>(x, y, n, args);
  case 3:
    return UnaryRowT<3>(x, y, n, args);
  case 4:
    return UnaryRowT<4>(x, y, n, args);
  case 5:
    return UnaryRowT<5>(x, y, n, args);
  case 6:
    return UnaryRowT<6>(x, y, n, args);
  case 7:
    return UnaryRowT<7>(x, y, n, args);
  case 8:
    return UnaryRowT<8>(x, y, n, args);
  case 9:
    return UnaryRowT<9>(x, y, n, args);
  case 10:
    return UnaryRowT<10>(x, y, n, args);
  case 11:
    return UnaryRowT<11>(x, y, n, args);
  case 12:
    return UnaryRowT<12>(x, y, n, args);
  case 13:
    return UnaryRowT<13>(x, y, n, args);
  default:
    return UnaryRowT<14>(x, y, n, args);
  }
}

HWY_NOINLINE void UnaryGradRow(int op, const float *x, const float *dy, float *dx, int64_t n,
                               float a, float b) {
  const UnaryArgs args{a, b};
  switch (op) {
  case 0:
    return UnaryGradRowT<0>(x, dy, dx, n, args);
  case 1:
    return UnaryGradRowT<1>(x, dy, dx, n, args);
  case 2:
    return UnaryGradRowT<2>(x, dy, dx, n, args);
  case 3:
    return UnaryGradRowT<3>(x, dy, dx, n, args);
  case 4:
    return UnaryGradRowT<4>(x, dy, dx, n, args);
  case 5:
    return UnaryGradRowT<5>(x, dy, dx, n, args);
  case 6:
    return UnaryGradRowT<6>(x, dy, dx, n, args);
  case 7:
    return UnaryGradRowT<7>(x, dy, dx, n, args);
  case 8:
    return UnaryGradRowT<8>(x, dy, dx, n, args);
  case 9:
    return UnaryGradRowT<9>(x, dy, dx, n, args);
  case 10:
    return UnaryGradRowT<10>(x, dy, dx, n, args);
  case 11:
    return UnaryGradRowT<11>(x, dy, dx, n, args);
  case 12:
    return UnaryGradRowT<12>(x, dy, dx, n, args);
  case 13:
    return UnaryGradRowT<13>(x, dy, dx, n, args);
  default:
    return UnaryGradRowT<14>(x, dy, dx, n, args);
  }
}

HWY_NOINLINE void ScaleInPlace(float *x, float factor, int64_t n) { ScaleRow(x, factor, n); }

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/elementwise.h"
#include "runtime/kernels/reduce.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(BinaryRow);
HWY_EXPORT(UnaryRow);
HWY_EXPORT(UnaryGradRow);
HWY_EXPORT(ScaleInPlace);

namespace {

// Elements per task: 16K floats (64 KiB per stream) amortizes the hand-off and fits L2.
constexpr int64_t kChunk = 16 * 1024;

std::string ShapeString(const Shape &shape) {
  std::string s = "[";
  for (int axis = 0; axis < shape.rank; ++axis)
    s += (axis ? "," : "") + std::to_string(shape.dims[axis]);
  return s + "]";
}

Status ValidateShape(const char *what, const Shape &shape) {
  if (shape.rank < 0 || shape.rank > kMaxRank)
    return InvalidArgument(std::string(what) + ": rank " + std::to_string(shape.rank) +
                           " is outside [0, 6]");
  for (int axis = 0; axis < shape.rank; ++axis)
    if (shape.dims[axis] < 0)
      return InvalidArgument(std::string(what) + ": shape " + ShapeString(shape) +
                             " has a negative dimension");
  return Status::Ok();
}

// Output axes (outermost first) with each operand's element stride (0 = broadcast).
struct BroadcastPlan {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t a_stride[kMaxRank] = {};
  int64_t b_stride[kMaxRank] = {};
};

// Element strides of `operand` right-aligned to `out` (0 where the operand broadcasts).
void AlignedStrides(const Shape &operand, const Shape &out, int64_t *strides) {
  int64_t stride = 1;
  for (int axis = out.rank - 1; axis >= 0; --axis) {
    const int operand_axis = axis - (out.rank - operand.rank);
    const int64_t dim = operand_axis >= 0 ? operand.dims[operand_axis] : 1;
    strides[axis] = dim == 1 ? 0 : stride;
    stride *= dim;
  }
}

// Drops size-1 axes and merges neighbours that stay contiguous for both operands.
BroadcastPlan MakeBroadcastPlan(const Shape &a_shape, const Shape &b_shape, const Shape &out) {
  int64_t a_strides[kMaxRank], b_strides[kMaxRank];
  AlignedStrides(a_shape, out, a_strides);
  AlignedStrides(b_shape, out, b_strides);
  BroadcastPlan plan;
  for (int axis = 0; axis < out.rank; ++axis) {
    const int64_t dim = out.dims[axis];
    if (dim == 1)
      continue;
    const int last = plan.rank - 1;
    if (last >= 0 && plan.a_stride[last] == a_strides[axis] * dim &&
        plan.b_stride[last] == b_strides[axis] * dim) {
      plan.dims[last] *= dim;
      plan.a_stride[last] = a_strides[axis];
      plan.b_stride[last] = b_strides[axis];
      continue;
    }
    plan.dims[plan.rank] = dim;
    plan.a_stride[plan.rank] = a_strides[axis];
    plan.b_stride[plan.rank] = b_strides[axis];
    ++plan.rank;
  }
  if (plan.rank == 0) { // A single element.
    plan.rank = 1;
    plan.dims[0] = 1;
    plan.a_stride[0] = plan.b_stride[0] = 1;
  }
  return plan;
}

// Runs the plan: rows = all axes but the innermost; a task owns a block of whole rows, or one
// column chunk of one row when rows are longer than kChunk.
void RunBroadcastPlan(const BroadcastPlan &plan, BinaryOp op, const float *a, const float *b,
                      float *out, ThreadPool *pool) {
  const int inner_axis = plan.rank - 1;
  const int64_t width = plan.dims[inner_axis];
  int64_t num_rows = 1;
  for (int axis = 0; axis < inner_axis; ++axis)
    num_rows *= plan.dims[axis];
  const int64_t chunks_per_row = (width + kChunk - 1) / kChunk;
  const int64_t rows_per_task = chunks_per_row > 1 ? 1 : std::max<int64_t>(1, kChunk / width);
  const int64_t num_tasks = chunks_per_row * ((num_rows + rows_per_task - 1) / rows_per_task);
  auto *row_fn = HWY_DYNAMIC_DISPATCH(BinaryRow);
  const int op_index = static_cast<int>(op);
  RunTasks(pool, num_tasks, [&](int64_t task) {
    const int64_t first_row = (task / chunks_per_row) * rows_per_task;
    const int64_t last_row = std::min(num_rows, first_row + rows_per_task);
    const int64_t column = (task % chunks_per_row) * kChunk;
    const int64_t columns = std::min(kChunk, width - column);
    for (int64_t row = first_row; row < last_row; ++row) {
      int64_t a_offset = 0, b_offset = 0, rest = row;
      for (int axis = inner_axis - 1; axis >= 0; --axis) {
        const int64_t coord = rest % plan.dims[axis];
        rest /= plan.dims[axis];
        a_offset += coord * plan.a_stride[axis];
        b_offset += coord * plan.b_stride[axis];
      }
      a_offset += column * plan.a_stride[inner_axis];
      b_offset += column * plan.b_stride[inner_axis];
      row_fn(op_index, a + a_offset, plan.a_stride[inner_axis], b + b_offset,
             plan.b_stride[inner_axis], out + row * width + column, columns);
    }
  });
}

// Flat element-range tasks for the unary kernels.
template <typename Fn> void RunFlat(int64_t n, ThreadPool *pool, const Fn &fn) {
  const int64_t num_tasks = (n + kChunk - 1) / kChunk;
  RunTasks(pool, num_tasks, [&](int64_t task) {
    const int64_t begin = task * kChunk;
    fn(begin, std::min(kChunk, n - begin));
  });
}

} // namespace

Status BroadcastShapes(const Shape &a_shape, const Shape &b_shape, Shape *out) {
  TIDEMARK_RETURN_IF_ERROR(ValidateShape("broadcast (a)", a_shape));
  TIDEMARK_RETURN_IF_ERROR(ValidateShape("broadcast (b)", b_shape));
  Shape result;
  result.rank = std::max(a_shape.rank, b_shape.rank);
  for (int axis = 0; axis < result.rank; ++axis) {
    const int a_axis = axis - (result.rank - a_shape.rank);
    const int b_axis = axis - (result.rank - b_shape.rank);
    const int64_t a_dim = a_axis >= 0 ? a_shape.dims[a_axis] : 1;
    const int64_t b_dim = b_axis >= 0 ? b_shape.dims[b_axis] : 1;
    if (a_dim != b_dim && a_dim != 1 && b_dim != 1)
      return InvalidArgument("broadcast: shapes " + ShapeString(a_shape) + " and " +
                             ShapeString(b_shape) + " are incompatible at output axis " +
                             std::to_string(axis) + " (" + std::to_string(a_dim) + " vs " +
                             std::to_string(b_dim) + ")");
    result.dims[axis] = a_dim == 1 ? b_dim : a_dim;
  }
  *out = result;
  return Status::Ok();
}

Status Binary(BinaryOp op, const Shape &a_shape, const float *a, const Shape &b_shape,
              const float *b, const Shape &out_shape, float *out, ThreadPool *pool) {
  Shape expected;
  TIDEMARK_RETURN_IF_ERROR(BroadcastShapes(a_shape, b_shape, &expected));
  if (expected != out_shape)
    return InvalidArgument("binary: output shape " + ShapeString(out_shape) +
                           " is not the broadcast shape " + ShapeString(expected));
  if (out_shape.NumElements() == 0)
    return Status::Ok();
  RunBroadcastPlan(MakeBroadcastPlan(a_shape, b_shape, out_shape), op, a, b, out, pool);
  return Status::Ok();
}

void Unary(UnaryOp op, const float *x, float *y, int64_t n, ThreadPool *pool,
           const UnaryParams &params) {
  auto *row_fn = HWY_DYNAMIC_DISPATCH(UnaryRow);
  RunFlat(n, pool, [&](int64_t begin, int64_t count) {
    row_fn(static_cast<int>(op), x + begin, y + begin, count, params.a, params.b);
  });
}

void UnaryGrad(UnaryOp op, const float *x, const float *dy, float *dx, int64_t n, ThreadPool *pool,
               const UnaryParams &params) {
  auto *row_fn = HWY_DYNAMIC_DISPATCH(UnaryGradRow);
  RunFlat(n, pool, [&](int64_t begin, int64_t count) {
    row_fn(static_cast<int>(op), x + begin, dy + begin, dx + begin, count, params.a, params.b);
  });
}

Status ValidateUnaryParams(UnaryOp op, const UnaryParams &params) {
  if (op == UnaryOp::kPow && !std::isfinite(params.a))
    return InvalidArgument("pow: the exponent must be finite, got " + std::to_string(params.a));
  if (op == UnaryOp::kClamp && !(params.a <= params.b))
    return InvalidArgument("clamp: the bounds must satisfy min <= max (no NaN), got [" +
                           std::to_string(params.a) + ", " + std::to_string(params.b) + "]");
  return Status::Ok();
}

Status ReduceToShape(const Shape &grad_shape, const float *grad, const Shape &operand_shape,
                     float *out, ThreadPool *pool) {
  Shape broadcast;
  if (!BroadcastShapes(operand_shape, grad_shape, &broadcast).ok() || broadcast != grad_shape)
    return InvalidArgument("reduce-to-shape: operand shape " + ShapeString(operand_shape) +
                           " does not broadcast to the gradient shape " + ShapeString(grad_shape));
  uint32_t axes_mask = 0;
  for (int axis = 0; axis < grad_shape.rank; ++axis) {
    const int operand_axis = axis - (grad_shape.rank - operand_shape.rank);
    const int64_t dim = operand_axis >= 0 ? operand_shape.dims[operand_axis] : 1;
    if (dim == 1 && grad_shape.dims[axis] != 1)
      axes_mask |= 1u << axis;
  }
  // The kept-dims output of Reduce has exactly the operand's element order.
  return Reduce(ReduceOp::kSum, grad_shape, grad, axes_mask, out, pool);
}

// Internal row ops of the min/max backward (after the public BinaryOp values).
constexpr BinaryOp kMinShare = static_cast<BinaryOp>(6);
constexpr BinaryOp kMaxShare = static_cast<BinaryOp>(7);

size_t BinaryGradScratchBytes(BinaryOp op, const Shape &operand_shape, const Shape &out_shape,
                              int /*num_threads*/) {
  if (op == BinaryOp::kAdd || op == BinaryOp::kSub || operand_shape == out_shape)
    return 0;
  const size_t bytes = static_cast<size_t>(out_shape.NumElements()) * sizeof(float);
  return (bytes + 63) / 64 * 64;
}

namespace {

// The per-element gradient of `operand` in out_shape, written to `full` (scratch or d_operand,
// never dy's storage).
Status ElementGradient(BinaryOp op, int operand, const Shape &a_shape, const float *a,
                       const Shape &b_shape, const float *b, const Shape &out_shape,
                       const float *dy, float *full, ThreadPool *pool) {
  if (op == BinaryOp::kMul)
    return operand == 0 ? Binary(BinaryOp::kMul, out_shape, dy, b_shape, b, out_shape, full, pool)
                        : Binary(BinaryOp::kMul, out_shape, dy, a_shape, a, out_shape, full, pool);
  if (op == BinaryOp::kMin || op == BinaryOp::kMax) {
    // share(operand, other) * dY; the other operand's share is computed with the roles swapped,
    // so ties give 0.5 to each.
    const BinaryOp share = op == BinaryOp::kMin ? kMinShare : kMaxShare;
    TIDEMARK_RETURN_IF_ERROR(operand == 0
                                 ? Binary(share, a_shape, a, b_shape, b, out_shape, full, pool)
                                 : Binary(share, b_shape, b, a_shape, a, out_shape, full, pool));
    return Binary(BinaryOp::kMul, out_shape, full, out_shape, dy, out_shape, full, pool);
  }
  // div: dA = dY / B; dB = ((dY / B) * A) / B, negated by the caller.
  TIDEMARK_RETURN_IF_ERROR(
      Binary(BinaryOp::kDiv, out_shape, dy, b_shape, b, out_shape, full, pool));
  if (operand == 0)
    return Status::Ok();
  TIDEMARK_RETURN_IF_ERROR(
      Binary(BinaryOp::kMul, out_shape, full, a_shape, a, out_shape, full, pool));
  return Binary(BinaryOp::kDiv, out_shape, full, b_shape, b, out_shape, full, pool);
}

} // namespace

Status BinaryGrad(BinaryOp op, int operand, const Shape &a_shape, const float *a,
                  const Shape &b_shape, const float *b, const Shape &out_shape, const float *dy,
                  float *d_operand, void *scratch, ThreadPool *pool) {
  if (operand != 0 && operand != 1)
    return InvalidArgument("binary grad: operand must be 0 (a) or 1 (b), got " +
                           std::to_string(operand));
  Shape expected;
  TIDEMARK_RETURN_IF_ERROR(BroadcastShapes(a_shape, b_shape, &expected));
  if (expected != out_shape)
    return InvalidArgument("binary grad: output shape " + ShapeString(out_shape) +
                           " is not the broadcast shape " + ShapeString(expected));
  const Shape &operand_shape = operand == 0 ? a_shape : b_shape;
  const bool negate = operand == 1 && (op == BinaryOp::kSub || op == BinaryOp::kDiv);
  if (op == BinaryOp::kAdd || op == BinaryOp::kSub) {
    TIDEMARK_RETURN_IF_ERROR(ReduceToShape(out_shape, dy, operand_shape, d_operand, pool));
  } else {
    const bool direct = operand_shape == out_shape;
    if (!direct && scratch == nullptr && out_shape.NumElements() > 0)
      return InvalidArgument("binary grad: scratch is null but BinaryGradScratchBytes > 0");
    float *full = direct ? d_operand : static_cast<float *>(scratch);
    TIDEMARK_RETURN_IF_ERROR(
        ElementGradient(op, operand, a_shape, a, b_shape, b, out_shape, dy, full, pool));
    if (!direct)
      TIDEMARK_RETURN_IF_ERROR(ReduceToShape(out_shape, full, operand_shape, d_operand, pool));
  }
  if (negate) // Exact, so negating after the reduction equals reducing the negated values.
    HWY_DYNAMIC_DISPATCH(ScaleInPlace)(d_operand, -1.0f, operand_shape.NumElements());
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
