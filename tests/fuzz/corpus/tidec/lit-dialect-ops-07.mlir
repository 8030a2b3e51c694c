func.func @losses(%y: tensor<8x4xf32>, %logits: tensor<2x8x10xf32>, %l32: tensor<2x8xi32>,
                  %l64: tensor<2x8xi64>) -> (tensor<f32>, tensor<f32>, tensor<f32>) {
  %0 = tide.mse_loss %y, %y : tensor<8x4xf32>
  %1 = tide.softmax_cross_entropy %logits, %l32 : tensor<2x8x10xf32>, tensor<2x8xi32>
  %2 = tide.softmax_cross_entropy %logits, %l64 : tensor<2x8x10xf32>, tensor<2x8xi64>
  return %0, %1, %2 : tensor<f32>, tensor<f32>, tensor<f32>
}
