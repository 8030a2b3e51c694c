// Attention SIMD building blocks (per Highway target): the register-blocked micro-kernel, packing,
// masked softmax pieces and row dot products shared by the chunked and the naive kernels.
//
// The micro-kernel computes C (+)= A B where A is read one scalar at a time (broadcast) through
// two strides, so the same code serves A, A^T and tensors read in place, and B is a padded row
// major operand read with full vectors. Every element of C is a chain of fused multiply-adds over
// the depth in ascending order, whatever the tiling, so results do not depend on tile shapes.

// Per-target include guard (Highway's foreach_target re-includes this file once per target).
#if defined(TIDEMARK_RUNTIME_KERNELS_ATTENTION_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TIDEMARK_RUNTIME_KERNELS_ATTENTION_INL_H_
#undef TIDEMARK_RUNTIME_KERNELS_ATTENTION_INL_H_
#else
#define TIDEMARK_RUNTIME_KERNELS_ATTENTION_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Register blocking: a tile is kTileRows rows of C by kTileVecs vectors. 4 x 4 accumulators plus
// 4 B vectors and one broadcast use 21 of AVX-512's 32 registers and issue 16 FMAs per 8 loads,
// enough to hide the 4-cycle FMA latency; 16-register targets use 4 x 2 to avoid spills.
constexpr size_t kTileRows = 4;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr size_t kTileVecs = 4;
#else
constexpr size_t kTileVecs = 2;
#endif
// Depth blocking keeps the B panel (256 rows x 4 vectors = 64 KiB on AVX-512) in L2 while every
// row tile of A streams past it (only the naive kernel has depths above one chunk).
constexpr size_t kDepthBlock = 256;

// A[r][k] = data[r * row_step + k * depth_step].
struct ScalarOperand {
  const float *data;
  size_t row_step, depth_step;
};
// B[k][c] = data[k * stride + c]; whole vectors past the last column must be readable.
struct VectorOperand {
  const float *data;
  size_t stride;
};

// Partial vectors go through a stack buffer: Highway 1.0.3's MaskedLoad/BlendedStore read and
// write the whole vector on SSE4 targets, which would touch memory past a tensor's end or race
// with the thread that owns the next row.
HWY_INLINE VF LoadPartial(DF d, const float *HWY_RESTRICT p, size_t count) {
  HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(float)] = {};
  std::memcpy(buffer, p, count * sizeof(float));
  return hn::Load(d, buffer);
}
HWY_INLINE void StorePartial(DF d, VF v, float *HWY_RESTRICT p, size_t count) {
  HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(v, d, buffer);
  std::memcpy(p, buffer, count * sizeof(float));
}
HWY_INLINE VF LoadLanes(DF d, const float *HWY_RESTRICT p, size_t count) {
  return count == hn::Lanes(d) ? hn::LoadU(d, p) : LoadPartial(d, p, count);
}
HWY_INLINE void StoreLanes(DF d, VF v, float *HWY_RESTRICT p, size_t count) {
  if (count == hn::Lanes(d))
    hn::StoreU(v, d, p);
  else
    StorePartial(d, v, p, count);
}

// One kRows x kVecs tile of C (row stride ldc); the last vector of each row holds `last_lanes`.
template <size_t kRows, size_t kVecs>
HWY_INLINE void MulAddTile(const ScalarOperand &a, const VectorOperand &b, size_t depth,
                           float *HWY_RESTRICT c, size_t ldc, size_t last_lanes, bool zero_init) {
  const DF d;
  const size_t lanes = hn::Lanes(d);
  VF acc[kRows][kVecs];
  for (size_t r = 0; r < kRows; ++r)
    for (size_t v = 0; v < kVecs; ++v)
      acc[r][v] = zero_init
                      ? hn::Zero(d)
                      : LoadLanes(d, c + r * ldc + v * lanes, v + 1 == kVecs ? last_lanes : lanes);
  const float *HWY_RESTRICT a_ptr = a.data;
  const float *HWY_RESTRICT b_ptr = b.data;
  for (size_t k = 0; k < depth; ++k) {
    VF b_vec[kVecs];
    for (size_t v = 0; v < kVecs; ++v)
      b_vec[v] = hn::LoadU(d, b_ptr + v * lanes);
    for (size_t r = 0; r < kRows; ++r) {
      const VF a_vec = hn::Set(d, a_ptr[r * a.row_step]);
      for (size_t v = 0; v < kVecs; ++v)
        acc[r][v] = hn::MulAdd(a_vec, b_vec[v], acc[r][v]);
    }
    a_ptr += a.depth_step;
    b_ptr += b.stride;
  }
  for (size_t r = 0; r < kRows; ++r)
    for (size_t v = 0; v < kVecs; ++v)
      StoreLanes(d, acc[r][v], c + r * ldc + v * lanes, v + 1 == kVecs ? last_lanes : lanes);
}

