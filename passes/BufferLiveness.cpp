//===- BufferLiveness.cpp - tide-buffer-liveness --------------------------===//
//
// Runs the liveness model (LivenessModel.h) and, with `print`, reports every value's interval,
// size, storage group and in-place decision, then each group and LOAD.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"
#include "compiler/planning/LowerBound.h"
#include "passes/LivenessModel.h"
#include "passes/Passes.h"

#include "mlir/IR/AsmState.h"
#include "llvm/Support/raw_ostream.h"

#define DEBUG_TYPE "tide-buffer-liveness"

namespace mlir::tide {
#define GEN_PASS_DEF_BUFFERLIVENESS
#include "passes/Passes.h.inc"
} // namespace mlir::tide

using namespace mlir;
using namespace mlir::tide;

namespace {

/// Prints `value` as it appears in the IR (%0, %arg1, %result_2, ...).
std::string nameOf(Value value, AsmState &state) {
  std::string name;
  llvm::raw_string_ostream os(name);
  value.printAsOperand(os, state);
  return os.str();
}

void printLiveness(func::FuncOp func, const FunctionLiveness &live, llvm::raw_ostream &os) {
  AsmState state(func);
  const tidemark::planning::Liveness &liveness = live.liveness;
  llvm::DenseMap<int64_t, int64_t> inPlaceOver;
  for (auto [result, operand] : liveness.inPlace)
    inPlaceOver[result] = operand;
  tidemark::planning::Problem problem = liveness.toProblem(1);
  os << DEBUG_TYPE << " @" << func.getSymName() << ": " << live.values.size() << " values, "
     << live.steps.size() << " steps, " << problem.buffers.size() << " arena buffers, LOAD "
     << tidemark::planning::computeLoad(problem) << " B\n";
  for (auto [id, value] : llvm::enumerate(live.values)) {
    int64_t group = liveness.groupOfValue[id];
    os << "  " << nameOf(value, state) << ": ";
    if (auto *op = value.getDefiningOp())
      os << op->getName() << " ";
    os << mlir::tide::detail::tensorBytes(value.getType()) << " B, group " << group;
    if (liveness.groups[group].pinned)
      os << " (pinned)";
    if (auto *op = value.getDefiningOp(); op && isa<ReshapeOp>(op))
      os << ", view of " << nameOf(op->getOperand(0), state);
    if (auto it = inPlaceOver.find(static_cast<int64_t>(id)); it != inPlaceOver.end())
      os << ", in place over " << nameOf(live.values[it->second], state);
    os << "\n";
  }
  for (auto [index, group] : llvm::enumerate(liveness.groups)) {
    if (group.pinned)
      continue;
    os << "  group " << index << ": [" << group.start << ", " << group.end << ") "
       << group.sizeBytes << " B:";
    for (int64_t member : group.members)
      os << " " << nameOf(live.values[member], state);
    os << "\n";
  }
}

struct BufferLivenessPass : public tide::impl::BufferLivenessBase<BufferLivenessPass> {
  using BufferLivenessBase::BufferLivenessBase;
  void runOnOperation() override {
    FailureOr<FunctionLiveness> live = computeFunctionLiveness(getOperation(), inPlace);
    if (failed(live))
      return signalPassFailure();
    if (print)
      printLiveness(getOperation(), *live, llvm::errs());
    markAllAnalysesPreserved();
  }
};

} // namespace
