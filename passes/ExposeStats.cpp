//===- ExposeStats.cpp - tide-expose-stats --------------------------------===//
//
// Every op with a training form (layer_norm, rms_norm, attention, lm_head_loss) gets its
// statistics results (useTrainingForms, LivenessModel.h).
//
//===----------------------------------------------------------------------===//

#include "passes/LivenessModel.h"
#include "passes/Passes.h"

#define DEBUG_TYPE "tide-expose-stats"

namespace mlir::tide {
#define GEN_PASS_DEF_EXPOSESTATS
#include "passes/Passes.h.inc"
} // namespace mlir::tide

namespace {
struct ExposeStatsPass : public mlir::tide::impl::ExposeStatsBase<ExposeStatsPass> {
  void runOnOperation() override {
    for (mlir::Block &block : getOperation().getBody())
      mlir::tide::useTrainingForms(block, nullptr);
  }
};
} // namespace
