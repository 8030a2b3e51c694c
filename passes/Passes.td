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

def Autodiff : Pass<"tide-autodiff", "::mlir::func::FuncOp"> {
  let summary = "Turn a loss function into a training step: forward, backward, optimizer update";
  let description = [{
    Reverse-mode differentiation of a function whose single result is a scalar loss
    (`tensor<f32>`), with respect to every argument marked `tide.param`.

    1. `tide.checkpoint` regions are inlined; their ops keep the attribute
       `tide.checkpoint_region = N` so that `tide-remat policy=regions` can recompute them.
    2. `tide.layer_norm` and `tide.attention` switch to their training forms (`with_stats`,
       `with_lse`) when a gradient flows through them.
    3. Ops are visited in reverse; each emits its gradient ops (the rules are in
       docs/passes/tide-autodiff.md). A value used several times accumulates its gradient with
       `tide.add`; a broadcast operand's gradient is summed down with `tide.reduce_to_shape`.
    4. As soon as a parameter's gradient is complete (its first forward use has been
       differentiated), its optimizer update is emitted, so each gradient dies right away.

    `optimizer=sgd` (momentum > 0 adds a velocity argument per parameter) and `optimizer=adam`
    or `adamw` (decoupled weight decay; both add `m` and `v` arguments) return the loss followed
    by the updated parameters and states;
    each such result has `tide.updates = <argument index>`, each new argument
    `tide.state = "<kind>"` and `tide.state_of = <parameter index>`. `optimizer=none` returns the
    loss followed by each parameter's gradient (`tide.grad_of = <argument index>`), which is what
    gradient checks use.

    `clip-grad-norm=X` (X > 0) clips by the global norm over every parameter's gradient
    (PyTorch's clip_grad_norm_): the updates then wait for the whole backward; a chain of
    `tide.sum_squares` (one per gradient, in parameter order) feeds `tide.clip_coefficient`,
    and each gradient is multiplied by the factor (`tide.mul`) before its update. Every
    intermediate is a planned value. `lr-schedule=cosine` with `warmup-steps`, `total-steps`
    and `min-lr` puts the warm-up + cosine schedule on every update op (its formula is in
    `tide.sgd_update`'s description); the runtime's update counter drives it.

    ```mlir
    // Before
    func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x2xf32> {tide.param}, %t: tensor<4x2xf32>)
        -> tensor<f32> {
      %y = tide.matmul %x, %w : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
      %l = tide.mse_loss %y, %t : tensor<4x2xf32>
      return %l : tensor<f32>
    }
    // After -tide-autodiff="optimizer=sgd lr=0.1"
    func.func @f(%x: ..., %w: tensor<8x2xf32> {tide.param}, %t: ...)
        -> (tensor<f32>, tensor<8x2xf32> {tide.updates = 1 : i64}) attributes {tide.optimizer = "sgd"} {
      %y = tide.matmul %x, %w : ...
      %l = tide.mse_loss %y, %t : tensor<4x2xf32>
      %one = tide.fill 1.000000e+00 : tensor<f32>
      %dy = tide.mse_loss_grad %y, %t, %one : tensor<4x2xf32>, tensor<f32>
      %dw = tide.matmul %x, %dy transpose_lhs : ...
      %w1 = tide.sgd_update %w, %dw lr = 1.000000e-01 momentum = 0.000000e+00 weight_decay = 0.000000e+00 : tensor<8x2xf32>
      return %l, %w1 : tensor<f32>, tensor<8x2xf32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::tide::TideDialect"];
  let options = [
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "sgd, adam, or none (return the gradients instead of updating)">,
    Option<"learningRate", "lr", "double", /*default=*/"0.01", "Learning rate">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0",
           "SGD momentum (0: plain SGD, no velocity state)">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "Adam beta1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "Adam beta2">,
    Option<"epsilon", "epsilon", "double", /*default=*/"1e-8", "Adam epsilon">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.0",
           "L2 weight decay added to every gradient (PyTorch's weight_decay); with adamw the "
           "decoupled decay p *= 1 - lr * weight_decay">,
    Option<"clipGradNorm", "clip-grad-norm", "double", /*default=*/"0.0",
           "Clip the gradients by their global norm over every parameter to at most this "
           "(clip_grad_norm_); 0: no clipping">,
    Option<"lrSchedule", "lr-schedule", "std::string", /*default=*/"\"constant\"",
           "constant, or cosine (linear warm-up, then cosine decay to min-lr)">,
    Option<"warmupSteps", "warmup-steps", "int64_t", /*default=*/"0",
           "Warm-up updates of the cosine schedule">,
    Option<"totalSteps", "total-steps", "int64_t", /*default=*/"0",
           "Update at which the cosine schedule reaches min-lr (> warmup-steps)">,
    Option<"minLr", "min-lr", "double", /*default=*/"0.0",
           "Final learning rate of the cosine schedule (in [0, lr])">,
  ];
}

def InlineCheckpoints : Pass<"tide-inline-checkpoints", "::mlir::func::FuncOp"> {
  let summary = "Replace tide.checkpoint regions by their bodies (for inference plans)";
  let description = [{
    Moves the body of every `tide.checkpoint` in front of it, tags each moved op with
    `tide.checkpoint_region = N` (N counts regions in order), replaces the region's results by
    the yielded values and erases it. `tide-autodiff` does the same as its first step; an
    inference graph runs this pass before memory planning, which needs one flat block.

    ```mlir
    %h = tide.checkpoint -> (tensor<4xf32>) {
      %a = tide.relu %x : tensor<4xf32>
      tide.yield %a : tensor<4xf32>
    }
    // becomes
    %a = tide.relu %x {tide.checkpoint_region = 0 : i64} : tensor<4xf32>
    ```
  }];
}

def ExposeStats : Pass<"tide-expose-stats", "::mlir::func::FuncOp"> {
  let summary = "Give every op with a training form its statistics results (kernel form)";
  let description = [{
    The runtime's layer-norm kernel always writes the per-row mean and rstd, its attention and
    fused LM-head kernels the per-row log-sum-exp. `tide-autodiff` already switches the ops on
    gradient paths to their training forms (`TideGradientOpInterface::buildTrainingForm`:
    `with_stats`, `with_rstd`, `with_lse`); this pass does it for every remaining one (inference
    plans), so that memory planning sees every buffer the kernels write. The statistics are
    small (1 / normalized-size of the output).

    ```mlir
    %y = tide.layer_norm %x, %g, %b axis = -1 epsilon = 1.0e-05 : ...
    // becomes
    %y, %stats:2 = tide.layer_norm %x, %g, %b axis = -1 epsilon = 1.0e-05 with_stats : ...
    ```
  }];
}

def BufferLiveness : Pass<"tide-buffer-liveness", "::mlir::func::FuncOp"> {
  let summary = "Compute every value's live interval, storage group and in-place reuse";
  let description = [{
    An analysis over the schedule (the op order of the single block; step i is the i-th op).
    Each value is live over `[def step, last use + 1)`; a `tide.reshape` shares its input's
    storage (same alias group); function arguments and returned values are pinned (they live
    outside the arena); an elementwise op (add/sub/mul/div/minimum/maximum on an operand of the
    result's shape, the unary ops, scale, rope, dropout and dropout_grad, and the activation
    gradients on their gradient operand) writes its result over an operand whose storage dies at
    that op. The algorithm is
    `tidemark::planning::analyzeLiveness` (compiler/planning/ValueLiveness.h). With `print`,
    it prints every value and storage group, and LOAD, to stderr.

    ```mlir
    func.func @f(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<f32> {
      %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
      %1 = tide.relu %0 : tensor<8x16xf32>
      %2 = tide.mse_loss %1, %0 : tensor<8x16xf32>
      return %2 : tensor<f32>
    }
    ```
    `%0` is live [0, 3) (read by the loss at step 2), so `%1` cannot take it over and gets its
    own buffer [1, 3): LOAD = 512 + 512 = 1024 bytes at step 1 and 2.
  }];
  let options = [
    Option<"print", "print", "bool", /*default=*/"false",
           "Print each value's interval, size, group and in-place decision">,
    Option<"inPlace", "in-place", "bool", /*default=*/"true",
           "Let elementwise ops write over a dying operand">,
  ];
}

def AssignArena : Pass<"tide-assign-arena", "::mlir::func::FuncOp"> {
  let summary = "Place every transient value at a byte offset of one arena";
  let description = [{
    Runs the liveness analysis of `tide-buffer-liveness`, packs the storage groups with the
    chosen algorithm (`tidemark::planning::packProblem`: naive, greedy-size, best-fit, exact,
    default), has the independent verifier check the placement, and annotates:

    * every op with results: `tide.arena_offsets = array<i64: ...>`, one byte offset per result
      (-1 for a pinned result: arguments, parameters, outputs);
    * the function: `tide.arena = {size, load, alignment, algorithm, proven_optimal}`.

    With `capacity` > 0, an arena above it fails the pass with the smallest arena found and LOAD.

    ```mlir
    // Before: %0 = matmul [0, 2), %1 = relu(%0) in place, %2 = loss (output)
    %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
    %1 = tide.relu %0 : tensor<8x16xf32>
    // After
    %0 = tide.matmul %x, %w {tide.arena_offsets = array<i64: 0>} : ...
    %1 = tide.relu %0 {tide.arena_offsets = array<i64: 0>} : tensor<8x16xf32>
    // func attributes: tide.arena = {alignment = 64, algorithm = "default", load = 512,
    //                                 proven_optimal = true, size = 512}
    ```
  }];
  let options = [
    Option<"algorithm", "algorithm", "std::string", /*default=*/"\"default\"",
           "naive, greedy-size, best-fit, exact or default (heuristics, then exact polish)">,
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Byte alignment of every arena offset">,
    Option<"timeLimit", "time-limit", "double", /*default=*/"1.0",
           "Seconds the exact search (or the default's polish) may take">,
    Option<"capacity", "capacity", "int64_t", /*default=*/"0",
           "Fail when the arena would exceed this many bytes (0: no limit)">,
    Option<"inPlace", "in-place", "bool", /*default=*/"true",
           "Let elementwise ops write over a dying operand">,
    Option<"buffersCsv", "buffers-csv", "std::string", /*default=*/"",
           "Also write the packed buffers as a MiniMalloc CSV (id,lower,upper,size,offset) to "
           "this file, e.g. for bench/pack">,
  ];
}

def Schedule : Pass<"tide-schedule", "::mlir::func::FuncOp"> {
  let summary = "Reorder the block into a memory-aware topological order";
  let description = [{
    List scheduling (compiler/remat/Scheduler.h): among the ops whose operands are ready, run
    the one that adds the fewest bytes to the arena (its new results minus the operands it is
    the last reader of), ties to the original order. A state update (`tide.updates`) waits for
    every other reader of its argument, since the runtime updates in place. The new order is kept
    only if its LOAD is strictly lower; otherwise the block is left as it was.
    `print` reports LOAD before and after; the function gets
    `tide.schedule = {load_before, load_after, changed}`.

    ```mlir
    // %big is only needed at the end: computing it first keeps 4 KiB live for the whole chain.
    %big = tide.exp %x : tensor<1024xf32>           // moved down, next to its reader
    %a = tide.relu %y : tensor<16xf32>
    %b = tide.tanh %a : tensor<16xf32>
    %s = tide.mul %big, %big : (...) -> tensor<1024xf32>
    ```
  }];
  let options = [
    Option<"print", "print", "bool", /*default=*/"false", "Print LOAD before and after">,
    Option<"alignment", "alignment", "int64_t", /*default=*/"64", "Arena alignment">,
  ];
}

def Remat : Pass<"tide-remat", "::mlir::func::FuncOp"> {
  let summary = "Recompute activations in the backward pass instead of keeping them";
  let description = [{
    Chooses forward ops whose results the backward pass reads and clones each right before the
    first backward op that needs it (one clone serves every later backward use); the clones are
    tagged `tide.recomputed`. A clone is the same op on the same inputs, so it computes the same
    bits as the original. Policies (compiler/remat/Remat.h):

    * `none`: keep everything (statistics only);
    * `regions`: recompute the interior of each `tide.checkpoint` region (ops tagged
      `tide.checkpoint_region` by tide-autodiff whose results no forward op outside the region
      reads);
    * `segments=N`: split the forward pass into N segments of equal FLOPs, keep only the values
      that cross a segment boundary, and recompute the rest (not the last segment);
    * `budget=BYTES` (K, M, G suffixes): the packed arena (fragmentation included, as
      tide-assign-arena will pack it) must be at most BYTES, with as few extra FLOPs as the
      greedy search finds (see docs/passes/tide-remat.md). When no choice fits, the pass fails
      and states the smallest arena it can reach.

    The function gets `tide.remat = {policy, values_kept, bytes_kept, ops_recomputed,
    extra_flops, forward_flops, total_flops, load_before, load_after, arena_before,
    arena_after}`; `print-stats` prints the same.
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"none\"",
           "none, regions, segments=N or budget=BYTES">,
    Option<"printStats", "print-stats", "bool", /*default=*/"false",
           "Print what was kept and recomputed and the peak before and after">,
    Option<"alignment", "alignment", "int64_t", /*default=*/"64", "Arena alignment">,
  ];
}

def FuseAttention : Pass<"tide-fuse-attention", "::mlir::func::FuncOp"> {
  let summary = "Replace decomposed scaled dot-product attention by tide.attention";
  let description = [{
    Matches `matmul(softmax(mask(scale * matmul(q, k^T))), v)` as torch.onnx.export writes
    it (and the ONNX importer maps it 1:1) on [B, H, T, D] tensors, or [B, T, D] ones (viewed
    as one head), and replaces it by one `tide.attention`, which the runtime evaluates in
    chunks (O(T) extra memory instead of the [T, T] score matrix). The scale is the product of
    every multiplication by, or division by, a scalar constant on the scores, the query or the
    key; the key is the operand of `transpose_rhs` or of a transpose swapping the last two
    axes (composed with the head split: the key is then transposed once to [B, H, T, D]). The
    mask is absent, or exactly causal (query i sees keys j <= i + Tk - Tq): a constant
    `where` condition with a fill <= -1e9 (masked_fill), or an added constant of 0 and
    values <= -1e9. Anything else (an arbitrary mask, a non-constant scale, an intermediate
    with another use) is left as it is. The function gets
    `tide.fusions = {attention = N, attention_not_fused = M}` (M counts softmax-matmul
    candidates that did not match); `remarks` says why each was not fused.
    See docs/passes/tide-fuse-attention.md.

    ```mlir
    %kt = tide.transpose %k permutation = [0, 1, 3, 2] : tensor<1x2x4x8xf32> -> tensor<1x2x8x4xf32>
    %s = tide.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
    %c = arith.constant dense<2.82842708> : tensor<f32>
    %d = tide.div %s, %c : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
    %p = tide.softmax %d axis = 3 : tensor<1x2x4x4xf32>
    %o = tide.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
    // becomes
    %o = tide.attention %q, %k, %v scale = 0.35355339 chunks = [4, 4] : ...
    ```
  }];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark at each candidate that was not fused, with the reason">,
  ];
}

def FuseNorms : Pass<"tide-fuse-norms", "::mlir::func::FuncOp"> {
  let summary = "Replace decomposed LayerNorm, RMSNorm and GELU by tide.layer_norm, rms_norm, gelu";
  let description = [{
    Matches, over the last axis and with every intermediate used only inside the pattern:

    * LayerNorm: `(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) * gamma + beta` (the square
      as `pow 2` or `c * c`; gamma and beta `[D]`; eps a positive scalar constant) becomes
      `tide.layer_norm x, gamma, beta axis = rank - 1 epsilon = eps`;
    * RMSNorm: `x * rsqrt(mean(x^2) + eps) * w` (rsqrt as `tide.rsqrt`, `1 / sqrt` or a
      division by the sqrt; w `[D]`) becomes `tide.rms_norm x, w`;
    * GELU: `0.5 * x * (1 + erf(x / sqrt(2)))` becomes `tide.gelu x exact`, and
      `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))` `tide.gelu x tanh`; the
      factors in any order and grouping, divisions by constants as multiplications, every
      constant within 1e-6 relative of its exact value (f32 rounding).

    The function gets `tide.fusions = {layer_norm = N, layer_norm_not_fused = M, rms_norm =
    ..., gelu = ...}`, M counting candidates that started like the pattern but did not match;
    `remarks` says why each was refused. See docs/passes/tide-fuse-norms.md.

    ```mlir
    %1 = tide.reduce_mean %x axes = [2] keep_dims : tensor<2x5x16xf32> -> tensor<2x5x1xf32>
    %2 = tide.sub %x, %1 : (tensor<2x5x16xf32>, tensor<2x5x1xf32>) -> tensor<2x5x16xf32>
    %3 = tide.pow %2 exponent = 2.000000e+00 : tensor<2x5x16xf32>
    %4 = tide.reduce_mean %3 axes = [2] keep_dims : tensor<2x5x16xf32> -> tensor<2x5x1xf32>
    %5 = tide.add %4, %eps : (tensor<2x5x1xf32>, tensor<f32>) -> tensor<2x5x1xf32>
    %6 = tide.sqrt %5 : tensor<2x5x1xf32>
    %7 = tide.div %2, %6 : (tensor<2x5x16xf32>, tensor<2x5x1xf32>) -> tensor<2x5x16xf32>
    %8 = tide.mul %7, %gamma : (tensor<2x5x16xf32>, tensor<16xf32>) -> tensor<2x5x16xf32>
    %9 = tide.add %8, %beta : (tensor<2x5x16xf32>, tensor<16xf32>) -> tensor<2x5x16xf32>
    // becomes
    %9 = tide.layer_norm %x, %gamma, %beta axis = 2 epsilon = 9.9999997473787516E-6 : ...
    ```
  }];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark at each candidate that was not fused, with the reason">,
  ];
}

#endif // TIDEMARK_PASSES_TD
