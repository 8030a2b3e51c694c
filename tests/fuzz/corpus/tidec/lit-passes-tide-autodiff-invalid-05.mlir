func.func @twice(%w: tensor<4xf32> {tide.param}) -> tensor<f32> attributes {tide.optimizer = "sgd"} {
  %l = tide.mse_loss %w, %w : tensor<4xf32>
  return %l : tensor<f32>
}
