//===- TideOps.td - tide dialect operations ----------------*- tablegen -*-===//
//
// The forward op set of the tide dialect (DESIGN.md section 3). Every op infers its result type
// (except tide.reshape, whose result type is its target shape), rejects malformed uses with a
// located diagnostic, and reports its cost through TideCostOpInterface.
//
//===----------------------------------------------------------------------===//

#ifndef TIDE_OPS_TD
#define TIDE_OPS_TD

include "TideDialect.td"
include "TideInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

// An op with shape inference and a cost. Its verifier runs the shape inference with the op's
// location, so a malformed use reports the precise rule it breaks (before the generic
// "inferred type(s) are incompatible" check, which then only compares declared result types).
// Differentiable ops carry their reverse-mode rule (TideGradients.cpp); the second form also
// rebuilds itself in a training form that returns what its backward consumes.
defvar Tide_Differentiable = DeclareOpInterfaceMethods<TideGradientOpInterface>;
defvar Tide_DifferentiableWithTrainingForm =
    DeclareOpInterfaceMethods<TideGradientOpInterface, ["buildTrainingForm"]>;

class Tide_CostOp<string mnemonic, list<Trait> traits = []> :
    Tide_Op<mnemonic, !listconcat(traits, [DeclareOpInterfaceMethods<TideCostOpInterface>])> {
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Matrix multiplication
//===----------------------------------------------------------------------===//

def Tide_MatmulOp : Tide_CostOp<"matmul", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Batched matrix multiplication with optional transposes";
  let description = [{
    Multiplies the last two dimensions of `lhs` and `rhs`; leading (batch) dimensions broadcast
    with NumPy rules, and a rank-2 operand is shared by every batch item. With `transpose_lhs`
    the last two dimensions of `lhs` are read as [K, M] instead of [M, K]; with `transpose_rhs`
    those of `rhs` are read as [N, K] instead of [K, N]. The result is [batch..., M, N].

    ```mlir
    // [4, 128, 64] x [64, 256] -> [4, 128, 256]
    %y = tide.matmul %x, %w : (tensor<4x128x64xf32>, tensor<64x256xf32>) -> tensor<4x128x256xf32>
    // dW = X^T dY: [128, 64]^T x [128, 256] -> [64, 256]
    %dw = tide.matmul %x2, %dy transpose_lhs
        : (tensor<128x64xf32>, tensor<128x256xf32>) -> tensor<64x256xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$lhs, Tide_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_lhs` $transpose_lhs^)? (`transpose_rhs` $transpose_rhs^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Broadcasting binary elementwise ops
//===----------------------------------------------------------------------===//

class Tide_BinaryOp<string mnemonic, string formula> :
    Tide_CostOp<mnemonic, [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Elementwise " # formula # " with NumPy broadcasting";
  let description = [{
    Computes `result = }] # formula # [{` elementwise. The operand shapes broadcast with NumPy
    rules: shapes are aligned at their trailing dimensions and each pair of dimensions must be
    equal or one of them 1. Both operands have the same element type.

    ```mlir
    %y = tide.}] # mnemonic # [{ %x, %bias : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$lhs, Tide_FloatTensor:$rhs);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Tide_AddOp : Tide_BinaryOp<"add", "lhs + rhs">;
def Tide_SubOp : Tide_BinaryOp<"sub", "lhs - rhs">;
def Tide_MulOp : Tide_BinaryOp<"mul", "lhs * rhs">;
def Tide_DivOp : Tide_BinaryOp<"div", "lhs / rhs">;
// NaN in either operand gives NaN; the gradient of a tie (lhs == rhs) is split evenly.
def Tide_MinimumOp : Tide_BinaryOp<"minimum", "min(lhs, rhs)">;
def Tide_MaximumOp : Tide_BinaryOp<"maximum", "max(lhs, rhs)">;

//===----------------------------------------------------------------------===//
// Unary elementwise ops
//===----------------------------------------------------------------------===//

class Tide_UnaryOp<string mnemonic, string formula> :
    Tide_CostOp<mnemonic, [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Elementwise " # formula;
  let description = [{
    Computes `result = }] # formula # [{` for every element; the result has the operand's type.

    ```mlir
    %y = tide.}] # mnemonic # [{ %x : tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Tide_ReluOp : Tide_UnaryOp<"relu", "max(input, 0)">;
def Tide_TanhOp : Tide_UnaryOp<"tanh", "tanh(input)">;
def Tide_ExpOp : Tide_UnaryOp<"exp", "exp(input)">;
def Tide_NegOp : Tide_UnaryOp<"neg", "-input">;
def Tide_AbsOp : Tide_UnaryOp<"abs", "|input|">;
def Tide_SqrtOp : Tide_UnaryOp<"sqrt", "sqrt(input)">;
def Tide_RsqrtOp : Tide_UnaryOp<"rsqrt", "1 / sqrt(input)">;
def Tide_LogOp : Tide_UnaryOp<"log", "log(input)">;
def Tide_SigmoidOp : Tide_UnaryOp<"sigmoid", "1 / (1 + exp(-input))">;
def Tide_SiluOp : Tide_UnaryOp<"silu", "input * sigmoid(input)">;
def Tide_ErfOp : Tide_UnaryOp<"erf", "erf(input)">;

def Tide_PowOp : Tide_CostOp<"pow", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Elementwise power by a constant exponent";
  let description = [{
    `result = input ^ exponent` for every element. `exponent` must be finite as a 32-bit float
    (what the runtime stores). Outside the real domain the IEEE value results (a negative base
    with a non-integral exponent gives NaN).

    ```mlir
    %y = tide.pow %x exponent = 2.0 : tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, F64Attr:$exponent);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input `exponent` `=` $exponent attr-dict `:` type($input)";
}

def Tide_ClampOp : Tide_CostOp<"clamp", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Elementwise clamp to [min, max]";
  let description = [{
    `result = min(max(input, min), max)`; NaN stays NaN. `min` and `max` must be finite as
    32-bit floats with `min <= max` (after rounding to f32). The gradient passes where
    `min <= input <= max` (bounds included, as PyTorch) and is 0 elsewhere.

    ```mlir
    %y = tide.clamp %x min = -1.0 max = 1.0 : tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, F64Attr:$min, F64Attr:$max);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input `min` `=` $min `max` `=` $max attr-dict `:` type($input)";
}

def Tide_GeluOp : Tide_CostOp<"gelu", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Gaussian error linear unit, tanh-approximate or exact";
  let description = [{
    `exact`: `0.5 * x * (1 + erf(x / sqrt(2)))`.
    `tanh`: `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))` (the GPT-2 form).

    ```mlir
    %y = tide.gelu %x tanh : tensor<8x16xf32>
    %z = tide.gelu %x exact : tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Tide_GeluApproximationAttr:$approximation);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input custom<GeluApproximation>($approximation) attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

def Tide_SoftmaxOp : Tide_CostOp<"softmax", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Softmax along one axis";
  let description = [{
    `result[..., i, ...] = exp(x_i - max_j x_j) / sum_j exp(x_j - max_j x_j)` along `axis`.
    A negative axis counts from the end (-1 is the last dimension).

    ```mlir
    %p = tide.softmax %scores axis = -1 : tensor<2x4x16x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($input)";
  let extraClassDeclaration = [{
    /// The axis in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

def Tide_LayerNormOp : Tide_CostOp<"layer_norm",
    [Pure, InferTypeOpAdaptor, Tide_DifferentiableWithTrainingForm]> {
  let summary = "Layer normalization over the trailing dimensions, with scale and bias";
  let description = [{
    Normalizes `input` over dimensions `[axis, rank)`: for each of the leading positions,
    `y = (x - mean) / sqrt(var + epsilon) * scale + bias` with the biased variance. `scale` and
    `bias` have exactly the normalized shape `input.shape[axis:]`. A negative axis counts from
    the end. `epsilon` must be positive. With `with_stats` (what tide-autodiff asks for) the op
    also returns the per-row `mean` and `rstd = 1 / sqrt(var + epsilon)`, shaped
    `input.shape[:axis]`, which `tide.layer_norm_grad` consumes.

    ```mlir
    %y = tide.layer_norm %x, %gamma, %beta axis = -1 epsilon = 1.0e-05
        : tensor<4x128x256xf32>, tensor<256xf32>, tensor<256xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Tide_FloatTensor:$scale, Tide_FloatTensor:$bias,
                       I64Attr:$axis, F64Attr:$epsilon, UnitAttr:$with_stats);
  let results = (outs Tide_FloatTensor:$result, Variadic<Tide_FloatTensor>:$stats);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `axis` `=` $axis `epsilon` `=` $epsilon
    (`with_stats` $with_stats^)? attr-dict `:` type($input) `,` type($scale) `,` type($bias)
  }];
  let extraClassDeclaration = [{
    /// The first normalized axis in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

def Tide_RmsNormOp : Tide_CostOp<"rms_norm",
    [Pure, InferTypeOpAdaptor, Tide_DifferentiableWithTrainingForm]> {
  let summary = "RMS normalization over the trailing dimensions, with a scale (Llama's RMSNorm)";
  let description = [{
    Normalizes `input` over dimensions `[axis, rank)`: for each of the leading positions,
    `y = x * rstd * scale` with `rstd = 1 / sqrt(mean(x^2) + epsilon)`. `scale` has exactly the
    normalized shape `input.shape[axis:]`; `epsilon` must be positive. With `with_rstd` (what
    tide-autodiff asks for) the op also returns the per-row `rstd`, shaped `input.shape[:axis]`,
    which `tide.rms_norm_grad` consumes.

    ```mlir
    %y = tide.rms_norm %x, %gamma axis = -1 epsilon = 1.0e-06
        : tensor<4x128x256xf32>, tensor<256xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Tide_FloatTensor:$scale, I64Attr:$axis,
                       F64Attr:$epsilon, UnitAttr:$with_rstd);
  let results = (outs Tide_FloatTensor:$result, Optional<Tide_FloatTensor>:$rstd);
  let assemblyFormat = [{
    $input `,` $scale `axis` `=` $axis `epsilon` `=` $epsilon (`with_rstd` $with_rstd^)?
    attr-dict `:` type($input) `,` type($scale)
  }];
  let extraClassDeclaration = [{
    /// The first normalized axis in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Tide_ReduceOp<string mnemonic, string what> :
    Tide_CostOp<mnemonic, [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "The " # what # " over a set of axes";
  let description = [{
    Reduces `input` over `axes` (distinct, each in [-rank, rank); negative counts from the end).
    With `keep_dims` the reduced dimensions stay as 1s; otherwise they are removed (reducing every
    axis gives a 0-d tensor).

    ```mlir
    %s = tide.}] # mnemonic # [{ %x axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
    %t = tide.}] # mnemonic # [{ %x axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, DenseI64ArrayAttr:$axes, UnitAttr:$keep_dims);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes (`keep_dims` $keep_dims^)? attr-dict `:` type($input) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// The reduced axes in [0, rank), sorted.
    ::llvm::SmallVector<int64_t> getNormalizedAxes();
  }];
}

