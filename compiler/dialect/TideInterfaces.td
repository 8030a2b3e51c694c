//===- TideInterfaces.td - tide op interfaces --------------*- tablegen -*-===//
//
// TideCostOpInterface: the cost model used by rematerialization and by the memory report.
//
//===----------------------------------------------------------------------===//

#ifndef TIDE_INTERFACES_TD
#define TIDE_INTERFACES_TD

include "mlir/IR/OpBase.td"

def TideCostOpInterface : OpInterface<"TideCostOpInterface"> {
  let cppNamespace = "::mlir::tide";
  let description = [{
    Reports what an op costs to execute: its floating-point operations and the bytes it reads
    from its operands and writes to its results. The counting conventions (documented in
    docs/dialect-costs.md) are: one FLOP per scalar add, subtract, multiply, divide, compare
    (max) or transcendental (exp, tanh, erf, log, rsqrt); a fused multiply-add counts as two;
    views (reshape) and data movement (transpose) cost zero FLOPs. Bytes are whole tensors
    (element count times element size); a view reads and writes nothing.
  }];
  let methods = [
    InterfaceMethod<"Floating-point operations performed by one execution of the op.",
      "int64_t", "getFlops">,
    InterfaceMethod<"Bytes read from operands.", "int64_t", "getBytesRead", (ins), [{}], [{
        return ::mlir::tide::detail::sumTensorBytes($_op->getOperandTypes());
      }]>,
    InterfaceMethod<"Bytes written to results.", "int64_t", "getBytesWritten", (ins), [{}], [{
        return ::mlir::tide::detail::sumTensorBytes($_op->getResultTypes());
      }]>,
  ];
}

#endif // TIDE_INTERFACES_TD
