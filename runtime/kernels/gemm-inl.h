// Gemm SIMD code for one Highway target: packing, the MR x NR FMA micro-kernel, the blocked loop
// nest and the split of C over threads. Included once per target by gemm.cc (foreach_target.h).
//
// Steps (see gemm.h for the overview): partition C into one rectangle per task; for every
// (NC column block, KC slice) pack op(B); for every MC row block pack op(A); run the micro-kernel
// on every MR x NR tile. Packed panels are k-major: panel element (kk, x) sits at kk * width + x,
// so the micro-kernel reads both operands strictly sequentially.

#if defined(TIDEMARK_RUNTIME_KERNELS_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TIDEMARK_RUNTIME_KERNELS_GEMM_INL_H_
#undef TIDEMARK_RUNTIME_KERNELS_GEMM_INL_H_
#else
#define TIDEMARK_RUNTIME_KERNELS_GEMM_INL_H_
#endif

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "runtime/core/thread_pool.h"
#include "runtime/kernels/gemm.h"
#include "runtime/kernels/gemm_blocking.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using GemmTag = hn::ScalableTag<float>;
using GemmVec = hn::Vec<GemmTag>;

// Register tile: kTileRows rows of C (MR) x kTileVecs vectors (NR = kTileVecs * lanes).
// AVX-512 has 32 registers: 8 x 3 = 24 accumulators + 3 B vectors + 1 broadcast A value. Each k
// step issues 24 independent FMAs, far more than the 4-cycle latency x 1-2 FMA/cycle needed to
// keep the pipes full, while loading only 3 vectors and 8 scalars. 48 columns also divide the
// transformer widths 768 and 3072 exactly, so no tile is wasted on those shapes.
// Targets with 16 registers use 6 x 2 = 12 accumulators + 2 B vectors + 1 broadcast.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr size_t kTileRows = 8;
constexpr size_t kTileVecs = 3;
#else
constexpr size_t kTileRows = 6;
constexpr size_t kTileVecs = 2;
#endif
// NR. Highway's x86 (and fixed-width) targets have a compile-time lane count; the packing code
// relies on it (GemmImpl asserts it matches the tag). Scalable targets would need a runtime NR.
constexpr size_t kTileCols = kTileVecs * HWY_LANES(float);

// How a finished tile updates C: the first k slice either overwrites C (beta == 0: C is never
// read, so NaN in C cannot leak) or scales it by beta; later slices add to it.
enum class TileUpdate { kStore, kScaleAndAdd, kAccumulate };

struct TileTarget {
  float *c;    // Top-left element of the tile in C.
  size_t ldc;  // Elements between rows of C.
  size_t rows; // Valid rows (<= kTileRows).
  size_t cols; // Valid columns (<= NR).
  TileUpdate update;
  float alpha;
  float beta;
};

// Writes acc (scaled by alpha) into a kRows-row tile at `c` whose rows have kVecs full vectors.
template <size_t kRows, size_t kVecs>
HWY_INLINE void UpdateFullTile(GemmTag d, const GemmVec (&acc)[kRows][kVecs], float *c, size_t ldc,
                               const TileTarget &t) {
  const size_t lanes = hn::Lanes(d);
  const GemmVec alpha = hn::Set(d, t.alpha);
  const GemmVec beta = hn::Set(d, t.beta);
  for (size_t r = 0; r < kRows; ++r) {
    for (size_t v = 0; v < kVecs; ++v) {
      float *p = c + r * ldc + v * lanes;
      GemmVec out;
      if (t.update == TileUpdate::kStore) {
        out = hn::Mul(alpha, acc[r][v]);
      } else if (t.update == TileUpdate::kScaleAndAdd) {
        out = hn::MulAdd(alpha, acc[r][v], hn::Mul(beta, hn::LoadU(d, p)));
      } else {
        out = hn::MulAdd(alpha, acc[r][v], hn::LoadU(d, p));
      }
      hn::StoreU(out, d, p);
    }
  }
}

