//===- TideDialect.td - The tide dialect definition -------*- tablegen -*-===//
//
// The `tide` dialect: tensor-level neural-network ops that Tidemark differentiates, schedules,
// rematerializes and memory-plans.
//
//===----------------------------------------------------------------------===//

#ifndef TIDE_DIALECT_TD
#define TIDE_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Tide_Dialect : Dialect {
  let name = "tide";
  let cppNamespace = "::mlir::tide";
  let summary = "Tensor ops whose memory Tidemark plans ahead of time";
  let description = [{
    The `tide` dialect describes one training or inference step as a function with a single
    block of ops on statically shaped ranked tensors (value semantics). The order of ops in the
    block is the schedule. Function arguments that hold trainable parameters carry the unit
    attribute `tide.param`.

    Every op implements `TideCostOpInterface`, which reports the floating-point operations the
    op performs and the bytes it reads and writes; rematerialization and the memory report use
    these numbers.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let useDefaultAttributePrinterParser = 1;
  let hasRegionArgAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Name of the unit argument attribute that marks a trainable parameter.
    static constexpr ::llvm::StringLiteral kParamAttrName = "tide.param";
  }];
}

class Tide_Op<string mnemonic, list<Trait> traits = []> :
    Op<Tide_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Tide_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how tide.gelu evaluates the Gaussian CDF", [
      I32EnumAttrCase<"Tanh", 0, "tanh">,
      I32EnumAttrCase<"Exact", 1, "exact">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::tide";
}

def Tide_GeluApproximationAttr : EnumAttr<Tide_Dialect, Tide_GeluApproximation,
                                          "gelu_approximation"> {
  let assemblyFormat = "$value";
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// Floating-point ranked tensors. f32 is what the runtime executes today; the definitions stay
// generic in the element type so that bf16 can follow. Static shapes are checked by each op's
// shape inference (the message names the dynamic dimension).
def Tide_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Tide_ScalarFloatTensor : 0DTensorOf<[AnyFloat]>;
def Tide_IndexTensor : RankedTensorOf<[I32, I64]>;

#endif // TIDE_DIALECT_TD
