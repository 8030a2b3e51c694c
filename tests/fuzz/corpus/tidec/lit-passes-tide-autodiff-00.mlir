// Test 1: the example of the pass description. loss = mse(x w, t).
//   d loss / d y = mse_loss_grad(y, t, 1) = 2 (y - t) / 8, a [4, 2] tensor;
//   d loss / d w = x^T dy: [4, 8]^T x [4, 2] = [8, 2], emitted as matmul transpose_lhs;
//   x is not a parameter, so no dx is computed. Then w' = w - 0.1 dw.
// SGD-LABEL: func.func @linear
// SGD-SAME: -> (tensor<f32>, tensor<8x2xf32> {tide.updates = 1 : i64}) attributes {tide.optimizer = "sgd"}
// SGD:      %[[Y:.*]] = tide.matmul %arg0, %arg1
// SGD-NEXT: %[[L:.*]] = tide.mse_loss %[[Y]], %arg2
// SGD-NEXT: %[[ONE:.*]] = tide.fill 1.000000e+00 : tensor<f32>
// SGD-NEXT: %[[DY:.*]] = tide.mse_loss_grad %[[Y]], %arg2, %[[ONE]]
// SGD-NEXT: %[[DW:.*]] = tide.matmul %arg0, %[[DY]] transpose_lhs : (tensor<4x8xf32>, tensor<4x2xf32>) -> tensor<8x2xf32>
// SGD-NEXT: %[[W:.*]] = tide.sgd_update %arg1, %[[DW]] lr = 1.000000e-01 momentum = 0.000000e+00 weight_decay = 0.000000e+00
// SGD-NEXT: return %[[L]], %[[W]] : tensor<f32>, tensor<8x2xf32>
// GRAD-LABEL: func.func @linear
// GRAD-SAME: -> (tensor<f32>, tensor<8x2xf32> {tide.grad_of = 1 : i64}) attributes {tide.optimizer = "none"}
// GRAD:      %[[DW:.*]] = tide.matmul %arg0, %{{.*}} transpose_lhs
// GRAD-NEXT: return %{{.*}}, %[[DW]]
// Adam adds two state arguments m and v for w (arguments 3 and 4) and returns their new values.
// ADAM-LABEL: func.func @linear
// ADAM-SAME: %arg3: tensor<8x2xf32> {tide.state = "adam_m", tide.state_of = 1 : i64}, %arg4: tensor<8x2xf32> {tide.state = "adam_v", tide.state_of = 1 : i64}
// ADAM-SAME: -> (tensor<f32>, tensor<8x2xf32> {tide.updates = 1 : i64}, tensor<8x2xf32> {tide.updates = 3 : i64}, tensor<8x2xf32> {tide.updates = 4 : i64})
// ADAM:      %[[P:.*]], %[[M:.*]], %[[V:.*]] = tide.adam_update %arg1, %{{.*}}, %arg3, %arg4 lr = 1.000000e-03
// ADAM-NEXT: return %{{.*}}, %[[P]], %[[M]], %[[V]]
// Momentum adds a velocity argument.
// MOM-LABEL: func.func @linear
// MOM-SAME: %arg3: tensor<8x2xf32> {tide.state = "sgd_velocity", tide.state_of = 1 : i64}
// MOM:      tide.sgd_update %arg1, %{{.*}} velocity %arg3 : tensor<8x2xf32> lr = 1.000000e-01 momentum = 9.000000e-01
func.func @linear(%x: tensor<4x8xf32>, %w: tensor<8x2xf32> {tide.param}, %t: tensor<4x2xf32>)
    -> tensor<f32> {
  %y = tide.matmul %x, %w : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  %l = tide.mse_loss %y, %t : tensor<4x2xf32>
  return %l : tensor<f32>
}
