//===- AssignArena.cpp - tide-assign-arena --------------------------------===//
//
// Liveness (LivenessModel.h) -> packing problem -> planning::packProblem (packer + independent
// verifier + capacity check) -> offsets written back as attributes.
//
//===----------------------------------------------------------------------===//

#include "compiler/planning/MiniMallocCsv.h"
#include "compiler/planning/Packing.h"
#include "passes/LivenessModel.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"

#define DEBUG_TYPE "tide-assign-arena"

namespace mlir::tide {
#define GEN_PASS_DEF_ASSIGNARENA
#include "passes/Passes.h.inc"
} // namespace mlir::tide

using namespace mlir;
using namespace mlir::tide;

namespace {

struct AssignArenaPass : public tide::impl::AssignArenaBase<AssignArenaPass> {
  using AssignArenaBase::AssignArenaBase;
  void runOnOperation() override;
};

void AssignArenaPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (alignment < 1 || (alignment & (alignment - 1)) != 0) {
    func.emitError() << DEBUG_TYPE << ": alignment must be a power of two, got "
                     << static_cast<int64_t>(alignment);
    return signalPassFailure();
  }
  if (capacity < 0 || timeLimit < 0) {
    func.emitError() << DEBUG_TYPE << ": capacity and time-limit must be >= 0";
    return signalPassFailure();
  }
  FailureOr<FunctionLiveness> live = computeFunctionLiveness(func, inPlace);
  if (failed(live))
    return signalPassFailure();
  tidemark::planning::Problem problem = live->liveness.toProblem(alignment);
  if (capacity > 0)
    problem.capacity = capacity;
  tidemark::planning::PackOptions options;
  options.timeLimitSeconds = timeLimit;
  options.polishSeconds = timeLimit;
  auto report = tidemark::planning::packProblem(problem, algorithm, options);
  if (!report.ok()) {
    func.emitError() << DEBUG_TYPE << ": " << std::string(report.status().message());
    return signalPassFailure();
  }

  if (!buffersCsv.empty()) {
    tidemark::planning::CsvBufferList list;
    list.problem = problem;
    for (const tidemark::planning::Buffer &buffer : problem.buffers)
      list.names.push_back(std::to_string(buffer.id));
    absl::Status written = tidemark::planning::writeFileAtomically(
        buffersCsv, tidemark::planning::formatMiniMallocCsv(list, report->solution));
    if (!written.ok()) {
      func.emitError() << DEBUG_TYPE << ": " << std::string(written.message());
      return signalPassFailure();
    }
  }

  // Offset of every group: -1 for pinned or empty groups.
  std::vector<int64_t> groupOffset(live->liveness.groups.size(), -1);
  for (auto [i, buffer] : llvm::enumerate(problem.buffers))
    groupOffset[buffer.id] = report->solution.offsets[i];
  Builder b(func.getContext());
  for (Operation *op : live->steps) {
    if (op->getNumResults() == 0)
      continue;
    SmallVector<int64_t> offsets;
    for (Value result : op->getResults()) {
      int64_t group = live->liveness.groupOfValue[live->idOf.lookup(result)];
      offsets.push_back(groupOffset[group]);
    }
    op->setAttr("tide.arena_offsets", b.getDenseI64ArrayAttr(offsets));
  }
  func->setAttr("tide.arena",
                b.getDictionaryAttr({
                    b.getNamedAttr("size", b.getI64IntegerAttr(report->solution.arenaSize)),
                    b.getNamedAttr("load", b.getI64IntegerAttr(report->load)),
                    b.getNamedAttr("alignment", b.getI64IntegerAttr(alignment)),
                    b.getNamedAttr("algorithm", b.getStringAttr(algorithm)),
                    b.getNamedAttr("proven_optimal", b.getBoolAttr(report->solution.provenOptimal)),
                }));
}

} // namespace
