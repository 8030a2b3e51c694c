func.func @xent_scalar(%l: tensor<f32>, %y: tensor<i32>) {
  %0 = tide.softmax_cross_entropy %l, %y : tensor<f32>, tensor<i32>
  return
}
