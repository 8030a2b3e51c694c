//===- Passes.td - Tidemark passes -------------------------*- tablegen -*-===//
//
// Every Tidemark pass, with its summary, a before/after example and its options.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_PASSES_TD
#define TIDEMARK_PASSES_TD

include "mlir/Pass/PassBase.td"

def ReportCosts : Pass<"tide-report-costs", "::mlir::func::FuncOp"> {
  let summary = "Print every op's FLOPs and bytes moved, and the function's totals";
  let description = [{
    An analysis: prints, for each op in the function body that implements
    `TideCostOpInterface` (in schedule order), its FLOPs, bytes read and bytes written, then the
    totals and the arithmetic intensity (FLOPs per byte moved). The IR is not changed. Output
    goes to stderr so that the IR on stdout stays usable.

    ```mlir
    func.func @f(%x: tensor<8x16xf32>, %w: tensor<16x4xf32>) -> tensor<8x4xf32> {
      %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
      %1 = tide.relu %0 : tensor<8x4xf32>
      return %1 : tensor<8x4xf32>
    }
    ```
    prints
    ```
    tide-report-costs @f
      #0 tide.matmul: 1024 FLOPs, 768 B read, 128 B written
      #1 tide.relu: 32 FLOPs, 128 B read, 128 B written
      total: 2 ops, 1056 FLOPs, 896 B read, 256 B written, 0.92 FLOPs/B
    ```
  }];
  let dependentDialects = ["::mlir::tide::TideDialect"];
}

#endif // TIDEMARK_PASSES_TD