// All row tiles of one column panel (kVecs vectors starting at column `col`).
template <size_t kVecs>
HWY_INLINE void MulAddPanel(const ScalarOperand &a, const VectorOperand &b, size_t depth, float *c,
                            size_t ldc, size_t rows, size_t col, size_t last_lanes,
                            bool zero_init) {
  const VectorOperand b_panel{b.data + col, b.stride};
  size_t r = 0;
  for (; r + kTileRows <= rows; r += kTileRows) {
    const ScalarOperand a_rows{a.data + r * a.row_step, a.row_step, a.depth_step};
    MulAddTile<kTileRows, kVecs>(a_rows, b_panel, depth, c + r * ldc + col, ldc, last_lanes,
                                 zero_init);
  }
  for (; r < rows; ++r) {
    const ScalarOperand a_row{a.data + r * a.row_step, a.row_step, a.depth_step};
    MulAddTile<1, kVecs>(a_row, b_panel, depth, c + r * ldc + col, ldc, last_lanes, zero_init);
  }
}

// C[rows x cols] = (zero_init ? 0 : C) + A[rows x depth] B[depth x cols].
// Cost: rows * cols * depth FMAs; column panels outermost so one B panel serves all row tiles.
HWY_NOINLINE void MatMulAdd(const ScalarOperand &a, const VectorOperand &b, float *c, size_t ldc,
                            size_t rows, size_t cols, size_t depth, bool zero_init) {
  const DF d;
  const size_t lanes = hn::Lanes(d);
  const size_t num_vecs = (cols + lanes - 1) / lanes;
  if (rows == 0 || num_vecs == 0)
    return;
  const size_t last_lanes = cols - (num_vecs - 1) * lanes;
  for (size_t k0 = 0; k0 == 0 || k0 < depth; k0 += kDepthBlock) {
    const size_t block = std::min(kDepthBlock, depth - k0);
    const bool first = zero_init && k0 == 0;
    const ScalarOperand a_block{a.data + k0 * a.depth_step, a.row_step, a.depth_step};
    const VectorOperand b_block{b.data + k0 * b.stride, b.stride};
    size_t v = 0;
    for (; v + kTileVecs <= num_vecs; v += kTileVecs) {
      const size_t tail = v + kTileVecs == num_vecs ? last_lanes : lanes;
      MulAddPanel<kTileVecs>(a_block, b_block, block, c, ldc, rows, v * lanes, tail, first);
    }
    for (; v < num_vecs; ++v) {
      const size_t tail = v + 1 == num_vecs ? last_lanes : lanes;
      MulAddPanel<1>(a_block, b_block, block, c, ldc, rows, v * lanes, tail, first);
    }
  }
}

// dst[c][r] = src[r * src_stride + c] for r < rows, c < cols; columns rows..dst_stride are zero.
// Scalar: packing is O(rows * cols) once per chunk against O(rows * cols * chunk) FMAs.
HWY_INLINE void TransposeToPadded(const float *HWY_RESTRICT src, size_t src_stride, size_t rows,
                                  size_t cols, float *HWY_RESTRICT dst, size_t dst_stride) {
  for (size_t c = 0; c < cols; ++c) {
    float *HWY_RESTRICT out = dst + c * dst_stride;
    for (size_t r = 0; r < rows; ++r)
      out[r] = src[r * src_stride + c];
    std::fill(out + rows, out + dst_stride, 0.0f);
  }
}

// dst rows (stride dst_stride >= cols) = src rows of width cols, zero padded.
HWY_INLINE void CopyToPadded(const float *HWY_RESTRICT src, size_t src_stride, size_t rows,
                             size_t cols, float *HWY_RESTRICT dst, size_t dst_stride) {
  for (size_t r = 0; r < rows; ++r) {
    std::memcpy(dst + r * dst_stride, src + r * src_stride, cols * sizeof(float));
    std::fill(dst + r * dst_stride + cols, dst + (r + 1) * dst_stride, 0.0f);
  }
}

// `count` rows of width d as a padded B operand: the tensor itself when d is already a multiple of
// the padding (d == d_pad), otherwise a zero-padded copy in `copy` (count x d_pad floats).
HWY_INLINE VectorOperand PaddedRows(const float *rows, size_t count, size_t d, size_t d_pad,
                                    float *copy) {
  if (d == d_pad)
    return VectorOperand{rows, d};
  CopyToPadded(rows, d, count, d, copy, d_pad);
  return VectorOperand{copy, d_pad};
}