// Edge tile: runs the same vector arithmetic on a stack copy of the valid part of C, so edge
// elements get bit-identical results to interior ones and nothing outside C is touched.
template <size_t kRows, size_t kVecs>
HWY_NOINLINE void UpdatePartialTile(GemmTag d, const GemmVec (&acc)[kRows][kVecs],
                                    const TileTarget &t) {
  constexpr size_t kBufferStride = kVecs * HWY_LANES(float);
  HWY_ALIGN float buffer[kRows * kBufferStride] = {};
  const size_t row_bytes = t.cols * sizeof(float);
  if (t.update != TileUpdate::kStore) {
    for (size_t r = 0; r < t.rows; ++r)
      memcpy(buffer + r * kBufferStride, t.c + r * t.ldc, row_bytes);
  }
  UpdateFullTile<kRows, kVecs>(d, acc, buffer, kBufferStride, t);
  for (size_t r = 0; r < t.rows; ++r)
    memcpy(t.c + r * t.ldc, buffer + r * kBufferStride, row_bytes);
}

// The micro-kernel for a tile kRows x kVecs vectors: acc = sum over kk < depth of
// a_panel[kk][r] * b_panel[kk][v], then the tile update. Both panels are read sequentially;
// a_panel rows are kTileRows apart and b_panel rows kTileCols apart whatever kRows and kVecs are
// (smaller only for the last, shorter or narrower tiles, so their padding is not multiplied).
// b_panel is 64-byte aligned (NR is a whole number of vectors and panels start aligned) so its
// loads are aligned. The loops over r and v are fully unrolled so the accumulators live in
// registers for the whole k loop.
template <size_t kRows, size_t kVecs>
HWY_NOINLINE void MultiplyTile(size_t depth, const float *HWY_RESTRICT a_panel,
                               const float *HWY_RESTRICT b_panel, const TileTarget &t) {
  const GemmTag d;
  const size_t lanes = hn::Lanes(d);
  // C rows are far apart (ldc) and usually only in L3 or memory: start fetching them now so the
  // update after the k loop does not wait on up to 24 separate misses.
  for (size_t r = 0; r < t.rows; ++r) {
    for (size_t offset = 0; offset < t.cols; offset += 64 / sizeof(float))
      hwy::Prefetch(t.c + r * t.ldc + offset);
  }
  GemmVec acc[kRows][kVecs];
  for (size_t r = 0; r < kRows; ++r) {
    for (size_t v = 0; v < kVecs; ++v)
      acc[r][v] = hn::Zero(d);
  }
  for (size_t kk = 0; kk < depth; ++kk) {
    GemmVec b_row[kVecs];
    for (size_t v = 0; v < kVecs; ++v)
      b_row[v] = hn::Load(d, b_panel + v * lanes);
    for (size_t r = 0; r < kRows; ++r) {
      const GemmVec a_value = hn::Set(d, a_panel[r]);
      for (size_t v = 0; v < kVecs; ++v)
        acc[r][v] = hn::MulAdd(a_value, b_row[v], acc[r][v]);
    }
    a_panel += kTileRows;
    b_panel += kTileCols;
  }
  if (t.rows == kRows && t.cols == kVecs * lanes) {
    UpdateFullTile<kRows, kVecs>(d, acc, t.c, t.ldc, t);
  } else {
    UpdatePartialTile<kRows, kVecs>(d, acc, t);
  }
}

using TileKernel = void (*)(size_t, const float *, const float *, const TileTarget &);

// The narrowest kRows-row micro-kernel that covers `vecs` vectors of columns.
template <size_t kRows> HWY_INLINE TileKernel KernelForVectors(size_t vecs) {
  static_assert(kTileVecs >= 2 && kTileVecs <= 3, "add the kernels for other tile widths");
  if (vecs >= kTileVecs)
    return &MultiplyTile<kRows, kTileVecs>;
  return vecs == 2 ? &MultiplyTile<kRows, 2> : &MultiplyTile<kRows, 1>;
}

// The smallest micro-kernel that covers a rows x cols tile: 1, 2, 4 or kTileRows rows (a tile of
// m = 1, as in a matrix-vector product, then costs one row instead of eight).
HWY_INLINE TileKernel KernelForTile(size_t rows, size_t cols) {
  static_assert(kTileRows > 4, "row variants assume MR > 4");
  const size_t vecs = (cols + HWY_LANES(float) - 1) / HWY_LANES(float);
  if (rows == 1)
    return KernelForVectors<1>(vecs);
  if (rows == 2)
    return KernelForVectors<2>(vecs);
  if (rows <= 4)
    return KernelForVectors<4>(vecs);
  return KernelForVectors<kTileRows>(vecs);
}

