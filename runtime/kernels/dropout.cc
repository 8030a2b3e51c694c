// Dropout: lane-parallel Philox4x32-10 per Highway target, the task split and validation.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/dropout.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/dropout.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET != HWY_SCALAR
// lo and hi 32-bit halves of a[i] * m for every u32 lane. MulEven multiplies the even lanes
// into u64 products; the odd lanes are shifted down into even position first.
template <class D>
HWY_INLINE void MulHiLo(D d, hn::Vec<D> a, hn::Vec<D> m, hn::Vec<D> &hi, hn::Vec<D> &lo) {
  const hn::RepartitionToWide<D> dw;
  const auto even = hn::MulEven(a, m);
  const auto odd = hn::MulEven(hn::BitCast(d, hn::ShiftRight<32>(hn::BitCast(dw, a))), m);
  lo = hn::Mul(a, m);
  hi = hn::OddEven(hn::BitCast(d, odd), hn::BitCast(d, hn::ShiftRight<32>(even)));
}

#endif

// Elements [first, first + count) of the stream, x[j] and y[j] being element first + j. A scalar
// prologue reaches a 4-element block boundary, SIMD groups follow, and the rest (fewer than one
// group) goes through the scalar reference's per-element draw.
HWY_NOINLINE void DropoutRange(const DropoutStream &stream, float p, const float *x, float *y,
                               int64_t first, int64_t count) {
#if HWY_TARGET == HWY_SCALAR
  // One lane has no u32 x u32 -> u64 product to widen into: the reference loop is this target.
  const float scale = DropoutScale(p);
  for (int64_t j = 0; j < count; ++j)
    y[j] = DropoutUniform(DropoutDraw(stream, first + j)) >= p ? x[j] * scale : 0.0f;
#else
  const hn::ScalableTag<uint32_t> du;
  const hn::Rebind<int32_t, decltype(du)> di;
  const hn::Rebind<float, decltype(du)> df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(du));
  const int64_t group = 4 * lanes; // elements per SIMD step: `lanes` Philox blocks of 4
  const float scale = DropoutScale(p);
  const auto vp = hn::Set(df, p);
  const auto vscale = hn::Set(df, scale);
  const auto to_unit = hn::Set(df, 1.0f / 16777216.0f);
  const auto m0 = hn::Set(du, kPhiloxM0);
  const auto m1 = hn::Set(du, kPhiloxM1);
  const auto step = hn::Set(du, stream.step);
  const auto value = hn::Set(du, stream.value);
  alignas(64) uint32_t draws[4 * HWY_MAX_BYTES / sizeof(uint32_t)];

  int64_t j = 0; // position within the range; element index first + j
  for (; j < count && (first + j) % 4 != 0; ++j)
    y[j] = DropoutUniform(DropoutDraw(stream, first + j)) >= p ? x[j] * scale : 0.0f;
  for (; j + group <= count; j += group) {
    const uint64_t block = static_cast<uint64_t>(first + j) / 4;
    const uint32_t block_lo = static_cast<uint32_t>(block);
    if (block_lo > UINT32_MAX - static_cast<uint32_t>(lanes - 1)) {
      // The lanes' counters would carry into the high word (once per 2^34 elements): scalar.
      for (int64_t e = j; e < j + group; ++e)
        y[e] = DropoutUniform(DropoutDraw(stream, first + e)) >= p ? x[e] * scale : 0.0f;
      continue;
    }
    auto c0 = hn::Iota(du, block_lo);
    auto c1 = hn::Set(du, static_cast<uint32_t>(block >> 32));
    auto c2 = step;
    auto c3 = value;
    uint32_t k0 = static_cast<uint32_t>(stream.seed);
    uint32_t k1 = static_cast<uint32_t>(stream.seed >> 32);
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        k0 += kPhiloxW0;
        k1 += kPhiloxW1;
      }
      hn::Vec<decltype(du)> hi0, lo0, hi1, lo1;
      MulHiLo(du, c0, m0, hi0, lo0);
      MulHiLo(du, c2, m1, hi1, lo1);
      const auto n0 = hn::Xor(hn::Xor(hi1, c1), hn::Set(du, k0));
      const auto n2 = hn::Xor(hn::Xor(hi0, c3), hn::Set(du, k1));
      c0 = n0;
      c1 = lo1;
      c2 = n2;
      c3 = lo0;
    }
    hn::StoreInterleaved4(c0, c1, c2, c3, du, draws); // element order: block-major, word-minor
    for (int64_t part = 0; part < 4; ++part) {
      const auto bits = hn::ShiftRight<8>(hn::Load(du, draws + part * lanes));
      const auto u = hn::Mul(hn::ConvertTo(df, hn::BitCast(di, bits)), to_unit);
      const auto kept = hn::Mul(hn::LoadU(df, x + j + part * lanes), vscale);
      hn::StoreU(hn::IfThenElseZero(hn::Ge(u, vp), kept), df, y + j + part * lanes);
    }
  }
  for (; j < count; ++j)
    y[j] = DropoutUniform(DropoutDraw(stream, first + j)) >= p ? x[j] * scale : 0.0f;
#endif
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cstdint>
#include <string>

#include "runtime/core/thread_pool.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(DropoutRange);

namespace {
// Elements per task: a multiple of every group size (4 blocks x up to 16 lanes), large enough to
// amortize the hand-off, small enough that activations split into many tasks.
constexpr int64_t kTaskElements = 16 * 1024;
} // namespace

Status ValidateDropout(float p, int64_t n) {
  if (!(p >= 0.0f && p <= 1.0f))
    return InvalidArgument("dropout: the probability must be in [0, 1], got " + std::to_string(p));
  if (n < 0)
    return InvalidArgument("dropout: negative element count " + std::to_string(n));
  return Status::Ok();
}

Status DropoutAt(const DropoutStream &stream, float p, const float *x, float *y, int64_t first,
                 int64_t count, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateDropout(p, count));
  if (first < 0 || first > INT64_MAX - count)
    return InvalidArgument("dropout: the element range [" + std::to_string(first) + ", " +
                           std::to_string(first) + " + " + std::to_string(count) +
                           ") is out of range");
  if (count > 0 && (x == nullptr || y == nullptr))
    return InvalidArgument("dropout: null input or output");
  const int64_t tasks = (count + kTaskElements - 1) / kTaskElements;
  RunTasks(pool, tasks, [&](int64_t task) {
    const int64_t begin = task * kTaskElements;
    const int64_t size = count - begin < kTaskElements ? count - begin : kTaskElements;
    HWY_DYNAMIC_DISPATCH(DropoutRange)(stream, p, x + begin, y + begin, first + begin, size);
  });
  return Status::Ok();
}

Status Dropout(const DropoutStream &stream, float p, const float *x, float *y, int64_t n,
               ThreadPool *pool) {
  return DropoutAt(stream, p, x, y, 0, n, pool);
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
