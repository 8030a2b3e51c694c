//===- InlineCheckpoints.cpp - tide-inline-checkpoints --------------------===//
//
// Flattens tide.checkpoint regions (see LivenessModel.h: inlineCheckpointRegions).
//
//===----------------------------------------------------------------------===//

#include "passes/LivenessModel.h"
#include "passes/Passes.h"

#define DEBUG_TYPE "tide-inline-checkpoints"

namespace mlir::tide {
#define GEN_PASS_DEF_INLINECHECKPOINTS
#include "passes/Passes.h.inc"
} // namespace mlir::tide

namespace {
struct InlineCheckpointsPass
    : public mlir::tide::impl::InlineCheckpointsBase<InlineCheckpointsPass> {
  void runOnOperation() override { mlir::tide::inlineCheckpointRegions(getOperation()); }
};
} // namespace
