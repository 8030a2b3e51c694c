// RoPE: per-target row rotation, the cos/sin table and the task split.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/rope.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

// Rows [first, first + count) of the [outer * positions * inner, head_dim] view.
HWY_NOINLINE void RopeRows(const float *table, int64_t positions, int64_t inner, int64_t head_dim,
                           int64_t rot_dim, bool inverse, const float *x, float *y, int64_t first,
                           int64_t count) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t half = rot_dim / 2;
  const float *sin_table = table + positions * half;
  for (int64_t r = first; r < first + count; ++r) {
    const int64_t t = (r / inner) % positions;
    const float *c = table + t * half;
    const float *s = sin_table + t * half;
    const float *xr = x + r * head_dim;
    float *yr = y + r * head_dim;
    for (int64_t i = 0; i < half; i += lanes) {
      const int64_t n = half - i;
      const auto a = LoadPartial(d, xr + i, n);
      const auto b = LoadPartial(d, xr + half + i, n);
      const auto vc = LoadPartial(d, c + i, n);
      auto vs = LoadPartial(d, s + i, n);
      if (inverse)
        vs = hn::Neg(vs);
      StorePartial(d, hn::NegMulAdd(b, vs, hn::Mul(a, vc)), yr + i, n);     // a c - b s
      StorePartial(d, hn::MulAdd(a, vs, hn::Mul(b, vc)), yr + half + i, n); // a s + b c
    }
    if (yr != xr)
      for (int64_t j = rot_dim; j < head_dim; j += lanes)
        StorePartial(d, LoadPartial(d, xr + j, head_dim - j), yr + j, head_dim - j);
  }
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/rope.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(RopeRows);

namespace {
constexpr int64_t kTaskElements = 16 * 1024;
} // namespace

Status ValidateRope(const RopeShape &s) {
  if (s.outer < 0 || s.positions < 0 || s.inner < 0 || s.head_dim < 0 || s.rot_dim < 0)
    return InvalidArgument("rope: negative size");
  if (s.rot_dim % 2 != 0 || s.rot_dim > s.head_dim || (s.head_dim > 0 && s.rot_dim == 0))
    return InvalidArgument("rope: the rotated dimension " + std::to_string(s.rot_dim) +
                           " must be even and in (0, head_dim = " + std::to_string(s.head_dim) +
                           "]");
  return Status::Ok();
}

Status RopeTable(int64_t positions, int64_t rot_dim, double base, int64_t position_offset,
                 float *table) {
  if (positions < 0 || rot_dim <= 0 || rot_dim % 2 != 0)
    return InvalidArgument("rope table: positions must be >= 0 and rot_dim even and > 0, got " +
                           std::to_string(positions) + " and " + std::to_string(rot_dim));
  if (!(base > 0.0) || !std::isfinite(base))
    return InvalidArgument("rope table: the base must be finite and > 0, got " +
                           std::to_string(base));
  if (position_offset < 0)
    return InvalidArgument("rope table: negative position offset");
  const int64_t half = rot_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    const double frequency =
        std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(rot_dim));
    for (int64_t t = 0; t < positions; ++t) {
      const double angle = static_cast<double>(position_offset + t) * frequency;
      table[t * half + i] = static_cast<float>(std::cos(angle));
      table[positions * half + t * half + i] = static_cast<float>(std::sin(angle));
    }
  }
  return Status::Ok();
}

Status Rope(const RopeShape &shape, const float *table, const float *x, float *y, bool inverse,
            ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateRope(shape));
  const int64_t rows = shape.outer * shape.positions * shape.inner;
  if (rows == 0 || shape.head_dim == 0)
    return Status::Ok();
  if (table == nullptr || x == nullptr || y == nullptr)
    return InvalidArgument("rope: null table, input or output");
  const int64_t rows_per_task = std::max<int64_t>(1, kTaskElements / shape.head_dim);
  auto *rows_fn = HWY_DYNAMIC_DISPATCH(RopeRows);
  RunTasks(pool, (rows + rows_per_task - 1) / rows_per_task, [&](int64_t task) {
    const int64_t first = task * rows_per_task;
    rows_fn(table, shape.positions, shape.inner, shape.head_dim, shape.rot_dim, inverse, x, y,
            first, std::min(rows_per_task, rows - first));
  });
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
