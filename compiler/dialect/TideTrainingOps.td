//===- TideTrainingOps.td - gradient and optimizer ops -----*- tablegen -*-===//
//
// The ops tide-autodiff emits: the backward of each forward op that needs a dedicated kernel,
// the helpers of broadcasting's backward, a constant fill, and the optimizer updates. Included
// from TideOps.td (it reuses Tide_CostOp and the constraints there).
//
//===----------------------------------------------------------------------===//

#ifndef TIDE_TRAINING_OPS_TD
#define TIDE_TRAINING_OPS_TD

//===----------------------------------------------------------------------===//
// Activation gradients (from the forward input)
//===----------------------------------------------------------------------===//

class Tide_ActivationGradOp<string mnemonic, string forward, string formula> :
    Tide_CostOp<mnemonic, [Pure, InferTypeOpAdaptor, AllTypesMatch<["input", "grad"]>]> {
  let summary = "Gradient of tide." # forward # " from its saved input";
  let description = [{
    `result = grad * }] # formula # [{`, where `input` is the forward op's input and `grad` the
    gradient of its result. All three have the same type.

    ```mlir
    %dx = tide.}] # mnemonic # [{ %x, %dy : tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Tide_FloatTensor:$grad);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($input)";
}

// `input` may also be the relu's output: x > 0 exactly when relu(x) > 0 (tide-autodiff passes
// the output so that the input can die early).
def Tide_ReluGradOp : Tide_ActivationGradOp<"relu_grad", "relu", "(input > 0 ? 1 : 0)">;
def Tide_TanhGradOp : Tide_ActivationGradOp<"tanh_grad", "tanh", "(1 - tanh(input)^2)">;
def Tide_AbsGradOp : Tide_ActivationGradOp<"abs_grad", "abs", "sign(input) (0 at 0)">;
def Tide_SqrtGradOp : Tide_ActivationGradOp<"sqrt_grad", "sqrt", "0.5 / sqrt(input)">;
def Tide_RsqrtGradOp : Tide_ActivationGradOp<"rsqrt_grad", "rsqrt",
                                             "(-0.5 / (input sqrt(input)))">;
def Tide_LogGradOp : Tide_ActivationGradOp<"log_grad", "log", "(1 / input)">;
def Tide_SigmoidGradOp : Tide_ActivationGradOp<"sigmoid_grad", "sigmoid", "s (1 - s)">;
def Tide_SiluGradOp : Tide_ActivationGradOp<"silu_grad", "silu",
                                            "s (1 + input (1 - s))">;
def Tide_ErfGradOp : Tide_ActivationGradOp<"erf_grad", "erf",
                                           "(2 / sqrt(pi)) exp(-input^2)">;

def Tide_PowGradOp : Tide_CostOp<"pow_grad",
    [Pure, InferTypeOpAdaptor, AllTypesMatch<["input", "grad"]>]> {
  let summary = "Gradient of tide.pow from its saved input";
  let description = [{
    `result = grad * exponent * input^(exponent - 1)` (0 when `exponent` is 0).

    ```mlir
    %dx = tide.pow_grad %x, %dy exponent = 2.0 : tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Tide_FloatTensor:$grad, F64Attr:$exponent);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input `,` $grad `exponent` `=` $exponent attr-dict `:` type($input)";
}

def Tide_ClampGradOp : Tide_CostOp<"clamp_grad",
    [Pure, InferTypeOpAdaptor, AllTypesMatch<["input", "grad"]>]> {
  let summary = "Gradient of tide.clamp from its saved input";
  let description = [{
    `result = grad` where `min <= input <= max` (bounds included), 0 elsewhere.

    ```mlir
    %dx = tide.clamp_grad %x, %dy min = -1.0 max = 1.0 : tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Tide_FloatTensor:$grad, F64Attr:$min,
                       F64Attr:$max);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad `min` `=` $min `max` `=` $max attr-dict `:` type($input)
  }];
}

class Tide_MinMaxGradOp<string mnemonic, string forward, string wins> :
    Tide_CostOp<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let summary = "Gradient of tide." # forward # " for one operand";
  let description = [{
    The gradient of operand `operand` (0: lhs, 1: rhs) of `tide.}] # forward # [{ lhs, rhs`
    given the result's gradient `grad` (the broadcast shape): `grad` where that operand is
    }] # wins # [{ the other, `grad / 2` where they are equal (PyTorch's tie split), 0 elsewhere,
    summed down to the operand's shape.

    ```mlir
    %da = tide.}] # mnemonic # [{ %a, %b, %dy operand = 0
        : tensor<8x16xf32>, tensor<16xf32>, tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$lhs, Tide_FloatTensor:$rhs, Tide_FloatTensor:$grad,
                       I64Attr:$operand);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $grad `operand` `=` $operand attr-dict `:` type($lhs) `,` type($rhs) `,`
    type($grad)
  }];
}

def Tide_MinimumGradOp : Tide_MinMaxGradOp<"minimum_grad", "minimum", "less than">;
def Tide_MaximumGradOp : Tide_MinMaxGradOp<"maximum_grad", "maximum", "greater than">;

def Tide_GeluGradOp : Tide_CostOp<"gelu_grad",
    [Pure, InferTypeOpAdaptor, AllTypesMatch<["input", "grad"]>]> {
  let summary = "Gradient of tide.gelu from its saved input";
  let description = [{
    `result = grad * gelu'(input)` for the same approximation as the forward op.

    ```mlir
    %dx = tide.gelu_grad %x, %dy tanh : tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Tide_FloatTensor:$grad,
                       Tide_GeluApproximationAttr:$approximation);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad custom<GeluApproximation>($approximation) attr-dict `:` type($input)
  }];
}

//===----------------------------------------------------------------------===//
// Normalization gradients
//===----------------------------------------------------------------------===//

def Tide_SoftmaxGradOp : Tide_CostOp<"softmax_grad",
    [Pure, InferTypeOpAdaptor, AllTypesMatch<["output", "grad"]>]> {
  let summary = "Gradient of tide.softmax from its saved output";
  let description = [{
    `result = output * (grad - sum(grad * output, axis))`, with `output` the softmax result.

    ```mlir
    %dx = tide.softmax_grad %y, %dy axis = -1 : tensor<2x4x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$output, Tide_FloatTensor:$grad, I64Attr:$axis);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$output `,` $grad `axis` `=` $axis attr-dict `:` type($output)";
}

