//===- ReportCosts.cpp - tide-report-costs --------------------------------===//
//
// Prints each op's TideCostOpInterface numbers and the function's totals (an analysis).
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"
#include "passes/Passes.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#define DEBUG_TYPE "tide-report-costs"

namespace mlir::tide {
#define GEN_PASS_DEF_REPORTCOSTS
#include "passes/Passes.h.inc"
} // namespace mlir::tide

using namespace mlir;
using namespace mlir::tide;

namespace {

struct ReportCostsPass : public tide::impl::ReportCostsBase<ReportCostsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    llvm::raw_ostream &os = llvm::errs();
    os << DEBUG_TYPE << " @" << func.getSymName() << "\n";
    int64_t ops = 0, flops = 0, read = 0, written = 0;
    for (Operation &op : func.getBody().getOps()) {
      auto cost = dyn_cast<TideCostOpInterface>(op);
      if (!cost)
        continue;
      int64_t opFlops = cost.getFlops(), opRead = cost.getBytesRead();
      int64_t opWritten = cost.getBytesWritten();
      os << "  #" << ops << " " << op.getName() << ": " << opFlops << " FLOPs, " << opRead
         << " B read, " << opWritten << " B written\n";
      ++ops;
      flops += opFlops;
      read += opRead;
      written += opWritten;
    }
    double moved = static_cast<double>(read + written);
    os << "  total: " << ops << " ops, " << flops << " FLOPs, " << read << " B read, " << written
       << " B written, " << llvm::format("%.2f", moved > 0 ? flops / moved : 0.0) << " FLOPs/B\n";
    markAllAnalysesPreserved();
  }
};

} // namespace
