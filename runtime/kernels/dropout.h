// Dropout with a counter-based random generator: no mask is ever stored.
//
// Generator: Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as
// 1, 2, 3", SC'11). It maps a 128-bit counter and a 64-bit key to 128 random bits with ten
// rounds of two 32x32->64-bit multiplies, so any element's draw is computed directly from its
// index: a recomputed forward (rematerialization) and the backward regenerate exactly the mask
// the forward used, bit for bit, on any thread count and any SIMD target.
//
// Stream layout: a DropoutStream is (seed, step, value). Element i of the tensor uses word
// i % 4 of Philox4x32_10(counter = {lo32(i / 4), hi32(i / 4), step, value},
//                          key     = {lo32(seed), hi32(seed)}).
// Its uniform is u = (word >> 8) * 2^-24 in [0, 1) (24 bits: exactly representable as a float),
// and the element is kept iff u >= p. Kept elements are scaled by 1 / (1 - p) (computed once in
// f32), dropped ones are 0; p = 1 drops everything (output all zeros).
//
// Algorithm (Dropout): the tensor is cut into tasks of whole 4-element blocks; per SIMD step a
// vector of N consecutive block counters runs the ten Philox rounds lane-parallel (the high
// halves of the products from MulEven on even and shifted odd lanes), the four output words are
// interleaved back to element order, turned into uniforms, compared with p and applied to x.
// Complexity: O(n) time, about 10 multiply rounds per 4 elements; no extra memory.
#ifndef TIDEMARK_RUNTIME_KERNELS_DROPOUT_H_
#define TIDEMARK_RUNTIME_KERNELS_DROPOUT_H_

#include <array>
#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

// Philox4x32 round constants (multipliers and Weyl key increments), from the paper.
inline constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
inline constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
inline constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
inline constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;

// The scalar reference Philox4x32-10: 10 rounds, the key bumped between rounds.
constexpr std::array<uint32_t, 4> Philox4x32_10(std::array<uint32_t, 4> counter,
                                                std::array<uint32_t, 2> key) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += kPhiloxW0;
      key[1] += kPhiloxW1;
    }
    const uint64_t p0 = uint64_t{kPhiloxM0} * counter[0];
    const uint64_t p1 = uint64_t{kPhiloxM1} * counter[2];
    counter = {static_cast<uint32_t>(p1 >> 32) ^ counter[1] ^ key[0], static_cast<uint32_t>(p1),
               static_cast<uint32_t>(p0 >> 32) ^ counter[3] ^ key[1], static_cast<uint32_t>(p0)};
  }
  return counter;
}

// Which random stream a dropout site draws from: the plan's seed, the training step and the
// site's value id (so two dropout ops of one step never share a mask).
struct DropoutStream {
  uint64_t seed = 0;
  uint32_t step = 0;
  uint32_t value = 0;
};

// The 32-bit draw of element `index` (see the stream layout above).
inline uint32_t DropoutDraw(const DropoutStream &stream, int64_t index) {
  const uint64_t block = static_cast<uint64_t>(index) / 4;
  const std::array<uint32_t, 4> words = Philox4x32_10(
      {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), stream.step, stream.value},
      {static_cast<uint32_t>(stream.seed), static_cast<uint32_t>(stream.seed >> 32)});
  return words[static_cast<uint64_t>(index) % 4];
}

// The uniform in [0, 1) of a draw: its top 24 bits times 2^-24 (exact in f32).
inline float DropoutUniform(uint32_t draw) {
  return static_cast<float>(draw >> 8) * (1.0f / 16777216.0f);
}

// The factor kept elements are multiplied by: 1 / (1 - p) in f32, 0 when p == 1.
inline float DropoutScale(float p) { return p >= 1.0f ? 0.0f : 1.0f / (1.0f - p); }

// Checks that p is in [0, 1] (not NaN) and n >= 0.
Status ValidateDropout(float p, int64_t n);

// y[i] = DropoutUniform(draw(i)) >= p ? x[i] * DropoutScale(p) : 0 for i in [0, n). `y` may
// equal `x` (in place) but must not partly overlap it. The backward of dropout is this same
// function applied to dy with the same stream and p. Bit-identical to DropoutReference on every
// target and thread count. `pool` may be nullptr. Errors: InvalidArgument (nothing written).
Status Dropout(const DropoutStream &stream, float p, const float *x, float *y, int64_t n,
               ThreadPool *pool);

// Dropout of elements [first, first + count) of a larger tensor, x[j] and y[j] being element
// first + j: the same values Dropout gives those elements (for chunked callers). Errors:
// InvalidArgument also for first < 0 or first + count overflowing.
Status DropoutAt(const DropoutStream &stream, float p, const float *x, float *y, int64_t first,
                 int64_t count, ThreadPool *pool);

// The scalar reference of Dropout (used by the tests and the interpreter's semantics).
inline Status DropoutReference(const DropoutStream &stream, float p, const float *x, float *y,
                               int64_t n) {
  TIDEMARK_RETURN_IF_ERROR(ValidateDropout(p, n));
  const float scale = DropoutScale(p);
  for (int64_t i = 0; i < n; ++i)
    y[i] = DropoutUniform(DropoutDraw(stream, i)) >= p ? x[i] * scale : 0.0f;
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_DROPOUT_H_
