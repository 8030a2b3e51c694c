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

    ## Limits

    Every tool (`tide-opt`, `tidec`, `tide-interp`) rejects input beyond these bounds with a
    located error (`file:line:col: error: ...`) before anything sizes, narrows or recurses on it.
    The constants live in `compiler/dialect/TideLimits.h`.

    | What | Limit | Checked by |
    |---|---|---|
    | Tensor rank | at most 6 (the runtime's `kMaxRank`) | op verifiers; the function check |
    | Tensor shape | ranked and static (no `tensor<*xf32>`, no `?`), every dimension <= 2^40 | same |
    | Tensor size | element count x element size <= 2^40 bytes (1 TiB, the runtime's largest region), computed without overflow | same |
    | Element types | floating-point types (f32 is what the runtime executes), i32 / i64 class labels | same |
    | Attention `chunks` | each in [1, 2^31 - 1] (a 32-bit field in the plan) | `tide.attention`, `tide.attention_grad` |
    | Float attributes | finite as f32 (the runtime's type) and inside each op's stated range after rounding to f32 | op verifiers |
    | `tide.lm_head_loss` chunks | each in [1, 2^31 - 1]; the logit block min(row_chunk, rows) x min(vocab_chunk, vocab) floats <= 2^40 bytes | `tide.lm_head_loss`, `tide.lm_head_loss_grad` |
    | `tide.rope` | `rot_dim` even in [2, head_dim], `offset` in [0, 2^31 - 1], `base` > 0 | `tide.rope` |
    | `tide.dropout` | `p` in [0, 1) as f32; `site` in [0, 2^32 - 1] and unique among the function's `tide.dropout` ops (a clone tagged `tide.recomputed` shares its original's) | `tide.dropout`, `tide.dropout_grad` |
    | Ids and labels | i32 for `tide.gather` and `tide.lm_head_loss` (the runtime's kernels read 32-bit ids); their values are data, checked by the interpreter and the runtime | ODS constraints |
    | Masks and casts | `tide.where`'s condition is i32 (nonzero = true); `tide.cast` converts f32 <-> i32 only, never to its own type | ODS constraints; `tide.cast` |
    | `tide.split` | 1 to 32 results (one runtime step), each size >= 1, summing to the split dimension | `tide.split` |
    | `tide.reduce_max` | the reduced dimension has size >= 1 | `tide.reduce_max`, `tide.reduce_max_grad` |
    | Zero-size operands | a matmul needs K >= 1; layer_norm a non-empty normalized shape; attention every dimension >= 1; losses at least one element | op verifiers |
    | Nesting | brackets `( [ { <` at most 256 deep (counted outside string literals and comments before MLIR's recursive parser runs); `tide.checkpoint` regions do not nest | front end (`TideFrontEnd.h`); `tide.checkpoint` |
    | Input file | a regular file or a pipe, at most 1 GiB; not a directory or a device | front end |
    | Names | see below | `tide.input_names`, `tide.param_names` |

    The function check (`tide::verifyFunctionTypes`, run by `tidec` and `tide-interp` after
    parsing and by `tide-opt` before its pass pipeline) applies the tensor rules to every
    argument of every function with a body (used or not; the error points at the argument),
    every result type and every tensor produced by any op in the body.

    **Names.** `tide.input_names` and `tide.param_names` on a `func.func` are arrays of strings,
    one per input argument (no `tide.param`, no `tide.state`) and one per parameter argument
    (`tide.param`) respectively, in argument order. Each name is 1 to 256 characters from
    `A-Z a-z 0-9 _ . - / :`, and every name is unique across both lists. The plan writer
    additionally rejects a name that collides with a name it derives (`loss`, `output<i>`,
    `<param>.sgd_velocity`, `<param>.adam_m`, `<param>.adam_v`).

    **Initialisation.** A `tide.param` argument may carry `tide.init`, a string saying how
    its initial values are drawn: `"zeros"`, `"ones"`, `"normal(MEAN, STD)"` or
    `"uniform(LOW, HIGH)"` (spaces optional; numbers as C `strtod` reads them, finite, of
    magnitude at most 1e30, `STD >= 0`, `LOW <= HIGH`), for example
    `%w: tensor<64x128xf32> {tide.param, tide.init = "normal(0, 0.02)"}`. The builder
    (`tide-models`) writes it on every parameter; `tidec` draws a plan's initial state from it
    when no `--weights` are given, with the same seeded generator as `tide-models --weights`
    (docs/models.md, "Initialisation, exactly"). The verifier rejects, at the argument, an
    unknown kind, a malformed or out-of-range number (a negative or NaN std, `LOW > HIGH`), a
    non-string value, and `tide.init` on an argument without `tide.param`.

    **Other `tide.*` attributes.** On arguments: `tide.param` (unit), `tide.init` (see above), `tide.state`
    (`"sgd_velocity"`, `"adam_m"`, `"adam_v"`), `tide.state_of` (index of a parameter argument).
    On results: `tide.updates` / `tide.grad_of` (index of an argument). On ops and functions the
    attributes the passes write are type-checked when present: `tide.optimizer` (`"sgd"`,
    `"adam"` or `"none"`), `tide.arena`, `tide.remat`, `tide.schedule` (dictionaries), `tide.arena_offsets`
    (one i64 >= -1 per result), `tide.recomputed` (unit), `tide.checkpoint_region` (integer).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let useDefaultAttributePrinterParser = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Name of the unit argument attribute that marks a trainable parameter.
    static constexpr ::llvm::StringLiteral kParamAttrName = "tide.param";
    /// Name of the string argument attribute with a parameter's initialisation
    /// ("zeros", "ones", "normal(MEAN, STD)", "uniform(LOW, HIGH)").
    static constexpr ::llvm::StringLiteral kInitAttrName = "tide.init";
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

def Tide_RopeLayout : I32EnumAttr<"RopeLayout",
    "which dimension of a rank-4 tensor tide.rope reads as the position", [
      I32EnumAttrCase<"BTHD", 0, "bthd">,
      I32EnumAttrCase<"BHTD", 1, "bhtd">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::tide";
}

def Tide_RopeLayoutAttr : EnumAttr<Tide_Dialect, Tide_RopeLayout, "rope_layout"> {
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
// Token ids and the labels of the fused LM head: the runtime's kernels read 32-bit ids.
def Tide_I32Tensor : RankedTensorOf<[I32]>;

#endif // TIDE_DIALECT_TD
