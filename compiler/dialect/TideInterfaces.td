//===- TideInterfaces.td - tide op interfaces --------------*- tablegen -*-===//
//
// TideCostOpInterface: the cost model used by rematerialization and by the memory report.
// TideGradientOpInterface: each differentiable op's reverse-mode rule (tide-autodiff's rules live
// with their ops, in TideGradients.cpp, not in the pass).
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

def TideGradientOpInterface : OpInterface<"TideGradientOpInterface"> {
  let cppNamespace = "::mlir::tide";
  let description = [{
    The reverse-mode rule of a differentiable op, which tide-autodiff calls for every op on a
    path from a `tide.param` argument to the loss, in reverse schedule order. The rule reads the
    adjoint (gradient) of the op's results from the `GradientEmitter`, emits the backward ops at
    the emitter's insertion point and hands each operand's contribution to
    `GradientEmitter::accumulate`, which sums several contributions and reduces broadcast ones.
    An op whose backward consumes values its forward can produce cheaply (layer_norm's row
    statistics, attention's log-sum-exp) also rebuilds itself in that training form. Rules live
    in compiler/dialect/TideGradients.cpp, one function per op; docs/passes/tide-autodiff.md
    lists them.
  }];
  let methods = [
    InterfaceMethod<[{
        Emits the gradient of the op's operands from the adjoints of its results. Called only
        when result 0 has an adjoint (any result: see differentiatesEveryResult); fails with a diagnostic on the op when it cannot be
        differentiated in its current form.
      }],
      "::mlir::LogicalResult", "emitGradient", (ins "::mlir::tide::GradientEmitter &":$emitter)>,
    InterfaceMethod<[{
        If the op has a training form that also returns what its backward consumes and is not in
        it yet, replaces it by that form (uses of the old results move to the new op's leading
        results) and returns the new op; otherwise returns nullptr and changes nothing.
      }],
      "::mlir::Operation *", "buildTrainingForm", (ins), [{}], [{ return nullptr; }]>,
    InterfaceMethod<[{
        Whether emitGradient handles adjoints on any of its results (tide.split): the driver
        then calls it when any result has an adjoint, and the rule reads a null adjoint for a
        result that does not reach the loss. By default the rule is called only when result 0
        has an adjoint.
      }],
      "bool", "differentiatesEveryResult", (ins), [{}], [{ return false; }]>,
  ];
}

#endif // TIDE_INTERFACES_TD
