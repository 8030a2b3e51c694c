// The gradient rules of the ops real models are made of, as tide-autodiff emits them through
// each op's TideGradientOpInterface (compiler/dialect/TideGradients.cpp).
// RUN: tide-opt %s -split-input-file -tide-autodiff=optimizer=none | FileCheck %s

// Test 1: rms_norm switches to its training form (rstd [2, 3]) and its backward consumes it;
// rope's backward is the inverse rotation; dropout's is dropout_grad with the same p and site;
// the embedding table's gradient is a scatter-add of the gathered rows' gradient.
// CHECK-LABEL: func.func @llama
// CHECK:       %[[E:.*]] = tide.gather %arg1, %arg0
// CHECK:       %{{.*}}, %[[RSTD:.*]] = tide.rms_norm %[[E]], %arg2 axis = -1 epsilon = 1.000000e-05 with_rstd : tensor<2x3x8xf32>, tensor<8xf32>
// CHECK:       tide.rope %{{.*}} bthd base = 1.000000e+04 rot_dim = 4 offset = 2 :
// CHECK:       tide.dropout %{{.*}} p = 2.500000e-01 site = 5 :
// CHECK:       %[[DD:.*]] = tide.dropout_grad %{{.*}} p = 2.500000e-01 site = 5 :
// CHECK:       %[[DR:.*]] = tide.rope %[[DD]] bthd base = 1.000000e+04 rot_dim = 4 offset = 2 inverse :
// CHECK:       %[[DX:.*]], %[[DG:.*]] = tide.rms_norm_grad %[[E]], %arg2, %[[RSTD]], %{{.*}} axis = -1
// CHECK:       %[[DT:.*]] = tide.gather_grad %arg0, %[[DX]] : tensor<2x3xi32>, tensor<2x3x8xf32> -> tensor<10x8xf32>
// CHECK:       return %{{.*}}, %[[DT]], %[[DG]] :
func.func @llama(%ids: tensor<2x3xi32>, %wte: tensor<10x8xf32> {tide.param},
                 %g: tensor<8xf32> {tide.param}, %t: tensor<2x3x2x4xf32>) -> tensor<f32> {
  %e = tide.gather %wte, %ids : tensor<10x8xf32>, tensor<2x3xi32>
  %n = tide.rms_norm %e, %g axis = -1 epsilon = 1.0e-05 : tensor<2x3x8xf32>, tensor<8xf32>
  %q = tide.reshape %n : tensor<2x3x8xf32> -> tensor<2x3x2x4xf32>
  %r = tide.rope %q bthd base = 10000.0 rot_dim = 4 offset = 2 : tensor<2x3x2x4xf32>
  %d = tide.dropout %r p = 0.25 site = 5 : tensor<2x3x2x4xf32>
  %l = tide.mse_loss %d, %t : tensor<2x3x2x4xf32>
  return %l : tensor<f32>
}

// -----

// Test 2: the fused head as the loss. Its training form (with_lse) replaces the returned op; the
// backward recomputes the logits chunk by chunk and gives the hidden, weight and bias gradients.
// The slice's backward pads the gradient back with zeros, the concat's slices it, the pad's
// slices it at `low`; minimum's gradient goes to the operand that needs it.
// CHECK-LABEL: func.func @head
// CHECK:       %[[LOSS:.*]], %[[LSE:.*]] = tide.lm_head_loss %{{.*}}, %arg1, %arg2 bias %arg3 : tensor<7xf32> ignore_index = -100 chunks = [2, 4] with_lse
// CHECK:       %[[ONE:.*]] = tide.fill 1.000000e+00 : tensor<f32>
// CHECK:       %[[DH:.*]], %[[DW:.*]], %[[DB:.*]] = tide.lm_head_loss_grad %{{.*}}, %arg1, %arg2, %[[LSE]], %[[ONE]] bias %arg3 : tensor<7xf32> ignore_index = -100 chunks = [2, 4]
// CHECK:       tide.slice %[[DH]] start = [0, 0] sizes = [4, 2] : tensor<4x5xf32> -> tensor<4x2xf32>
// CHECK:       %[[DP:.*]] = tide.slice %[[DH]] start = [0, 2] sizes = [4, 3] : tensor<4x5xf32> -> tensor<4x3xf32>
// CHECK:       tide.slice %[[DP]] start = [0, 1] sizes = [4, 2]
// CHECK:       tide.pad %{{.*}} low = [0, 1] high = [0, 3] value = 0.000000e+00 : tensor<4x2xf32> -> tensor<4x6xf32>
// CHECK:       tide.minimum_grad %arg0, %arg4, %{{.*}} operand = 0
// CHECK-NOT:   operand = 1
// CHECK:       return %[[LOSS]]
func.func @head(%x: tensor<4x6xf32> {tide.param}, %w: tensor<7x5xf32> {tide.param},
                %labels: tensor<4xi32>, %b: tensor<7xf32> {tide.param}, %cap: tensor<6xf32>)
    -> tensor<f32> {
  %m = tide.minimum %x, %cap : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
  %a = tide.slice %m start = [0, 0] sizes = [4, 2] : tensor<4x6xf32> -> tensor<4x2xf32>
  %c = tide.slice %m start = [0, 1] sizes = [4, 2] : tensor<4x6xf32> -> tensor<4x2xf32>
  %p = tide.pad %c low = [0, 1] high = [0, 0] value = 0.0 : tensor<4x2xf32> -> tensor<4x3xf32>
  %h = tide.concat %a, %p axis = 1 : tensor<4x2xf32>, tensor<4x3xf32> -> tensor<4x5xf32>
  %l = tide.lm_head_loss %h, %w, %labels bias %b : tensor<7xf32> ignore_index = -100
      chunks = [2, 4] : tensor<4x5xf32>, tensor<7x5xf32>, tensor<4xi32>
  return %l : tensor<f32>
}