#undef TIDEMARK_GEMM_TRANSPOSE_8X8 // Re-decided for every target this file is compiled for.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
#define TIDEMARK_GEMM_TRANSPOSE_8X8 1
// Transposes 8 lines of 8 consecutive k values (line x at src + x * x_stride) into 8 panel rows
// of 8 floats (row j at dst + j * dst_stride): dst[j][x] = line x [j]. Three shuffle stages on
// 256-bit vectors: 32-bit interleaves pair lines, 64-bit interleaves make quadruples of lines
// per 128-bit block, then the 128-bit halves of the two line groups are concatenated.
HWY_INLINE void Transpose8x8(const float *HWY_RESTRICT src, size_t x_stride,
                             float *HWY_RESTRICT dst, size_t dst_stride) {
  const hn::Full256<float> d;
  const hn::Full256<double> dd;
  hn::Vec<decltype(dd)> quad[8]; // quad[4g + j]: lines 4g..4g+3 at k = j and (upper half) 4 + j.
  for (size_t g = 0; g < 2; ++g) {
    const float *lines = src + 4 * g * x_stride;
    const auto l0 = hn::LoadU(d, lines), l1 = hn::LoadU(d, lines + x_stride);
    const auto l2 = hn::LoadU(d, lines + 2 * x_stride), l3 = hn::LoadU(d, lines + 3 * x_stride);
    const auto lo01 = hn::BitCast(dd, hn::InterleaveLower(d, l0, l1));
    const auto hi01 = hn::BitCast(dd, hn::InterleaveUpper(d, l0, l1));
    const auto lo23 = hn::BitCast(dd, hn::InterleaveLower(d, l2, l3));
    const auto hi23 = hn::BitCast(dd, hn::InterleaveUpper(d, l2, l3));
    quad[4 * g + 0] = hn::InterleaveLower(dd, lo01, lo23);
    quad[4 * g + 1] = hn::InterleaveUpper(dd, lo01, lo23);
    quad[4 * g + 2] = hn::InterleaveLower(dd, hi01, hi23);
    quad[4 * g + 3] = hn::InterleaveUpper(dd, hi01, hi23);
  }
  for (size_t j = 0; j < 4; ++j) {
    const auto first = hn::BitCast(d, quad[j]), second = hn::BitCast(d, quad[4 + j]);
    hn::StoreU(hn::ConcatLowerLower(d, second, first), d, dst + j * dst_stride);
    hn::StoreU(hn::ConcatUpperUpper(d, second, first), d, dst + (4 + j) * dst_stride);
  }
}
#endif

