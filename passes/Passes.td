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
    (adds `m` and `v` arguments) return the loss followed by the updated parameters and states;
    each such result has `tide.updates = <argument index>`, each new argument
    `tide.state = "<kind>"` and `tide.state_of = <parameter index>`. `optimizer=none` returns the
    loss followed by each parameter's gradient (`tide.grad_of = <argument index>`), which is what
    gradient checks use.

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
           "L2 weight decay added to every gradient (PyTorch's weight_decay)">,
  ];
}

#endif // TIDEMARK_PASSES_TD
