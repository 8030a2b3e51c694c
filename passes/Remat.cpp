//===- Remat.cpp - tide-remat ---------------------------------------------===//
//
// IR -> TrainingGraph -> remat::rematerialize (policy) -> schedule with clones -> IR.
//
//===----------------------------------------------------------------------===//

#include "compiler/remat/Remat.h"
#include "compiler/planning/Packing.h"
#include "passes/LivenessModel.h"
#include "passes/Passes.h"
#include "passes/TrainingGraphModel.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#define DEBUG_TYPE "tide-remat"

namespace mlir::tide {
#define GEN_PASS_DEF_REMAT
#include "passes/Passes.h.inc"
} // namespace mlir::tide

using namespace mlir;
using namespace mlir::tide;

namespace {

void printStats(func::FuncOp func, StringRef policy, const tidemark::remat::RematStats &stats,
                llvm::raw_ostream &os) {
  double percent = stats.totalFlops ? 100.0 * stats.extraFlops / stats.totalFlops : 0.0;
  os << DEBUG_TYPE << " @" << func.getSymName() << " policy " << policy << "\n"
     << "  values kept: " << stats.valuesKept << " (" << stats.bytesKept << " B)\n"
     << "  ops recomputed: " << stats.opsRecomputed << ", extra FLOPs: " << stats.extraFlops << " ("
     << llvm::format("%.1f", percent) << "% of the step's " << stats.totalFlops << ")\n"
     << "  LOAD: " << stats.loadBefore << " -> " << stats.loadAfter << " B\n"
     << "  arena (greedy-size): " << stats.arenaBefore << " -> " << stats.arenaAfter << " B\n"
     << "  work: " << stats.evaluations << " schedules measured (" << stats.stepsEvaluated
     << " steps), " << stats.packs << " packed, " << stats.boundedTrials << " trials bounded\n";
}

struct RematPass : public tide::impl::RematBase<RematPass> {
  using RematBase::RematBase;
  void runOnOperation() override;
};

void RematPass::runOnOperation() {
  func::FuncOp func = getOperation();
  std::string policyText = policy;
  auto options = tidemark::remat::parsePolicy(policyText);
  if (!options.ok()) {
    func.emitError() << DEBUG_TYPE << ": " << std::string(options.status().message());
    return signalPassFailure();
  }
  options->alignment = alignment;
  if (options->policy != tidemark::remat::Policy::None && !func->hasAttr("tide.optimizer")) {
    func.emitError() << DEBUG_TYPE << ": policy '" << policyText
                     << "' needs a training step: run -tide-autodiff first";
    return signalPassFailure();
  }
  FailureOr<FunctionGraph> model = buildTrainingGraph(func);
  if (failed(model))
    return signalPassFailure();
  auto result = tidemark::remat::rematerialize(model->graph, *options);
  if (!result.ok()) {
    func.emitError() << DEBUG_TYPE << ": " << std::string(result.status().message());
    return signalPassFailure();
  }
  applySchedule(*model, result->schedule);
  if (failed(verifyStateUpdateOrder(func)))
    return signalPassFailure();
  // Independent check of the budget on the rewritten IR itself: liveness from the IR and the
  // packer, not the search's model.
  if (options->policy == tidemark::remat::Policy::Budget) {
    FailureOr<FunctionLiveness> live = computeFunctionLiveness(func, /*allowInPlace=*/true);
    if (failed(live))
      return signalPassFailure();
    auto packed =
        tidemark::planning::packProblem(live->liveness.toProblem(alignment), "greedy-size", {});
    if (!packed.ok() || packed->solution.arenaSize > options->budgetBytes) {
      func.emitError() << DEBUG_TYPE << ": internal error: the rewritten function needs "
                       << (packed.ok() ? packed->solution.arenaSize : -1)
                       << " bytes, above the budget the search met; please report this";
      return signalPassFailure();
    }
  }
  const tidemark::remat::RematStats &stats = result->stats;
  Builder b(func.getContext());
  auto i64 = [&](int64_t value) { return b.getI64IntegerAttr(value); };
  func->setAttr("tide.remat", b.getDictionaryAttr({
                                  b.getNamedAttr("policy", b.getStringAttr(policyText)),
                                  b.getNamedAttr("values_kept", i64(stats.valuesKept)),
                                  b.getNamedAttr("bytes_kept", i64(stats.bytesKept)),
                                  b.getNamedAttr("ops_recomputed", i64(stats.opsRecomputed)),
                                  b.getNamedAttr("extra_flops", i64(stats.extraFlops)),
                                  b.getNamedAttr("forward_flops", i64(stats.forwardFlops)),
                                  b.getNamedAttr("total_flops", i64(stats.totalFlops)),
                                  b.getNamedAttr("load_before", i64(stats.loadBefore)),
                                  b.getNamedAttr("load_after", i64(stats.loadAfter)),
                                  b.getNamedAttr("arena_before", i64(stats.arenaBefore)),
                                  b.getNamedAttr("arena_after", i64(stats.arenaAfter)),
                              }));
  if (printStats)
    ::printStats(func, policyText, stats, llvm::errs());
}

} // namespace