// Copies `count` lines of a matrix (line x starts at src + x * x_stride, consecutive k elements
// are k_stride apart) into a k-major panel: dst[kk * kWidth + x]. Lines count..padded-1 are zero
// so the micro-kernel can run whole vectors and rows; lines from `padded` on are left untouched
// because the kernel never reads them (a narrow B panel is only read up to its last vector). The
// transposes of A and B are absorbed here:
// - lines contiguous along x (x_stride == 1: a transposed A, a plain B): one memcpy per k step;
// - lines contiguous along k (a plain A, a transposed B): for each k step, gather one element of
//   each line of a group of 8 and write them contiguously. This ran about 5x faster than copying
//   line by line (one store every kWidth floats).
template <size_t kWidth>
HWY_INLINE void PackPanel(const float *HWY_RESTRICT src, size_t x_stride, size_t k_stride,
                          size_t count, size_t padded, size_t depth, float *HWY_RESTRICT dst) {
  if (x_stride == 1 && count == kWidth) {
    // A compile-time size lets the compiler emit a few vector moves instead of a memcpy call or
    // `rep movs`, whose start-up cost dominates a 32- or 192-byte copy.
    for (size_t kk = 0; kk < depth; ++kk)
      memcpy(dst + kk * kWidth, src + kk * k_stride, kWidth * sizeof(float));
    return;
  }
  if (count == kWidth && k_stride == 1) {
    // Groups of 8 lines (GCC vectorizes each group as 16 x 8 transposes on AVX-512). All 48
    // lines of a B panel at once were markedly slower for a transposed 3072-wide B, whose 48
    // lines span 141 pages: likely L1 TLB misses on every element.
    constexpr size_t kGroup = kWidth < 8 ? kWidth : 8;
    static_assert(kWidth % kGroup == 0, "panel width must be a multiple of the line group");
    size_t vector_depth = 0;
#ifdef TIDEMARK_GEMM_TRANSPOSE_8X8
    // 8 x 8 register transposes: GCC vectorized the loop below for 8-wide A panels but left the
    // 48-wide B panels scalar, with spills (11% of a 2048 x 768 x 768 trans_b GEMM).
    if (kGroup == 8) {
      vector_depth = depth / 8 * 8;
      for (size_t x0 = 0; x0 < kWidth; x0 += 8) {
        for (size_t kk = 0; kk < vector_depth; kk += 8)
          Transpose8x8(src + x0 * x_stride + kk, x_stride, dst + kk * kWidth + x0, kWidth);
      }
    }
#endif
    for (size_t x0 = 0; x0 < kWidth; x0 += kGroup) {
      for (size_t kk = vector_depth; kk < depth; ++kk) {
        for (size_t x = 0; x < kGroup; ++x)
          dst[kk * kWidth + x0 + x] = src[(x0 + x) * x_stride + kk];
      }
    }
    return;
  }
  // An edge panel (count < kWidth), or a line layout no operand produces: element by element.
  for (size_t kk = 0; kk < depth; ++kk) {
    float *row = dst + kk * kWidth;
    if (x_stride == 1) {
      memcpy(row, src + kk * k_stride, count * sizeof(float));
    } else {
      for (size_t x = 0; x < count; ++x)
        row[x] = src[x * x_stride + kk * k_stride];
    }
    for (size_t x = count; x < padded; ++x)
      row[x] = 0.0f;
  }
}

// One batch item of the problem, with op(A) and op(B) described by strides so that the
// transposes are only a matter of which stride is 1.
struct GemmOperands {
  const float *a; // op(A) element (i, kk) = a[i * a_row_stride + kk * a_k_stride].
  size_t a_row_stride, a_k_stride;
  const float *b; // op(B) element (kk, j) = b[j * b_col_stride + kk * b_k_stride].
  size_t b_col_stride, b_k_stride;
  float *c; // C element (i, j) = c[i * ldc + j].
  size_t ldc;
  size_t k;
  float alpha, beta;
};

// The rectangle of C one task computes, and its packing buffers.
struct TaskWork {
  size_t row_begin, row_end, col_begin, col_end;
  float *packed_a;
  float *packed_b;
};

// Packs rows [row, row + rows) of op(A) restricted to k slice [k0, k0 + depth).
HWY_INLINE void PackBlockOfA(const GemmOperands &op, size_t row, size_t rows, size_t k0,
                             size_t depth, float *packed_a) {
  for (size_t p = 0; p < rows; p += kTileRows) {
    const float *src = op.a + (row + p) * op.a_row_stride + k0 * op.a_k_stride;
    const size_t count = HWY_MIN(kTileRows, rows - p);
    // The kernel broadcasts every row of an A panel, so all kTileRows rows must be defined.
    PackPanel<kTileRows>(src, op.a_row_stride, op.a_k_stride, count, kTileRows, depth,
                         packed_a + p * depth);
  }
}

// Packs columns [col, col + cols) of op(B) restricted to k slice [k0, k0 + depth).
HWY_INLINE void PackBlockOfB(const GemmOperands &op, size_t col, size_t cols, size_t k0,
                             size_t depth, float *packed_b) {
  for (size_t p = 0; p < cols; p += kTileCols) {
    const float *src = op.b + (col + p) * op.b_col_stride + k0 * op.b_k_stride;
    const size_t count = HWY_MIN(kTileCols, cols - p);
    // KernelForColumns picks a kernel that reads only the vectors holding these columns.
    const size_t padded = HWY_MIN(kTileCols, hwy::RoundUpTo(count, HWY_LANES(float)));
    PackPanel<kTileCols>(src, op.b_col_stride, op.b_k_stride, count, padded, depth,
                         packed_b + p * depth);
  }
}

