func.func @independent_loss(%x: tensor<4xf32>, %w: tensor<4xf32> {tide.param}) -> tensor<f32> {
  %l = tide.mse_loss %x, %x : tensor<4xf32>
  return %l : tensor<f32>
}
