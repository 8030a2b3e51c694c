func.func @two_results(%w: tensor<4xf32> {tide.param}) -> (tensor<f32>, tensor<f32>) {
  %l = tide.mse_loss %w, %w : tensor<4xf32>
  return %l, %l : tensor<f32>, tensor<f32>
}
