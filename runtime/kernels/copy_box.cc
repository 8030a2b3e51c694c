// Box copies: axis merging, the run loop per target and the task split.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/copy_box.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

HWY_NOINLINE void CopyRun(const float *src, float *dst, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes)
    hn::StoreU(hn::LoadU(d, src + i), d, dst + i);
  if (i < n)
    StorePartial(d, LoadPartial(d, src + i, n - i), dst + i, n - i);
}

HWY_NOINLINE void FillRun(float *x, float value, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto v = hn::Set(d, value);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes)
    hn::StoreU(v, d, x + i);
  if (i < n)
    StorePartial(d, v, x + i, n - i);
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/copy_box.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(CopyRun);
HWY_EXPORT(FillRun);

namespace {
constexpr int64_t kTaskElements = 16 * 1024;
} // namespace

Status ValidateCopyBox(const Shape &src_shape, const int64_t *src_start, const Shape &dst_shape,
                       const int64_t *dst_start, const int64_t *extent) {
  if (src_shape.rank != dst_shape.rank || src_shape.rank < 0 || src_shape.rank > kMaxRank)
    return InvalidArgument("copy box: ranks " + std::to_string(src_shape.rank) + " and " +
                           std::to_string(dst_shape.rank) +
                           " must be equal and <= " + std::to_string(kMaxRank));
  for (int a = 0; a < src_shape.rank; ++a) {
    const std::string axis = "axis " + std::to_string(a) + ": ";
    if (src_shape.dims[a] < 0 || dst_shape.dims[a] < 0 || extent[a] < 0 || src_start[a] < 0 ||
        dst_start[a] < 0)
      return InvalidArgument("copy box: " + axis + "negative size or start");
    if (src_start[a] > src_shape.dims[a] - extent[a] ||
        dst_start[a] > dst_shape.dims[a] - extent[a])
      return InvalidArgument("copy box: " + axis + "the box [" + std::to_string(src_start[a]) +
                             ", +" + std::to_string(extent[a]) + ") -> [" +
                             std::to_string(dst_start[a]) + ", +" + std::to_string(extent[a]) +
                             ") does not fit sizes " + std::to_string(src_shape.dims[a]) + " -> " +
                             std::to_string(dst_shape.dims[a]));
  }
  return Status::Ok();
}

Status CopyBox(const Shape &src_shape, const float *src, const int64_t *src_start,
               const Shape &dst_shape, float *dst, const int64_t *dst_start, const int64_t *extent,
               ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateCopyBox(src_shape, src_start, dst_shape, dst_start, extent));
  int rank = src_shape.rank;
  int64_t total = 1;
  for (int a = 0; a < rank; ++a)
    total *= extent[a];
  if (total == 0)
    return Status::Ok();
  if (src == nullptr || dst == nullptr)
    return InvalidArgument("copy box: null source or destination");
  // Row-major strides, then the merged view: the innermost run grows over trailing axes the box
  // spans completely in both tensors.
  int64_t src_stride[kMaxRank], dst_stride[kMaxRank];
  int64_t s = 1, t = 1;
  for (int a = rank - 1; a >= 0; --a) {
    src_stride[a] = s;
    dst_stride[a] = t;
    s *= src_shape.dims[a];
    t *= dst_shape.dims[a];
  }
  int64_t src_base = 0, dst_base = 0;
  for (int a = 0; a < rank; ++a) {
    src_base += src_start[a] * src_stride[a];
    dst_base += dst_start[a] * dst_stride[a];
  }
  int64_t run = 1;
  int inner = rank; // axes [inner, rank) are merged into the run
  while (inner > 0) {
    const int a = inner - 1;
    run *= extent[a];
    --inner;
    if (extent[a] != src_shape.dims[a] || extent[a] != dst_shape.dims[a])
      break; // the run cannot extend past a partially covered axis
  }
  const int64_t runs = total / run;
  const int64_t runs_per_task = std::max<int64_t>(1, kTaskElements / run);
  auto *copy = HWY_DYNAMIC_DISPATCH(CopyRun);
  RunTasks(pool, (runs + runs_per_task - 1) / runs_per_task, [&](int64_t task) {
    const int64_t first = task * runs_per_task;
    const int64_t last = std::min(runs, first + runs_per_task);
    for (int64_t r = first; r < last; ++r) {
      int64_t rest = r, so = src_base, dof = dst_base;
      for (int a = inner - 1; a >= 0; --a) {
        const int64_t coord = rest % extent[a];
        rest /= extent[a];
        so += coord * src_stride[a];
        dof += coord * dst_stride[a];
      }
      copy(src + so, dst + dof, run);
    }
  });
  return Status::Ok();
}

void Fill(float *x, int64_t n, float value, ThreadPool *pool) {
  if (n <= 0)
    return;
  auto *fill = HWY_DYNAMIC_DISPATCH(FillRun);
  RunTasks(pool, (n + kTaskElements - 1) / kTaskElements, [&](int64_t task) {
    const int64_t begin = task * kTaskElements;
    fill(x + begin, value, std::min(kTaskElements, n - begin));
  });
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
