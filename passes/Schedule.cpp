//===- Schedule.cpp - tide-schedule ---------------------------------------===//
//
// IR -> TrainingGraph -> remat::scheduleForMemory -> ops moved into the chosen order.
//
//===----------------------------------------------------------------------===//

#include "compiler/remat/Scheduler.h"
#include "passes/Passes.h"
#include "passes/TrainingGraphModel.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/raw_ostream.h"

#define DEBUG_TYPE "tide-schedule"

namespace mlir::tide {
#define GEN_PASS_DEF_SCHEDULE
#include "passes/Passes.h.inc"
} // namespace mlir::tide

using namespace mlir;
using namespace mlir::tide;

namespace {

struct SchedulePass : public tide::impl::ScheduleBase<SchedulePass> {
  using ScheduleBase::ScheduleBase;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    FailureOr<FunctionGraph> model = buildTrainingGraph(func);
    if (failed(model))
      return signalPassFailure();
    auto result = tidemark::remat::scheduleForMemory(model->graph, alignment);
    if (!result.ok()) {
      func.emitError() << DEBUG_TYPE << ": " << std::string(result.status().message());
      return signalPassFailure();
    }
    if (result->changed) {
      Operation *terminator = func.getBody().front().getTerminator();
      for (int64_t index : result->order)
        model->ops[index]->moveBefore(terminator);
    }
    Builder b(func.getContext());
    func->setAttr("tide.schedule",
                  b.getDictionaryAttr({
                      b.getNamedAttr("load_before", b.getI64IntegerAttr(result->loadBefore)),
                      b.getNamedAttr("load_after", b.getI64IntegerAttr(result->loadAfter)),
                      b.getNamedAttr("changed", b.getBoolAttr(result->changed)),
                  }));
    if (print)
      llvm::errs() << DEBUG_TYPE << " @" << func.getSymName() << ": LOAD " << result->loadBefore
                   << " -> " << result->loadAfter << " B"
                   << (result->changed ? "" : " (kept the given order)") << "\n";
  }
};

} // namespace