def Tide_ReduceSumOp : Tide_ReduceOp<"reduce_sum", "sum">;
def Tide_ReduceMeanOp : Tide_ReduceOp<"reduce_mean", "mean">;

def Tide_ReduceMaxOp : Tide_CostOp<"reduce_max", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "The maximum over one axis";
  let description = [{
    The maximum of `input` along `axis` (in [-rank, rank); negative counts from the end), whose
    size must be at least 1. With `keep_dims` the reduced dimension stays as a 1, otherwise it is
    removed (reduce_sum's convention; a rank-1 input gives a 0-d tensor). NaN propagates: a line
    holding a NaN gives NaN. The gradient is deterministic: the whole of it goes to the FIRST
    index attaining the maximum (the first NaN in a line with one), through
    `tide.reduce_max_grad`. PyTorch's `amax` splits it evenly among tied elements instead; on
    inputs without ties the two agree.

    ```mlir
    %m = tide.reduce_max %x axis = -1 keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, I64Attr:$axis, UnitAttr:$keep_dims);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis (`keep_dims` $keep_dims^)? attr-dict `:` type($input) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// The reduced axis in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

//===----------------------------------------------------------------------===//
// Data movement and views
//===----------------------------------------------------------------------===//

def Tide_TransposeOp : Tide_CostOp<"transpose",
    [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Permutes the dimensions of a tensor";
  let description = [{
    `result.shape[i] = input.shape[permutation[i]]`; `permutation` lists every dimension of the
    input exactly once.

    ```mlir
    %t = tide.transpose %x permutation = [0, 2, 1, 3]
        : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $input `permutation` `=` $permutation attr-dict `:` type($input) `->` type($result)
  }];
}

