// Test 3: a batched linear layer with a broadcast bias that is subtracted.
//   d bias = -reduce_to_shape(dy): [2, 4, 3] summed down to [3].
//   d w folds the batch into rows: x [2, 4, 8] -> [8, 8], dy [2, 4, 3] -> [8, 3], then
//   [8, 8]^T x [8, 3] = [8, 3] directly (no [2, 8, 3] temporary).
// GRAD-LABEL: func.func @batched_linear
// GRAD:      %[[DY:.*]] = tide.mse_loss_grad
// GRAD-NEXT: %[[NEG:.*]] = tide.scale %[[DY]] by -1.000000e+00 : tensor<2x4x3xf32>
// GRAD-NEXT: %[[DB:.*]] = tide.reduce_to_shape %[[NEG]] : tensor<2x4x3xf32> -> tensor<3xf32>
// GRAD-NEXT: %[[X2:.*]] = tide.reshape %arg0 : tensor<2x4x8xf32> -> tensor<8x8xf32>
// GRAD-NEXT: %[[DY2:.*]] = tide.reshape %[[DY]] : tensor<2x4x3xf32> -> tensor<8x3xf32>
// GRAD-NEXT: %[[DW:.*]] = tide.matmul %[[X2]], %[[DY2]] transpose_lhs : (tensor<8x8xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
// GRAD-NEXT: return %{{.*}}, %[[DW]], %[[DB]]
func.func @batched_linear(%x: tensor<2x4x8xf32>, %w: tensor<8x3xf32> {tide.param},
                          %b: tensor<3xf32> {tide.param}, %t: tensor<2x4x3xf32>) -> tensor<f32> {
  %y0 = tide.matmul %x, %w : (tensor<2x4x8xf32>, tensor<8x3xf32>) -> tensor<2x4x3xf32>
  %y = tide.sub %y0, %b : (tensor<2x4x3xf32>, tensor<3xf32>) -> tensor<2x4x3xf32>
  %l = tide.mse_loss %y, %t : tensor<2x4x3xf32>
  return %l : tensor<f32>
}
