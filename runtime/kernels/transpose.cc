// Transpose: permutation checks, the axis-merging plan, Highway dispatch of the tile kernel.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/transpose.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/transpose-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

HWY_NOINLINE void TransposePlane(const float *in, int64_t in_stride, float *out, int64_t out_stride,
                                 int64_t rows_p, int64_t cols_q) {
  TransposeTile(in, in_stride, out, out_stride, rows_p, cols_q);
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cstring>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/transpose.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(TransposePlane);

namespace {

constexpr int64_t kTaskElements = 16 * 1024;
// 16 x 16 tiles: with power-of-two row strides (e.g. 1024 floats) every row of a tile maps to the
// same L1 set (8 ways on Zen 4), so taller tiles thrash; measured on 2048x768, 768x2048 and
// 1024x1024 (CPU time, 1 thread): 16.8 / 16.7 / 15.1 GB/s at 16, 17.9 / 12.5 / 11.5 at 32.
constexpr int64_t kTile = 16;

// Output axes after dropping size-1 axes and merging, with input and output element strides.
struct TransposePlan {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t in_stride[kMaxRank] = {};
  int64_t out_stride[kMaxRank] = {};
};

TransposePlan MakePlan(const Shape &in_shape, const int *perm) {
  int64_t in_strides[kMaxRank];
  int64_t stride = 1;
  for (int axis = in_shape.rank - 1; axis >= 0; --axis) {
    in_strides[axis] = stride;
    stride *= in_shape.dims[axis];
  }
  TransposePlan plan;
  for (int i = 0; i < in_shape.rank; ++i) {
    const int64_t dim = in_shape.dims[perm[i]];
    const int64_t s = in_strides[perm[i]];
    if (dim == 1)
      continue;
    if (plan.rank > 0 && plan.in_stride[plan.rank - 1] == s * dim) {
      plan.dims[plan.rank - 1] *= dim;
      plan.in_stride[plan.rank - 1] = s;
      continue;
    }
    plan.dims[plan.rank] = dim;
    plan.in_stride[plan.rank] = s;
    ++plan.rank;
  }
  if (plan.rank == 0) { // One element.
    plan.rank = 1;
    plan.dims[0] = 1;
    plan.in_stride[0] = 1;
  }
  stride = 1;
  for (int i = plan.rank - 1; i >= 0; --i) {
    plan.out_stride[i] = stride;
    stride *= plan.dims[i];
  }
  return plan;
}

// Input and output offsets of combination `index` over the plan axes in `axes` (row-major).
void Offsets(const TransposePlan &plan, const int *axes, int count, int64_t index,
             int64_t *in_offset, int64_t *out_offset) {
  *in_offset = *out_offset = 0;
  for (int k = count - 1; k >= 0; --k) {
    const int axis = axes[k];
    const int64_t coord = index % plan.dims[axis];
    index /= plan.dims[axis];
    *in_offset += coord * plan.in_stride[axis];
    *out_offset += coord * plan.out_stride[axis];
  }
}

// Innermost output axis contiguous in the input: copy rows.
void CopyRows(const TransposePlan &plan, const float *in, float *out, ThreadPool *pool) {
  const int inner = plan.rank - 1;
  const int64_t width = plan.dims[inner];
  int axes[kMaxRank];
  int64_t num_rows = 1;
  for (int i = 0; i < inner; ++i) {
    axes[i] = i;
    num_rows *= plan.dims[i];
  }
  const int64_t rows_per_task = std::max<int64_t>(1, kTaskElements / width);
  RunTasks(pool, (num_rows + rows_per_task - 1) / rows_per_task, [&](int64_t task) {
    const int64_t first = task * rows_per_task;
    const int64_t last = std::min(num_rows, first + rows_per_task);
    for (int64_t row = first; row < last; ++row) {
      int64_t in_offset, out_offset;
      Offsets(plan, axes, inner, row, &in_offset, &out_offset);
      std::memcpy(out + out_offset, in + in_offset, static_cast<size_t>(width) * sizeof(float));
    }
  });
}

// The (p = input-innermost, q = output-innermost) plane in tiles, once per other-axes index.
void TransposePlanes(const TransposePlan &plan, const float *in, float *out, ThreadPool *pool) {
  const int q = plan.rank - 1;
  int p = 0;
  while (plan.in_stride[p] != 1)
    ++p;
  int axes[kMaxRank], count = 0;
  int64_t num_planes = 1;
  for (int i = 0; i < plan.rank; ++i)
    if (i != p && i != q) {
      axes[count++] = i;
      num_planes *= plan.dims[i];
    }
  const int64_t size_p = plan.dims[p], size_q = plan.dims[q];
  const int64_t strips = (size_p + kTile - 1) / kTile;
  auto *plane_fn = HWY_DYNAMIC_DISPATCH(TransposePlane);
  RunTasks(pool, num_planes * strips, [&](int64_t task) {
    int64_t in_offset, out_offset;
    Offsets(plan, axes, count, task / strips, &in_offset, &out_offset);
    const int64_t a = (task % strips) * kTile;
    const int64_t rows = std::min(kTile, size_p - a);
    for (int64_t b = 0; b < size_q; b += kTile)
      plane_fn(in + in_offset + b * plan.in_stride[q] + a, plan.in_stride[q],
               out + out_offset + a * plan.out_stride[p] + b, plan.out_stride[p], rows,
               std::min(kTile, size_q - b));
  });
}

} // namespace

Status ValidatePermutation(int rank, const int *perm) {
  if (rank < 0 || rank > kMaxRank)
    return InvalidArgument("transpose: rank " + std::to_string(rank) + " is outside [0, 6]");
  bool seen[kMaxRank] = {};
  for (int i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= rank)
      return InvalidArgument("transpose: permutation entry " + std::to_string(i) + " is " +
                             std::to_string(perm[i]) + ", outside [0, " + std::to_string(rank) +
                             ")");
    if (seen[perm[i]])
      return InvalidArgument("transpose: axis " + std::to_string(perm[i]) +
                             " appears twice in the permutation");
    seen[perm[i]] = true;
  }
  return Status::Ok();
}

Shape TransposedShape(const Shape &in_shape, const int *perm) {
  Shape out;
  out.rank = in_shape.rank;
  for (int i = 0; i < in_shape.rank; ++i)
    out.dims[i] = in_shape.dims[perm[i]];
  return out;
}

void InversePermutation(int rank, const int *perm, int *inverse) {
  for (int i = 0; i < rank; ++i)
    inverse[perm[i]] = i;
}

Status Transpose(const Shape &in_shape, const float *in, const int *perm, float *out,
                 ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidatePermutation(in_shape.rank, perm));
  for (int axis = 0; axis < in_shape.rank; ++axis)
    if (in_shape.dims[axis] < 0)
      return InvalidArgument("transpose: dimension " + std::to_string(axis) + " is negative");
  if (in_shape.NumElements() == 0)
    return Status::Ok();
  const TransposePlan plan = MakePlan(in_shape, perm);
  if (plan.in_stride[plan.rank - 1] == 1)
    CopyRows(plan, in, out, pool);
  else
    TransposePlanes(plan, in, out, pool);
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
