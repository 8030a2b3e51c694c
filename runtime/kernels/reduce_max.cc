// ReduceMax: per-target running maxima with a NaN mask, the first-maximum scans, the task split.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/reduce_max.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include <algorithm>

#include "hwy/highway.h"
#include "runtime/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

// j* of a line of `len` elements `stride` apart (the header's rule), by a scalar scan.
HWY_INLINE int64_t FirstMaxIndex(const float *line, int64_t len, int64_t stride) {
  int64_t best = 0;
  for (int64_t j = 0; j < len; ++j) {
    const float v = line[j * stride];
    if (v != v) // NaN
      return j;
    if (v > line[best * stride])
      best = j;
  }
  return best;
}

// j* of a contiguous line: the SIMD maximum (with a NaN mask) and one scan for its first
// occurrence. Only a NaN or a zero maximum needs the full rule; otherwise the first element
// equal to the maximum is j*.
HWY_INLINE int64_t ContiguousMaxIndex(const float *x, int64_t len) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto m0 = hn::Set(d, x[0]), m1 = m0;
  auto nan = hn::Lt(m0, m0); // all false
  int64_t i = 0;
  // Two accumulators hide the max latency (about 4 cycles) behind the loads.
  for (; i + 2 * lanes <= len; i += 2 * lanes) {
    const auto v0 = hn::LoadU(d, x + i), v1 = hn::LoadU(d, x + i + lanes);
    nan = hn::Or(nan, hn::Or(hn::IsNaN(v0), hn::IsNaN(v1)));
    m0 = hn::Max(m0, v0);
    m1 = hn::Max(m1, v1);
  }
  float m = hn::GetLane(hn::MaxOfLanes(d, hn::Max(m0, m1)));
  bool any_nan = !hn::AllFalse(d, nan);
  for (; i < len; ++i) {
    any_nan = any_nan || x[i] != x[i];
    m = x[i] > m ? x[i] : m;
  }
  if (any_nan || m == 0.0f)
    return FirstMaxIndex(x, len, 1);
  int64_t j = 0;
  while (x[j] != m)
    ++j;
  return j;
}

// Outer blocks [first, first + count): out[o, k] = x[o, j*, k].
HWY_NOINLINE void ReduceMaxBlock(const float *x, int64_t len, int64_t inner, int64_t first,
                                 int64_t count, float *out) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t o = first; o < first + count; ++o) {
    const float *block = x + o * len * inner;
    float *dst = out + o * inner;
    if (inner == 1) {
      dst[0] = block[ContiguousMaxIndex(block, len)];
      continue;
    }
    int64_t k = 0;
    for (; k + lanes <= inner; k += lanes) {
      auto m = hn::LoadU(d, block + k);
      auto nan = hn::IsNaN(m);
      for (int64_t j = 1; j < len; ++j) {
        const auto v = hn::LoadU(d, block + j * inner + k);
        nan = hn::Or(nan, hn::IsNaN(v));
        m = hn::Max(m, v);
      }
      // Lanes whose maximum is NaN or zero take the scalar rule (payload and sign of zero).
      const auto special = hn::Or(nan, hn::Eq(m, hn::Zero(d)));
      hn::StoreU(m, d, dst + k);
      if (!hn::AllFalse(d, special))
        for (int64_t lane = 0; lane < lanes; ++lane)
          dst[k + lane] = block[FirstMaxIndex(block + k + lane, len, inner) * inner + k + lane];
    }
    for (; k < inner; ++k)
      dst[k] = block[FirstMaxIndex(block + k, len, inner) * inner + k];
  }
}

// Outer blocks [first, first + count) of the backward: clear dx, then dy at each j*.
HWY_NOINLINE void ReduceMaxGradBlock(const float *x, const float *dy, int64_t len, int64_t inner,
                                     int64_t first, int64_t count, float *dx) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  // Vertical scans keep the running best of up to kColumns lines on the stack.
  constexpr int64_t kColumns = 64;
  for (int64_t o = first; o < first + count; ++o) {
    const float *block = x + o * len * inner;
    float *grad = dx + o * len * inner;
    for (int64_t i = 0; i < len * inner; i += lanes)
      StorePartial(d, hn::Zero(d), grad + i, len * inner - i);
    if (inner == 1) {
      grad[ContiguousMaxIndex(block, len)] = dy[o];
      continue;
    }
    for (int64_t k0 = 0; k0 < inner; k0 += kColumns) {
      const int64_t width = std::min(kColumns, inner - k0);
      int64_t best[kColumns];
      bool done[kColumns];
      for (int64_t c = 0; c < width; ++c) {
        best[c] = 0;
        done[c] = block[k0 + c] != block[k0 + c]; // a NaN at j = 0
      }
      for (int64_t j = 1; j < len; ++j) {
        const float *row = block + j * inner + k0;
        for (int64_t c = 0; c < width; ++c) {
          if (done[c])
            continue;
          const float v = row[c];
          if (v != v) {
            best[c] = j;
            done[c] = true;
          } else if (v > block[best[c] * inner + k0 + c]) {
            best[c] = j;
          }
        }
      }
      for (int64_t c = 0; c < width; ++c)
        grad[best[c] * inner + k0 + c] = dy[o * inner + k0 + c];
    }
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
#include "runtime/kernels/reduce_max.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(ReduceMaxBlock);
HWY_EXPORT(ReduceMaxGradBlock);

namespace {
constexpr int64_t kTaskElements = 16 * 1024;
constexpr int64_t kMaxElements = int64_t{1} << 40;

int64_t BlocksPerTask(const ReduceMaxShape &s) {
  return std::max<int64_t>(1, kTaskElements / std::max<int64_t>(1, s.len * s.inner));
}
} // namespace

Status ValidateReduceMax(const ReduceMaxShape &s) {
  if (s.outer < 0 || s.inner < 0 || s.len < 1)
    return InvalidArgument("reduce max: need outer, inner >= 0 and a reduced length >= 1, got [" +
                           std::to_string(s.outer) + ", " + std::to_string(s.len) + ", " +
                           std::to_string(s.inner) + "]");
  if (s.inner > kMaxElements / s.len || (s.inner > 0 && s.outer > kMaxElements / (s.len * s.inner)))
    return InvalidArgument("reduce max: more than 2^40 elements");
  return Status::Ok();
}

Status ReduceMax(const ReduceMaxShape &s, const float *x, float *out, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateReduceMax(s));
  if (s.outer == 0 || s.inner == 0)
    return Status::Ok();
  const int64_t per_task = BlocksPerTask(s);
  auto *fn = HWY_DYNAMIC_DISPATCH(ReduceMaxBlock);
  RunTasks(pool, (s.outer + per_task - 1) / per_task, [&](int64_t task) {
    const int64_t first = task * per_task;
    fn(x, s.len, s.inner, first, std::min(per_task, s.outer - first), out);
  });
  return Status::Ok();
}

Status ReduceMaxGrad(const ReduceMaxShape &s, const float *x, const float *dy, float *dx,
                     ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateReduceMax(s));
  if (s.outer == 0 || s.inner == 0)
    return Status::Ok();
  const int64_t per_task = BlocksPerTask(s);
  auto *fn = HWY_DYNAMIC_DISPATCH(ReduceMaxGradBlock);
  RunTasks(pool, (s.outer + per_task - 1) / per_task, [&](int64_t task) {
    const int64_t first = task * per_task;
    fn(x, dy, s.len, s.inner, first, std::min(per_task, s.outer - first), dx);
  });
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
