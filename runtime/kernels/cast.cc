// Casts: per-target saturating f32 -> i32 and rounding i32 -> f32 rows, and the task split.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/cast.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/cast.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The largest float below 2^31 (2^31 - 128): clamping to it keeps every conversion in range.
constexpr float kBelowTwo31 = 2147483520.0f;

HWY_NOINLINE void CastF32ToI32Row(const float *x, int32_t *y, int64_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto low = hn::Set(df, -2147483648.0f), high = hn::Set(df, kBelowTwo31);
  const auto two31 = hn::Set(df, 2147483648.0f);
  const auto int_max = hn::Set(di, std::numeric_limits<int32_t>::max());
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::LoadU(df, x + i);
    const auto finite = hn::IfThenZeroElse(hn::IsNaN(v), v); // NaN -> 0
    const auto clamped = hn::Min(hn::Max(finite, low), high);
    const auto converted = hn::ConvertTo(di, clamped);
    const auto overflow = hn::RebindMask(di, hn::Ge(finite, two31));
    hn::StoreU(hn::IfThenElse(overflow, int_max, converted), di, y + i);
  }
  for (; i < n; ++i)
    y[i] = CastF32ToI32Reference(x[i]);
}

HWY_NOINLINE void CastI32ToF32Row(const int32_t *x, float *y, int64_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes)
    hn::StoreU(hn::ConvertTo(df, hn::LoadU(di, x + i)), df, y + i);
  for (; i < n; ++i)
    y[i] = static_cast<float>(x[i]);
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>

#include "runtime/core/thread_pool.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(CastF32ToI32Row);
HWY_EXPORT(CastI32ToF32Row);

namespace {
constexpr int64_t kChunk = 16 * 1024;

template <typename Fn> void RunFlat(int64_t n, ThreadPool *pool, const Fn &fn) {
  RunTasks(pool, (n + kChunk - 1) / kChunk, [&](int64_t task) {
    const int64_t begin = task * kChunk;
    fn(begin, std::min(kChunk, n - begin));
  });
}
} // namespace

void CastF32ToI32(const float *x, int32_t *y, int64_t n, ThreadPool *pool) {
  auto *fn = HWY_DYNAMIC_DISPATCH(CastF32ToI32Row);
  RunFlat(n, pool, [&](int64_t begin, int64_t count) { fn(x + begin, y + begin, count); });
}

void CastI32ToF32(const int32_t *x, float *y, int64_t n, ThreadPool *pool) {
  auto *fn = HWY_DYNAMIC_DISPATCH(CastI32ToF32Row);
  RunFlat(n, pool, [&](int64_t begin, int64_t count) { fn(x + begin, y + begin, count); });
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