def Tide_ReshapeOp : Tide_Op<"reshape", [Pure, Tide_Differentiable,
    DeclareOpInterfaceMethods<TideCostOpInterface, ["getBytesRead", "getBytesWritten"]>]> {
  let summary = "Reinterprets a tensor with another shape of the same element count (a view)";
  let description = [{
    A view: the result shares the input's storage (the memory planner puts both in one alias
    group), so it costs no FLOPs and moves no bytes. The result type is the target shape; it must
    have the input's element type and element count.

    ```mlir
    %r = tide.reshape %x : tensor<4x128x256xf32> -> tensor<512x256xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tide_SliceOp : Tide_CostOp<"slice", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "An axis-aligned box of a tensor";
  let description = [{
    `result[i] = input[start + i]` for every index i of the result, whose shape is `sizes`.
    `start` and `sizes` have one entry per dimension, with `start >= 0`, `sizes >= 0` and
    `start + sizes <= input.shape`. The backward is `tide.pad` of the gradient with zeros.

    ```mlir
    %s = tide.slice %x start = [0, 4] sizes = [8, 4] : tensor<8x16xf32> -> tensor<8x4xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, DenseI64ArrayAttr:$start,
                       DenseI64ArrayAttr:$sizes);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $input `start` `=` $start `sizes` `=` $sizes attr-dict `:` type($input) `->` type($result)
  }];
}

