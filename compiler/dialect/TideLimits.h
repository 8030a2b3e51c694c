//===- TideLimits.h - The input limits every Tidemark tool enforces -*- C++ -*-===//
//
// One place for the bounds the dialect's verifiers, the shared front end (TideFrontEnd.h) and
// the plan writer check, so that no size, count or nesting depth reaches code that would
// overflow, narrow it, or run out of stack. docs/dialect.md ("Limits") lists them.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_DIALECT_TIDELIMITS_H
#define TIDEMARK_COMPILER_DIALECT_TIDELIMITS_H

#include <cstdint>

namespace mlir::tide {

/// Largest tensor rank: the runtime's kernels::kMaxRank (the plan writer static_asserts it).
constexpr int64_t kMaxRank = 6;
/// Largest byte size of one tensor (1 TiB): also the runtime's largest arena / state region
/// (kMaxRegionBytes), so every element count and byte size fits comfortably in 64 bits.
constexpr int64_t kMaxTensorBytes = int64_t{1} << 40;
/// Largest attention chunk size: the plan format stores it as a 32-bit integer.
constexpr int64_t kMaxAttentionChunk = 2147483647;
/// Largest row or vocabulary chunk of tide.lm_head_loss (a 32-bit field in the plan).
constexpr int64_t kMaxLmHeadChunk = 2147483647;
/// Largest tide.rope position offset (a 32-bit field in the plan).
constexpr int64_t kMaxRopeOffset = 2147483647;
/// Largest tide.dropout site: the 32-bit value word of its Philox counter.
constexpr int64_t kMaxDropoutSite = 4294967295;
/// Most results of one tide.split: the runtime's Split step writes at most 32 tensors.
constexpr int64_t kMaxSplitResults = 32;
/// Deepest bracket nesting ( ( [ { < ) the front end lets through to MLIR's recursive parser.
constexpr unsigned kMaxNestingDepth = 256;
/// Largest input file the tools read (1 GiB of text).
constexpr uint64_t kMaxInputBytes = uint64_t{1} << 30;
/// Longest parameter or input name, in bytes.
constexpr int64_t kMaxNameLength = 256;

} // namespace mlir::tide

#endif // TIDEMARK_COMPILER_DIALECT_TIDELIMITS_H
