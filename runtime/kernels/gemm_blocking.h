// Gemm cache-blocking sizes shared by every Highway target and by GemmScratchBytes.
#ifndef TIDEMARK_RUNTIME_KERNELS_GEMM_BLOCKING_H_
#define TIDEMARK_RUNTIME_KERNELS_GEMM_BLOCKING_H_

#include <cstddef>

namespace tidemark {
namespace kernels {
namespace gemm_blocking {

// Depth of one k slice (KC). A 8 x KC packed A panel (8 KiB) plus the 48-column B panel being read
// stay close to the core, and KC is long enough that the C tile's load/store at the end of each
// slice costs little next to KC * 24 FMAs.
constexpr size_t kDepth = 256;
// Rows of op(A) packed at once (MC, rounded down to a multiple of the target's MR): 512 x 256 x 4
// bytes = 512 KiB, half of Zen 4's 1 MiB L2, so the A block stays in L2 while every B panel of the
// column block streams past it.
constexpr size_t kMaxBlockRows = 512;
// Columns of op(B) packed at once (NC, rounded down to a multiple of the target's NR): 256 x 1536 x
// 4 bytes = 1.5 MiB per thread, resident in the shared 32 MiB L3.
constexpr size_t kMaxBlockCols = 1536;

// Floats of scratch one task uses: its packed A block, then its packed B block.
constexpr size_t kPackedAFloats = kMaxBlockRows * kDepth;
constexpr size_t kPackedBFloats = kDepth * kMaxBlockCols;
constexpr size_t kTaskScratchFloats = kPackedAFloats + kPackedBFloats;
static_assert(kPackedAFloats % 16 == 0 && kPackedBFloats % 16 == 0,
              "each packed block must start 64-byte aligned");

} // namespace gemm_blocking
} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_GEMM_BLOCKING_H_