// Runs the micro-kernel over a packed rows x cols block whose top-left C element is (row, col).
// The B panel (KC x NR, 96 KiB on AVX-512) is the outer loop and stays in L2 while every A panel
// of the block (MR x KC, 16 KiB, also from the L2-resident A block) passes through L1.
HWY_INLINE void MultiplyPackedBlock(const GemmOperands &op, size_t row, size_t rows, size_t col,
                                    size_t cols, size_t depth, TileUpdate update,
                                    const float *packed_a, const float *packed_b) {
  TileTarget tile{nullptr, op.ldc, 0, 0, update, op.alpha, op.beta};
  for (size_t j = 0; j < cols; j += kTileCols) {
    tile.cols = HWY_MIN(kTileCols, cols - j);
    const TileKernel full_rows_kernel = KernelForTile(kTileRows, tile.cols);
    const float *b_panel = packed_b + j * depth;
    for (size_t i = 0; i < rows; i += kTileRows) {
      tile.rows = HWY_MIN(kTileRows, rows - i);
      tile.c = op.c + (row + i) * op.ldc + col + j;
      const TileKernel kernel =
          tile.rows == kTileRows ? full_rows_kernel : KernelForTile(tile.rows, tile.cols);
      kernel(depth, packed_a + i * depth, b_panel, tile);
    }
  }
}

// The Goto/BLIS loop nest over one task's rectangle of C. The k slices run in ascending order
// for every C element, independent of the rectangle, which is what makes results thread-count
// independent.
HWY_INLINE void MultiplyRectangle(const GemmOperands &op, const TaskWork &work) {
  const size_t block_rows = gemm_blocking::kMaxBlockRows / kTileRows * kTileRows;
  const size_t block_cols = gemm_blocking::kMaxBlockCols / kTileCols * kTileCols;
  for (size_t col = work.col_begin; col < work.col_end; col += block_cols) {
    const size_t cols = HWY_MIN(block_cols, work.col_end - col);
    for (size_t k0 = 0; k0 < op.k; k0 += gemm_blocking::kDepth) {
      const size_t depth = HWY_MIN(gemm_blocking::kDepth, op.k - k0);
      const TileUpdate update = k0 != 0           ? TileUpdate::kAccumulate
                                : op.beta == 0.0f ? TileUpdate::kStore
                                                  : TileUpdate::kScaleAndAdd;
      PackBlockOfB(op, col, cols, k0, depth, work.packed_b);
      for (size_t row = work.row_begin; row < work.row_end; row += block_rows) {
        const size_t rows = HWY_MIN(block_rows, work.row_end - row);
        PackBlockOfA(op, row, rows, k0, depth, work.packed_a);
        MultiplyPackedBlock(op, row, rows, col, cols, depth, update, work.packed_a, work.packed_b);
      }
    }
  }
}

// Describes batch item `item` of the call as strided operands.
HWY_INLINE GemmOperands OperandsOfBatchItem(const GemmParams &p, const float *a, const float *b,
                                            float *c, int64_t item) {
  const size_t m = static_cast<size_t>(p.m), n = static_cast<size_t>(p.n);
  const size_t k = static_cast<size_t>(p.k);
  GemmOperands op;
  op.a = a + item * p.stride_a;
  op.a_row_stride = p.trans_a ? 1 : k;
  op.a_k_stride = p.trans_a ? m : 1;
  op.b = b + item * p.stride_b;
  op.b_col_stride = p.trans_b ? k : 1;
  op.b_k_stride = p.trans_b ? 1 : n;
  op.c = c + item * p.stride_c;
  op.ldc = n;
  op.k = k;
  op.alpha = p.alpha;
  op.beta = p.beta;
  return op;
}

// Splits C into `num_tasks` rectangles, along M in whole MR tiles or along N in whole NR tiles.
// Every task packs its own copy of the op(B) slices it needs when M is split, and of the op(A)
// rows it needs when N is split, so the split duplicates the smaller operand: M when m >= n
// (k x n <= m x k), N otherwise (unless that dimension has fewer tiles than tasks). Tile
// boundaries never depend on num_tasks, only on MR and NR.
HWY_INLINE TaskWork RectangleOfTask(const GemmParams &p, int64_t task, int64_t num_tasks) {
  const size_t m = static_cast<size_t>(p.m), n = static_cast<size_t>(p.n);
  const size_t row_tiles = (m + kTileRows - 1) / kTileRows;
  const size_t col_tiles = (n + kTileCols - 1) / kTileCols;
  const size_t t = static_cast<size_t>(task), tasks = static_cast<size_t>(num_tasks);
  const bool rows_preferred = m >= n;
  const bool split_rows = rows_preferred ? (row_tiles >= tasks || row_tiles >= col_tiles)
                                         : (col_tiles < tasks && row_tiles > col_tiles);
  TaskWork work{0, m, 0, n, nullptr, nullptr};
  if (split_rows) {
    work.row_begin = HWY_MIN(m, t * row_tiles / tasks * kTileRows);
    work.row_end = HWY_MIN(m, (t + 1) * row_tiles / tasks * kTileRows);
  } else {
    work.col_begin = HWY_MIN(n, t * col_tiles / tasks * kTileCols);
    work.col_end = HWY_MIN(n, (t + 1) * col_tiles / tasks * kTileCols);
  }
  return work;
}

// C = beta * C (k == 0: the product is empty). beta == 0 writes zeros without reading C.
HWY_INLINE void ScaleOnly(const GemmParams &p, float *c) {
  const size_t count = static_cast<size_t>(p.m * p.n);
  for (int64_t item = 0; item < p.batch; ++item) {
    float *out = c + item * p.stride_c;
    for (size_t i = 0; i < count; ++i)
      out[i] = p.beta == 0.0f ? 0.0f : p.beta * out[i];
  }
}

// The per-target entry point behind Gemm (see gemm.h for the contract).
void GemmImpl(const GemmParams &p, const float *a, const float *b, float *c, void *scratch,
              ThreadPool *pool) {
  if (p.batch <= 0 || p.m <= 0 || p.n <= 0)
    return;
  if (p.k <= 0) {
    ScaleOnly(p, c);
    return;
  }
  HWY_DASSERT(hn::Lanes(GemmTag()) == HWY_LANES(float));
  const double flops = 2.0 * static_cast<double>(p.batch) * static_cast<double>(p.m) *
                       static_cast<double>(p.n) * static_cast<double>(p.k);
  const int64_t useful_tasks = static_cast<int64_t>(ceil(flops / gemm_blocking::kMinFlopsPerTask));
  const int64_t num_tasks = HWY_MIN(pool != nullptr ? pool->num_threads() : 1, useful_tasks);
  // A batch that divides evenly is split by whole items: no operand is packed twice. Otherwise
  // every task takes its rectangle of every item.
  const bool split_batch = p.batch % num_tasks == 0;
  float *scratch_floats = static_cast<float *>(scratch);
  auto run_task = [&](int64_t task) {
    TaskWork work = split_batch ? RectangleOfTask(p, 0, 1) : RectangleOfTask(p, task, num_tasks);
    if (work.row_begin >= work.row_end || work.col_begin >= work.col_end)
      return;
    work.packed_a = scratch_floats + task * gemm_blocking::kTaskScratchFloats;
    work.packed_b = work.packed_a + gemm_blocking::kPackedAFloats;
    const int64_t first_item = split_batch ? task : 0;
    const int64_t item_step = split_batch ? num_tasks : 1;
    for (int64_t item = first_item; item < p.batch; item += item_step)
      MultiplyRectangle(OperandsOfBatchItem(p, a, b, c, item), work);
  };
  if (pool != nullptr && num_tasks > 1) {
    pool->ParallelFor(num_tasks, run_task);
  } else {
    run_task(0);
  }
}

// The target this code was compiled for, for GemmTargetName.
int64_t GemmCompiledTarget() { return HWY_TARGET; }

// NOLINTNEXTLINE(google-readability-namespace-comments)
} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard toggle
