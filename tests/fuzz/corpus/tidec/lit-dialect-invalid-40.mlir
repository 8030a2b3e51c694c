func.func @mse_types(%a: tensor<8xf32>, %b: tensor<9xf32>) {
  %0 = "tide.mse_loss"(%a, %b) : (tensor<8xf32>, tensor<9xf32>) -> tensor<f32>
  return
}