// Sum of a[i] * b[i] over n floats (vector partial sums, then one horizontal sum).
HWY_INLINE float Dot(const float *HWY_RESTRICT a, const float *HWY_RESTRICT b, size_t n) {
  const DF d;
  const size_t lanes = hn::Lanes(d);
  VF sum = hn::Zero(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes)
    sum = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), sum);
  if (i < n)
    sum = hn::MulAdd(LoadPartial(d, a + i, n - i), LoadPartial(d, b + i, n - i), sum);
  return hn::GetLane(hn::SumOfLanes(d, sum));
}

// Of the vector covering row positions [lane0, lane0 + N), the lanes at or after `first_valid`.
HWY_INLINE hn::Mask<DF> LanesAtOrAfter(DF d, size_t lane0, size_t first_valid) {
  const size_t lanes = hn::Lanes(d);
  const size_t invalid = first_valid <= lane0 ? 0 : std::min(first_valid - lane0, lanes);
  return hn::Not(hn::FirstN(d, invalid));
}

// P = exp(scale * s - shift) on the first `valid` entries of a row of `len` (padded) floats,
// 0 elsewhere; in place. Shared by the backward in row form and the naive kernels.
HWY_INLINE void ExpRowShifted(float *HWY_RESTRICT row, size_t len, size_t valid, float scale,
                              float shift) {
  const DF d;
  const size_t lanes = hn::Lanes(d);
  const VF scale_vec = hn::Set(d, scale);
  const VF shift_vec = hn::Set(d, shift);
  for (size_t j = 0; j < len; j += lanes) {
    const size_t keep = valid <= j ? 0 : std::min(valid - j, lanes);
    const VF shifted = hn::Sub(hn::Mul(hn::Load(d, row + j), scale_vec), shift_vec);
    hn::Store(hn::IfThenElseZero(hn::FirstN(d, keep), hn::Exp(d, shifted)), d, row + j);
  }
}

// dS = (dP - delta) * P * scale, elementwise over `len` floats (dP in place). Masked entries have
// P = 0 and so dS = 0.
HWY_INLINE void SoftmaxGradRow(const float *HWY_RESTRICT p, float *HWY_RESTRICT dp, size_t len,
                               VF delta, VF scale) {
  const DF d;
  for (size_t j = 0; j < len; j += hn::Lanes(d)) {
    const VF centered = hn::Sub(hn::Load(d, dp + j), delta);
    hn::Store(hn::Mul(hn::Mul(centered, hn::Load(d, p + j)), scale), d, dp + j);
  }
}

// row[0, len) *= factor.
HWY_INLINE void ScaleRow(float *HWY_RESTRICT row, size_t len, float factor) {
  const DF d;
  const VF factor_vec = hn::Set(d, factor);
  for (size_t j = 0; j < len; j += hn::Lanes(d))
    hn::Store(hn::Mul(hn::Load(d, row + j), factor_vec), d, row + j);
}

// dst[0, n) = src[0, n) * factor; src is padded, dst is a tensor row of exactly n floats.
HWY_INLINE void StoreScaledRow(const float *HWY_RESTRICT src, size_t n, float factor,
                               float *HWY_RESTRICT dst) {
  const DF d;
  const size_t lanes = hn::Lanes(d);
  const VF factor_vec = hn::Set(d, factor);
  for (size_t j = 0; j < n; j += lanes)
    StoreLanes(d, hn::Mul(hn::Load(d, src + j), factor_vec), dst + j, std::min(lanes, n - j));
}

// Largest scale * row[j] over j < valid (valid >= 1).
HWY_INLINE float MaxScaledPrefix(const float *HWY_RESTRICT row, size_t valid, float scale) {
  const DF d;
  const size_t lanes = hn::Lanes(d);
  const VF scale_vec = hn::Set(d, scale);
  VF best = hn::Set(d, kNegInf);
  for (size_t j = 0; j < valid; j += lanes) {
    const VF scaled = hn::Mul(hn::Load(d, row + j), scale_vec);
    best = hn::IfThenElse(hn::FirstN(d, std::min(valid - j, lanes)), hn::Max(best, scaled), best);
  }
  return hn::GetLane(hn::MaxOfLanes(d, best));
}

// Sum of row[0, len), len a multiple of the vector length.
HWY_INLINE float SumRow(const float *HWY_RESTRICT row, size_t len) {
  const DF d;
  VF sum = hn::Zero(d);
  for (size_t j = 0; j < len; j += hn::Lanes(d))
    sum = hn::Add(sum, hn::Load(d, row + j));
  return hn::GetLane(hn::SumOfLanes(d, sum));
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard
