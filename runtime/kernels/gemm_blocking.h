// Gemm cache-blocking sizes shared by every Highway target and by GemmScratchBytes.
#ifndef TIDEMARK_RUNTIME_KERNELS_GEMM_BLOCKING_H_
#define TIDEMARK_RUNTIME_KERNELS_GEMM_BLOCKING_H_

#include <cstddef>

namespace tidemark {
namespace kernels {
namespace gemm_blocking {

// Measured on the Zen 4 test machine (bench/gemm, docs/kernels-gemm.md): KC = 512 with MC = 256
// beat KC = 128/192/256/384/768 and MC = 128/384 by 5-15% in single-core GFLOP/s.

// Depth of one k slice (KC). Deep slices amortize the C tile update (24 vector loads and stores
// per tile, once per slice) over KC * 24 FMAs; 512 keeps an 8 x KC A panel (16 KiB) in L1D and a
// KC x 48 B panel (96 KiB) in L2.
constexpr size_t kDepth = 512;
// Rows of op(A) packed at once (MC, rounded down to a multiple of the target's MR): 256 x 512 x 4
// bytes = 512 KiB, half of Zen 4's 1 MiB L2, so the A block stays in L2 while every B panel of the
// column block streams past it.
constexpr size_t kMaxBlockRows = 256;
// Columns of op(B) packed at once (NC, rounded down to a multiple of the target's NR): 512 x 1536 x
// 4 bytes = 3 MiB per thread, resident in the shared 32 MiB L3.
constexpr size_t kMaxBlockCols = 1536;

// Work per task below which another thread costs more to wake than it saves: a ThreadPool job
// takes 5-20 us to start on a second thread, 2^22 flops take ~40 us on one Zen 4 core. A call
// runs on min(threads, ceil(flops / kMinFlopsPerTask)) tasks.
constexpr double kMinFlopsPerTask = 4194304.0;

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