def Tide_LayerNormGradOp : Tide_CostOp<"layer_norm_grad", [Pure, InferTypeOpAdaptor,
    AllTypesMatch<["mean", "rstd"]>, AllTypesMatch<["input", "grad"]>]> {
  let summary = "Gradient of tide.layer_norm: input, scale and bias gradients";
  let description = [{
    Given the forward input, scale, the per-row `mean` and `rstd` that `tide.layer_norm ...
    with_stats` saved, and the result gradient, computes `(d_input, d_scale, d_bias)`:
    with `xhat = (x - mean) * rstd` and `g = grad * scale`,
    `d_input = rstd * (g - mean(g) - xhat * mean(g * xhat))` over the normalized dimensions,
    `d_scale = sum over rows of grad * xhat`, `d_bias = sum over rows of grad`.

    ```mlir
    %dx, %dg, %db = tide.layer_norm_grad %x, %g, %mean, %rstd, %dy axis = -1
        : tensor<4x16xf32>, tensor<16xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Tide_FloatTensor:$scale, Tide_FloatTensor:$mean,
                       Tide_FloatTensor:$rstd, Tide_FloatTensor:$grad, I64Attr:$axis);
  let results = (outs Tide_FloatTensor:$d_input, Tide_FloatTensor:$d_scale,
                      Tide_FloatTensor:$d_bias);
  let assemblyFormat = [{
    $input `,` $scale `,` $mean `,` $rstd `,` $grad `axis` `=` $axis attr-dict `:`
    type($input) `,` type($scale) `,` type($mean)
  }];
}

def Tide_RmsNormGradOp : Tide_CostOp<"rms_norm_grad", [Pure, InferTypeOpAdaptor,
    AllTypesMatch<["input", "grad"]>]> {
  let summary = "Gradient of tide.rms_norm: input and scale gradients";
  let description = [{
    Given the forward input, scale, the per-row `rstd` that `tide.rms_norm ... with_rstd` saved
    and the result gradient, computes `(d_input, d_scale)`: with `xhat = x * rstd` and
    `g = grad * scale`, `d_input = rstd * (g - xhat * mean(g * xhat))` over the normalized
    dimensions and `d_scale = sum over rows of grad * xhat`.

    ```mlir
    %dx, %dg = tide.rms_norm_grad %x, %g, %rstd, %dy axis = -1
        : tensor<4x16xf32>, tensor<16xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Tide_FloatTensor:$scale, Tide_FloatTensor:$rstd,
                       Tide_FloatTensor:$grad, I64Attr:$axis);
  let results = (outs Tide_FloatTensor:$d_input, Tide_FloatTensor:$d_scale);
  let assemblyFormat = [{
    $input `,` $scale `,` $rstd `,` $grad `axis` `=` $axis attr-dict `:` type($input) `,`
    type($scale) `,` type($rstd)
  }];
}

//===----------------------------------------------------------------------===//
// Data movement and regularization gradients
//===----------------------------------------------------------------------===//

def Tide_GatherGradOp : Tide_Op<"gather_grad", [Pure,
    DeclareOpInterfaceMethods<TideCostOpInterface>]> {
  let summary = "Gradient of tide.gather's table: a scatter-add in a fixed order";
  let description = [{
    `result = 0`, then `result[ids[i...], :] += grad[i..., :]` for every index of `ids` in
    row-major order (the runtime keeps that order on any thread count, so the sums are
    bit-identical). The result type is the table's, [rows, dim]; `grad` is `ids.shape + [dim]`.
    Every id must be in [0, rows).

    ```mlir
    %dt = tide.gather_grad %ids, %dy : tensor<4x8xi32>, tensor<4x8x16xf32> -> tensor<100x16xf32>
    ```
  }];
  let arguments = (ins Tide_I32Tensor:$ids, Tide_FloatTensor:$grad);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $ids `,` $grad attr-dict `:` type($ids) `,` type($grad) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tide_ReduceMaxGradOp : Tide_CostOp<"reduce_max_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "Backward of tide.reduce_max: dY at the first maximum of each line, 0 elsewhere";
  let description = [{
    `input` is the forward input and `grad` the gradient of the forward result (its type: the
    reduced shape, with the reduced dimension kept as 1 exactly when `keep_dims`). The result has
    the input's type: along `axis`, each line is 0 except at the first index attaining the line's
    maximum (the first NaN in a line with one), which holds the line's `grad`.

    ```mlir
    %dx = tide.reduce_max_grad %x, %dm axis = -1 keep_dims : tensor<4x8xf32>, tensor<4x1xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Tide_FloatTensor:$grad, I64Attr:$axis,
                       UnitAttr:$keep_dims);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad `axis` `=` $axis (`keep_dims` $keep_dims^)? attr-dict `:` type($input) `,`
    type($grad)
  }];
}

def Tide_DropoutGradOp : Tide_CostOp<"dropout_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "Gradient of tide.dropout: the forward's mask, regenerated, on the gradient";
  let description = [{
    Exactly `tide.dropout` applied to `grad` with the forward op's `p` and `site` (same seed,
    same step): kept elements are scaled by `1 / (1 - p)`, dropped ones are 0.

    ```mlir
    %dx = tide.dropout_grad %dy p = 0.1 site = 0 : tensor<4x128x768xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$grad, F64Attr:$p, I64Attr:$site);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$grad `p` `=` $p `site` `=` $site attr-dict `:` type($grad)";
}

//===----------------------------------------------------------------------===//
// Attention gradient
//===----------------------------------------------------------------------===//

def Tide_AttentionGradOp : Tide_CostOp<"attention_grad", [Pure, InferTypeOpAdaptor,
    AllTypesMatch<["key", "value"]>, AllTypesMatch<["query", "output", "grad"]>]> {
  let summary = "Gradient of tide.attention, recomputing the scores chunk by chunk";
  let description = [{
    From the forward inputs, its output, the per-row log-sum-exp `lse` ([batch, heads, seq_q],
    saved by `tide.attention ... with_lse`) and the output gradient, computes
    `(d_query, d_key, d_value)` without materializing the score matrix: each
    `query_chunk x key_chunk` block of probabilities is recomputed as `exp(scale q k^T - lse)`.
    Attributes and the optional `key_lengths` match the forward op's. With grouped-query heads
    `d_key` and `d_value` are [batch, kv_heads, seq_k, head_dim]: the gradients of the query
    heads that share a key/value head are summed, in increasing head order (deterministic).
    Padded keys (j >= key_lengths[b]) get zero gradient.

    ```mlir
    %dq, %dk, %dv = tide.attention_grad %q, %k, %v, %o, %lse, %do causal scale = 0.125
        chunks = [64, 64] : tensor<2x4x128x64xf32>, tensor<2x4x128x64xf32>, tensor<2x4x128xf32>
    %dq8, %dk2, %dv2 = tide.attention_grad %q8, %k2, %v2, %o8, %lse8, %do8
        key_lengths %len : tensor<2xi32> scale = 0.125 chunks = [64, 64]
        : tensor<2x8x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x8x128xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$query, Tide_FloatTensor:$key, Tide_FloatTensor:$value,
                       Tide_FloatTensor:$output, Tide_FloatTensor:$lse, Tide_FloatTensor:$grad,
                       Optional<Tide_I32Tensor>:$key_lengths, UnitAttr:$causal, F64Attr:$scale, I64Attr:$query_chunk,
                       I64Attr:$key_chunk);
  let results = (outs Tide_FloatTensor:$d_query, Tide_FloatTensor:$d_key,
                      Tide_FloatTensor:$d_value);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $output `,` $lse `,` $grad
    (`key_lengths` $key_lengths^ `:` type($key_lengths))? (`causal` $causal^)?
    `scale` `=` $scale `chunks` `=` `[` $query_chunk `,` $key_chunk `]` attr-dict `:`
    type($query) `,` type($key) `,` type($lse)
  }];
}

//===----------------------------------------------------------------------===//
// Loss gradients
//===----------------------------------------------------------------------===//

def Tide_MseLossGradOp : Tide_CostOp<"mse_loss_grad",
    [Pure, InferTypeOpAdaptor, AllTypesMatch<["prediction", "target"]>]> {
  let summary = "Gradient of tide.mse_loss with respect to the prediction";
  let description = [{
    `result = grad * 2 * (prediction - target) / N` with N the element count and `grad` the 0-d
    gradient of the loss.

    ```mlir
    %dy = tide.mse_loss_grad %y, %t, %dl : tensor<8x4xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$prediction, Tide_FloatTensor:$target,
                       Tide_ScalarFloatTensor:$grad);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $prediction `,` $target `,` $grad attr-dict `:` type($prediction) `,` type($grad)
  }];
}

def Tide_SoftmaxCrossEntropyGradOp : Tide_CostOp<"softmax_cross_entropy_grad",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "Gradient of tide.softmax_cross_entropy with respect to the logits";
  let description = [{
    `result = grad * (softmax(logits) - onehot(labels)) / rows`, with `grad` the 0-d gradient of
    the loss.

    ```mlir
    %dl = tide.softmax_cross_entropy_grad %logits, %labels, %g
        : tensor<6x10xf32>, tensor<6xi32>, tensor<f32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$logits, Tide_IndexTensor:$labels,
                       Tide_ScalarFloatTensor:$grad);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels `,` $grad attr-dict `:` type($logits) `,` type($labels) `,` type($grad)
  }];
}

def Tide_LmHeadLossGradOp : Tide_CostOp<"lm_head_loss_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "Gradient of tide.lm_head_loss, recomputing the logits chunk by chunk";
  let description = [{
    From the forward operands, the per-row log-sum-exp `lse` ([rows], saved by
    `tide.lm_head_loss ... with_lse`) and the 0-d loss gradient `grad`, computes `d_hidden`
    ([rows, dim]), `d_weight` ([vocab, dim]) and, with a bias, `d_bias` ([vocab]): with
    `G = (exp(logits - lse) - onehot(label)) * grad / valid_rows` on the valid rows (0 on
    ignored rows), `d_hidden = G weight`, `d_weight = G^T hidden`, `d_bias = column sums of G`.
    Attributes match the forward op's.

    ```mlir
    %dh, %dw = tide.lm_head_loss_grad %h, %w, %labels, %lse, %dl ignore_index = -100
        chunks = [512, 2048] : tensor<2048x768xf32>, tensor<50257x768xf32>, tensor<2048xi32>,
        tensor<2048xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$hidden, Tide_FloatTensor:$weight,
                       Tide_I32Tensor:$labels, Tide_FloatTensor:$lse,
                       Tide_ScalarFloatTensor:$grad, Optional<Tide_FloatTensor>:$bias,
                       I64Attr:$ignore_index, I64Attr:$row_chunk, I64Attr:$vocab_chunk);
  let results = (outs Tide_FloatTensor:$d_hidden, Tide_FloatTensor:$d_weight,
                      Optional<Tide_FloatTensor>:$d_bias);
  let assemblyFormat = [{
    $hidden `,` $weight `,` $labels `,` $lse `,` $grad (`bias` $bias^ `:` type($bias))?
    `ignore_index` `=` $ignore_index `chunks` `=` `[` $row_chunk `,` $vocab_chunk `]` attr-dict
    `:` type($hidden) `,` type($weight) `,` type($labels) `,` type($lse) `,` type($grad)
  }];
}

//===----------------------------------------------------------------------===//
// Broadcasting helpers and constants
//===----------------------------------------------------------------------===//

def Tide_ReduceToShapeOp : Tide_Op<"reduce_to_shape", [Pure,
    DeclareOpInterfaceMethods<TideCostOpInterface>]> {
  let summary = "Sums a gradient down to the shape an operand had before broadcasting";
  let description = [{
    The backward of NumPy broadcasting: the result type (the operand's shape) must broadcast to
    the input's shape; the input is summed over every dimension along which it was broadcast.

    ```mlir
    %db = tide.reduce_to_shape %dy : tensor<8x16xf32> -> tensor<16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tide_BroadcastOp : Tide_Op<"broadcast", [Pure,
    DeclareOpInterfaceMethods<TideCostOpInterface>]> {
  let summary = "Broadcasts a tensor to a larger shape with NumPy rules";
  let description = [{
    The input's shape must broadcast to the result type's shape (the backward of reductions).

    ```mlir
    %b = tide.broadcast %s : tensor<4x1xf32> -> tensor<4x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tide_ScaleOp : Tide_CostOp<"scale", [Pure, InferTypeOpAdaptor]> {
  let summary = "Multiplies every element by a constant";
  let description = [{
    ```mlir
    %n = tide.scale %x by -1.0 : tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, F64Attr:$factor);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$input `by` $factor attr-dict `:` type($input)";
}

def Tide_FillOp : Tide_Op<"fill", [Pure, ConstantLike,
    DeclareOpInterfaceMethods<TideCostOpInterface>]> {
  let summary = "A tensor with every element equal to a constant";
  let description = [{
    ```mlir
    %one = tide.fill 1.0 : tensor<f32>
    ```
  }];
  let arguments = (ins F64Attr:$value);
  let results = (outs Tide_FloatTensor:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

def Tide_SgdUpdateOp : Tide_CostOp<"sgd_update",
    [Pure, InferTypeOpAdaptor, AllTypesMatch<["param", "grad"]>]> {
  let summary = "One SGD step for a parameter, with optional momentum and weight decay";
  let description = [{
    With `g = grad + weight_decay * param`: without `velocity`,
    `new_param = param - learning_rate * g`; with it (momentum mu),
    `new_velocity = mu * velocity + g` and `new_param = param - learning_rate * new_velocity`
    (the PyTorch convention). The results take the place of their operands in the persistent state
    (the function result's `tide.updates` attribute names the argument it overwrites).

    With `cosine warmup = W total = T min_lr = M` the learning rate follows a warm-up + cosine
    schedule over the update number t (0-based: the updates already applied, kept by the
    runtime): `lr (t + 1) / W` for t < W, then
    `M + (lr - M) (1 + cos(pi (t - W) / (T - W))) / 2` for W <= t < T, then M. It needs
    `0 <= W < T` and `0 <= M <= lr`; without it the rate is the constant `lr`.

    ```mlir
    %w1 = tide.sgd_update %w, %dw lr = 0.01 momentum = 0.0 weight_decay = 0.0 : tensor<16x4xf32>
    %w2, %v2 = tide.sgd_update %w, %dw velocity %v : tensor<16x4xf32> lr = 0.01 momentum = 0.9
        weight_decay = 0.0 : tensor<16x4xf32>
    %w3 = tide.sgd_update %w, %dw lr = 0.1 momentum = 0.0 weight_decay = 0.0
        cosine warmup = 100 total = 2000 min_lr = 0.01 : tensor<16x4xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$param, Tide_FloatTensor:$grad,
                       Optional<Tide_FloatTensor>:$velocity, F64Attr:$learning_rate,
                       F64Attr:$momentum, F64Attr:$weight_decay,
                       OptionalAttr<I64Attr>:$warmup_steps, OptionalAttr<I64Attr>:$total_steps,
                       OptionalAttr<F64Attr>:$min_lr);
  let results = (outs Tide_FloatTensor:$new_param, Optional<Tide_FloatTensor>:$new_velocity);
  let assemblyFormat = [{
    $param `,` $grad (`velocity` $velocity^ `:` type($velocity))? `lr` `=` $learning_rate
    `momentum` `=` $momentum
    `weight_decay` `=` $weight_decay
    (`cosine` `warmup` `=` $warmup_steps^ `total` `=` $total_steps `min_lr` `=` $min_lr)?
    attr-dict `:` type($param)
  }];
}

def Tide_AdamUpdateOp : Tide_CostOp<"adam_update",
    [Pure, InferTypeOpAdaptor, AllTypesMatch<["param", "grad", "m", "v"]>]> {
  let summary = "One Adam step for a parameter and its two moment estimates";
  let description = [{
    With t the 1-based step number (kept by the runtime) and `g = grad + weight_decay * param`:
    `m' = beta1 m + (1 - beta1) g`, `v' = beta2 v + (1 - beta2) g^2`,
    `param' = param - lr * (m' / (1 - beta1^t)) / (sqrt(v' / (1 - beta2^t)) + epsilon)`
    (PyTorch's Adam). With `decoupled` (AdamW, PyTorch's torch.optim.AdamW) the weight decay is
    not added to the gradient (`g = grad`); instead `param` is first multiplied by
    `1 - lr * weight_decay` (with the scheduled lr). The three results overwrite their operands
    in the persistent state.

    With `cosine warmup = W total = T min_lr = M` the learning rate follows a warm-up + cosine
    schedule over the update number t (0-based: the updates already applied, kept by the
    runtime): `lr (t + 1) / W` for t < W, then
    `M + (lr - M) (1 + cos(pi (t - W) / (T - W))) / 2` for W <= t < T, then M. It needs
    `0 <= W < T` and `0 <= M <= lr`; without it the rate is the constant `lr`.

    ```mlir
    %w1, %m1, %v1 = tide.adam_update %w, %dw, %m, %v lr = 1.0e-03 betas = [0.9, 0.999]
        epsilon = 1.0e-08 weight_decay = 0.0 : tensor<16x4xf32>
    %w2, %m2, %v2 = tide.adam_update %w, %dw, %m, %v lr = 1.0e-03 betas = [0.9, 0.999]
        epsilon = 1.0e-08 weight_decay = 0.1 decoupled cosine warmup = 10 total = 100
        min_lr = 1.0e-04 : tensor<16x4xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$param, Tide_FloatTensor:$grad, Tide_FloatTensor:$m,
                       Tide_FloatTensor:$v, F64Attr:$learning_rate, F64Attr:$beta1,
                       F64Attr:$beta2, F64Attr:$epsilon, F64Attr:$weight_decay,
                       UnitAttr:$decoupled, OptionalAttr<I64Attr>:$warmup_steps,
                       OptionalAttr<I64Attr>:$total_steps, OptionalAttr<F64Attr>:$min_lr);
  let results = (outs Tide_FloatTensor:$new_param, Tide_FloatTensor:$new_m,
                      Tide_FloatTensor:$new_v);
  let assemblyFormat = [{
    $param `,` $grad `,` $m `,` $v `lr` `=` $learning_rate `betas` `=` `[` $beta1 `,` $beta2 `]`
    `epsilon` `=` $epsilon `weight_decay` `=` $weight_decay (`decoupled` $decoupled^)?
    (`cosine` `warmup` `=` $warmup_steps^ `total` `=` $total_steps `min_lr` `=` $min_lr)?
    attr-dict `:` type($param)
  }];
}

//===----------------------------------------------------------------------===//
// Gradient clipping by global norm
//===----------------------------------------------------------------------===//

def Tide_SumSquaresOp : Tide_CostOp<"sum_squares", [Pure, InferTypeOpAdaptor]> {
  let summary = "Running sum of squares of gradient tensors (the global norm of clipping)";
  let description = [{
    `result = accumulator + sum(input^2)` as a 0-d tensor of the input's element type (without
    `accumulator`: `sum(input^2)`). The runtime sums each tensor in double (deterministically for
    any thread count) and rounds once, to the element type, when it adds the accumulator.
    tide-autodiff chains one per parameter gradient, in parameter order, to get the squared
    global norm that `tide.clip_coefficient` turns into the clipping factor; every link is a
    4-byte value planned in the arena like any other.

    ```mlir
    %s0 = tide.sum_squares %dw0 : tensor<16x4xf32>
    %s1 = tide.sum_squares %dw1 plus %s0 : tensor<f32> : tensor<4xf32>
    ```
  }];
  let arguments = (ins Tide_FloatTensor:$input, Optional<Tide_ScalarFloatTensor>:$accumulator);
  let results = (outs Tide_ScalarFloatTensor:$result);
  let assemblyFormat = [{
    $input (`plus` $accumulator^ `:` type($accumulator))? attr-dict `:` type($input)
  }];
}

def Tide_ClipCoefficientOp : Tide_CostOp<"clip_coefficient", [Pure, InferTypeOpAdaptor]> {
  let summary = "The global-norm clipping factor: min(1, max_norm / (norm + 1e-6))";
  let description = [{
    From the sum of squares `s` of every gradient (0-d), `result = min(1, max_norm / (sqrt(s) +
    1e-6))`: PyTorch's `torch.nn.utils.clip_grad_norm_` (norm type 2). Each gradient is then
    multiplied by it (`tide.mul`, broadcasting the 0-d factor) before its optimizer update.
    `max_norm` must be positive and finite (as a 32-bit float). A NaN or infinite norm gives a
    NaN or 0 factor, so the step's parameters show it (as PyTorch without error_if_nonfinite).

    ```mlir
    %c = tide.clip_coefficient %s max_norm = 1.0 : tensor<f32>
    %dw0c = tide.mul %dw0, %c : (tensor<16x4xf32>, tensor<f32>) -> tensor<16x4xf32>
    ```
  }];
  let arguments = (ins Tide_ScalarFloatTensor:$sum_of_squares, F64Attr:$max_norm);
  let results = (outs Tide_ScalarFloatTensor:$result);
  let assemblyFormat = [{
    $sum_of_squares `max_norm` `=` $max_norm attr-dict `:` type($sum_of_squares)
  }];
}

#endif // TIDE_TRAINING_OPS_TD