def Tide_ConcatOp : Tide_CostOp<"concat", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Concatenates tensors along one axis";
  let description = [{
    Joins one or more `inputs` of the same rank and element type along `axis` (negative counts
    from the end); every other dimension must agree. The backward slices the gradient.

    ```mlir
    %c = tide.concat %a, %b axis = -1 : tensor<8x4xf32>, tensor<8x12xf32> -> tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Variadic<Tide_FloatTensor>:$inputs, I64Attr:$axis);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` type($inputs) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// The axis in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

def Tide_PadOp : Tide_CostOp<"pad", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Pads a tensor with a constant";
  let description = [{
    The result has shape `input.shape + low + high` (per dimension, `low, high >= 0`); the input
    sits at offset `low` and every other element equals `value` (finite as a 32-bit float). The
    backward slices the gradient at `low`.

    ```mlir
    %p = tide.pad %x low = [0, 1] high = [0, 3] value = 0.0 : tensor<8x4xf32> -> tensor<8x8xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, DenseI64ArrayAttr:$low, DenseI64ArrayAttr:$high,
                       F64Attr:$value);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $input `low` `=` $low `high` `=` $high `value` `=` $value attr-dict `:` type($input) `->`
    type($result)
  }];
}

def Tide_SplitOp : Tide_CostOp<"split", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<TideGradientOpInterface, ["differentiatesEveryResult"]>]> {
  let summary = "Splits a tensor into consecutive pieces along one axis (the inverse of concat)";
  let description = [{
    Result i is the slice of `input` along `axis` (negative counts from the end) that starts at
    `sizes[0] + ... + sizes[i-1]` and has `sizes[i]` entries; every other dimension is the
    input's. `sizes` has one positive entry per result, at most 32 of them (what one runtime
    step writes), and they add up to the input's dimension. The backward concatenates the
    results' gradients, with zeros for a result that does not reach the loss.

    ```mlir
    %q, %k, %v = tide.split %qkv axis = -1 sizes = [64, 64, 64]
        : tensor<4x128x192xf32> -> tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x128x64xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, I64Attr:$axis, DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Tide_FloatTensor>:$results);
  let assemblyFormat = [{
    $input `axis` `=` $axis `sizes` `=` $sizes attr-dict `:` type($input) `->` type($results)
  }];
  let extraClassDeclaration = [{
    /// The axis in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

def Tide_WhereOp : Tide_CostOp<"where", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Elementwise select: lhs where the i32 condition is nonzero, else rhs";
  let description = [{
    `result = condition != 0 ? lhs : rhs` elementwise. The three operand shapes broadcast
    together with NumPy rules (as the binary ops); `lhs` and `rhs` have the same floating-point
    element type, `condition` is an i32 mask (any nonzero value selects `lhs`: the runtime's
    element types are f32 and i32, so masks are i32). The gradient of `lhs` is `dY` where the
    condition holds and 0 elsewhere, that of `rhs` the complement, each summed to its operand's
    shape; the condition gets none.

    ```mlir
    %y = tide.where %mask, %x, %fill
        : (tensor<4x1x128xi32>, tensor<4x8x128xf32>, tensor<f32>) -> tensor<4x8x128xf32>
    ```
  }];
  let arguments = (ins Tide_I32Tensor:$condition, Tide_FloatTensor:$lhs, Tide_FloatTensor:$rhs);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Tide_CastOp : Tide_CostOp<"cast", [Pure, Tide_Differentiable]> {
  let summary = "Converts a tensor between f32 and i32 (carries no gradient)";
  let description = [{
    The result has the input's shape and the other of the two element types the runtime
    executes. f32 -> i32 truncates toward zero (PyTorch's `.to(torch.int32)`) and saturates:
    `x >= 2^31` gives `2^31 - 1`, `x < -2^31` gives `-2^31` (the infinities included) and NaN
    gives 0 (PyTorch leaves those undefined; on x86 it returns `-2^31`). i32 -> f32 rounds to
    the nearest float (ties to even; exact up to `2^24`). A cast to the type it already has is
    rejected: it would be a copy, not a conversion. A cast into i32 is piecewise constant and
    an i32 value carries no gradient, so autodiff passes nothing through a cast in either
    direction: a parameter gets only the gradient of its other paths to the loss, and a loss
    that the parameters reach only through casts is an error of tide-autodiff.

    ```mlir
    %ids = tide.cast %x : tensor<4x128xf32> -> tensor<4x128xi32>
    %mask = tide.cast %m : tensor<4x128xi32> -> tensor<4x128xf32>
    ```
  }];
  let arguments = (ins AnyTypeOf<[Tide_FloatTensor, Tide_I32Tensor]>:$input);
  let results = (outs AnyTypeOf<[Tide_FloatTensor, Tide_I32Tensor]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Tide_GatherOp : Tide_CostOp<"gather", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Embedding lookup: the rows of a table named by i32 ids";
  let description = [{
    `table` is [rows, dim]; `ids` is an i32 tensor of any shape; `result[i..., :] =
    table[ids[i...], :]`, shaped `ids.shape + [dim]`. Every id must be in [0, rows): the
    interpreter and the runtime report the first id out of range (position and value) and read
    nothing out of bounds. The gradient of the table is `tide.gather_grad` (a scatter-add in a
    fixed order); ids get none.

    ```mlir
    %e = tide.gather %wte, %tokens : tensor<50257x768xf32>, tensor<4x512xi32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$table, Tide_I32Tensor:$ids);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$table `,` $ids attr-dict `:` type($table) `,` type($ids)";
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Tide_AttentionOp : Tide_CostOp<"attention",
    [Pure, InferTypeOpAdaptor, Tide_DifferentiableWithTrainingForm]> {
  let summary = "Scaled dot-product attention, executed chunk by chunk";
  let description = [{
    `result = softmax(scale * query key^T [+ masks]) value` for every batch item and head.
    `query` is [batch, heads, seq_q, head_dim]; `key` and `value` are
    [batch, kv_heads, seq_k, head_dim] with `heads` a multiple of `kv_heads` (grouped-query
    attention: query head h reads key/value head h / (heads / kv_heads); kv_heads = heads is
    multi-head, 1 multi-query). With `causal`, query position i attends key positions
    j <= i + (seq_k - seq_q). With `key_lengths` (i32 [batch], each in [0, seq_k], checked by
    the runtime and the interpreter when the step runs) the keys j >= key_lengths[b] of batch b
    are masked for every query (right padding); with both, a query sees the intersection. A row
    that sees no key gets output 0 (and lse -inf). `scale` is usually 1/sqrt(head_dim). The runtime evaluates it
    FlashAttention-style in blocks of `query_chunk` x `key_chunk` (online softmax), so its extra
    memory does not grow with the sequence length; both chunk sizes must be positive and need
    not divide the sequence lengths. With `with_lse` (what tide-autodiff asks for) the op also
    returns each query row's log-sum-exp of its scaled, masked scores ([batch, heads, seq_q]),
    which `tide.attention_grad` consumes.

    ```mlir
    %o = tide.attention %q, %k, %v causal scale = 0.125 chunks = [64, 64]
        : tensor<2x4x128x64xf32>, tensor<2x4x128x64xf32>, tensor<2x4x128x64xf32>
    // Grouped-query (8 query heads over 2 kv heads) with a key-padding mask.
    %g = tide.attention %q8, %k2, %v2 key_lengths %len : tensor<2xi32> scale = 0.125
        chunks = [64, 64] : tensor<2x8x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$query, Tide_FloatTensor:$key, Tide_FloatTensor:$value,
                       Optional<Tide_I32Tensor>:$key_lengths, UnitAttr:$causal, F64Attr:$scale,
                       I64Attr:$query_chunk, I64Attr:$key_chunk, UnitAttr:$with_lse);
  let results = (outs Tide_FloatTensor:$result, Optional<Tide_FloatTensor>:$lse);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`key_lengths` $key_lengths^ `:` type($key_lengths))?
    (`causal` $causal^)? `scale` `=` $scale
    `chunks` `=` `[` $query_chunk `,` $key_chunk `]` (`with_lse` $with_lse^)? attr-dict `:`
    type($query) `,` type($key) `,` type($value)
  }];
  let extraClassDeclaration = [{
    /// Number of (query, key) pairs that take part (all of them, or the causal triangle).
    static int64_t countAttendedPairs(int64_t seqQ, int64_t seqK, bool causal);
  }];
}

def Tide_RopeOp : Tide_CostOp<"rope", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Rotary position embedding (half-split pairing of Llama and GPT-NeoX)";
  let description = [{
    `input` is rank 4, `[batch, seq, heads, head_dim]` with `layout = bthd` or
    `[batch, heads, seq, head_dim]` with `layout = bhtd`. At sequence index t the position is
    `p = offset + t`; for `i < rot_dim / 2` and the angle `a = p * base^(-2 i / rot_dim)`,
    `y[i] = x[i] cos a - x[i + rot_dim/2] sin a` and
    `y[i + rot_dim/2] = x[i] sin a + x[i + rot_dim/2] cos a`; features `rot_dim..head_dim` pass
    through (partial rotary). With `inverse` the rotation is by `-a`: that is the backward (the
    rotation is orthogonal). `base` must be positive and finite, `rot_dim` even and in
    `[2, head_dim]`, `offset` in `[0, 2^31 - 1]`.

    ```mlir
    %q = tide.rope %x bhtd base = 10000.0 rot_dim = 64 offset = 0 : tensor<2x8x128x64xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Tide_RopeLayoutAttr:$layout, F64Attr:$base,
                       I64Attr:$rot_dim, I64Attr:$offset, UnitAttr:$inverse);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $input custom<RopeLayout>($layout) `base` `=` $base `rot_dim` `=` $rot_dim `offset` `=`
    $offset (`inverse` $inverse^)? attr-dict `:` type($input)
  }];
}

//===----------------------------------------------------------------------===//
// Regularization
//===----------------------------------------------------------------------===//

def Tide_DropoutOp : Tide_CostOp<"dropout", [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Dropout with a counter-based generator: the mask is recomputed, never stored";
  let description = [{
    Element i is kept with probability `1 - p` and scaled by `1 / (1 - p)`, or set to 0. The
    draw of element i is word `i % 4` of Philox4x32-10 with counter
    `{lo32(i / 4), hi32(i / 4), step, site}` and key `{lo32(seed), hi32(seed)}`, where `seed` is
    the plan's seed and `step` the 1-based training step; its uniform `u = (word >> 8) * 2^-24`
    keeps the element iff `u >= p` (p rounded to f32). A recomputed dropout (rematerialization)
    and its backward (`tide.dropout_grad`, the same mask applied to the gradient) therefore
    regenerate the forward's mask bit for bit. `p` is in `[0, 1)`; `site` in `[0, 2^32 - 1]`
    names the op's random stream and must be unique among the `tide.dropout` ops of a function.
    Dropout is a training-time op: an inference model leaves it out (each step the runtime runs
    draws a new mask).

    ```mlir
    %d = tide.dropout %x p = 0.1 site = 0 : tensor<4x128x768xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, F64Attr:$p, I64Attr:$site);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input `p` `=` $p `site` `=` $site attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

def Tide_MseLossOp : Tide_CostOp<"mse_loss",
    [Pure, InferTypeOpAdaptor, Tide_Differentiable, AllTypesMatch<["prediction", "target"]>]> {
  let summary = "Mean-squared error over all elements";
  let description = [{
    `result = mean((prediction - target)^2)`, a 0-d tensor of the operands' element type.

    ```mlir
    %l = tide.mse_loss %y, %t : tensor<8x4xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$prediction, Tide_FloatTensor:$target);
  let results = (outs Tide_ScalarFloatTensor:$result);
  let assemblyFormat = "$prediction `,` $target attr-dict `:` type($prediction)";
}

def Tide_SoftmaxCrossEntropyOp : Tide_CostOp<"softmax_cross_entropy",
    [Pure, InferTypeOpAdaptor, Tide_Differentiable]> {
  let summary = "Softmax cross-entropy against integer class labels, averaged over rows";
  let description = [{
    `logits` is [rows..., classes]; `labels` is [rows...] of i32 or i64 class indices in
    [0, classes). `result = mean over rows of (logsumexp(logits_row) - logits_row[label])`, a 0-d
    tensor.

    ```mlir
    %l = tide.softmax_cross_entropy %logits, %labels : tensor<4x128x512xf32>, tensor<4x128xi32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$logits, Tide_IndexTensor:$labels);
  let results = (outs Tide_ScalarFloatTensor:$result);
  let assemblyFormat = "$logits `,` $labels attr-dict `:` type($logits) `,` type($labels)";
}

def Tide_LmHeadLossOp : Tide_CostOp<"lm_head_loss",
    [Pure, InferTypeOpAdaptor, Tide_DifferentiableWithTrainingForm]> {
  let summary = "Fused LM head + cross-entropy, vocabulary-chunked (never holds the logits)";
  let description = [{
    `hidden` is [rows, dim], `weight` [vocab, dim] (as nn.Linear stores it), the optional `bias`
    [vocab], `labels` i32 [rows]. With `logits = hidden weight^T + bias`, the result is the mean
    over the rows whose label is not `ignore_index` of `logsumexp(logits_row) -
    logits_row[label]` (NaN when every row is ignored, as PyTorch). Every other label must be in
    [0, vocab). The runtime evaluates it in blocks of `row_chunk` rows x `vocab_chunk` classes
    with an online log-sum-exp, so the [rows, vocab] logits never exist; both chunk sizes are in
    [1, 2^31 - 1]. With `with_lse` (what tide-autodiff asks for) the op also returns each row's
    log-sum-exp ([rows]), which `tide.lm_head_loss_grad` consumes.

    ```mlir
    %l = tide.lm_head_loss %h, %wte, %labels ignore_index = -100 chunks = [512, 2048]
        : tensor<2048x768xf32>, tensor<50257x768xf32>, tensor<2048xi32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$hidden, Tide_FloatTensor:$weight,
                       Tide_I32Tensor:$labels, Optional<Tide_FloatTensor>:$bias,
                       I64Attr:$ignore_index, I64Attr:$row_chunk, I64Attr:$vocab_chunk,
                       UnitAttr:$with_lse);
  let results = (outs Tide_ScalarFloatTensor:$loss, Optional<Tide_FloatTensor>:$lse);
  let assemblyFormat = [{
    $hidden `,` $weight `,` $labels (`bias` $bias^ `:` type($bias))? `ignore_index` `=`
    $ignore_index `chunks` `=` `[` $row_chunk `,` $vocab_chunk `]` (`with_lse` $with_lse^)?
    attr-dict `:` type($hidden) `,` type($weight) `,` type($labels)
  }];
}

//===----------------------------------------------------------------------===//
// Checkpoint regions
//===----------------------------------------------------------------------===//

def Tide_CheckpointOp : Tide_Op<"checkpoint", [
    RecursiveMemoryEffects, SingleBlock,
    DeclareOpInterfaceMethods<TideCostOpInterface, ["getBytesRead"]>]> {
  let summary = "A sub-graph whose interior activations are recomputed, not stored";
  let description = [{
    The compiled form of a `@checkpoint` decorator. The single-block region may use values
    defined above it; its `tide.yield` gives the op's results. For training, `tide-remat`
    keeps only the region's inputs (the values it uses from outside) and its results, and
    recomputes the interior right before its first use in the backward pass. Regions do not nest.

    ```mlir
    %h = tide.checkpoint -> (tensor<8x16xf32>) {
      %a = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
      %b = tide.gelu %a tanh : tensor<8x16xf32>
      tide.yield %b : tensor<8x16xf32>
    }
    ```
  }];
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "(`->` `(` type($results)^ `)`)? $body attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The terminator of the body.
    YieldOp getYield();
  }];
}

def Tide_YieldOp : Tide_Op<"yield", [Pure, Terminator, ReturnLike,
                                     HasParent<"CheckpointOp">]> {
  let summary = "Returns values from a tide.checkpoint region";
  let arguments = (ins Variadic<AnyRankedTensor>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

include "TideTrainingOps.td"

#endif // TIDE_OPS_TD
