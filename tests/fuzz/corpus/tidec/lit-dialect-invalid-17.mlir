func.func @softmax_scalar(%a: tensor<f32>) {
  %0 = tide.softmax %a axis = 0 : tensor<f32>
  return
}
