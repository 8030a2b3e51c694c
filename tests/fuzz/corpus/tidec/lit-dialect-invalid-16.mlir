func.func @softmax_negative_axis(%a: tensor<2x8xf32>) {
  %0 = tide.softmax %a axis = -3 : tensor<2x8xf32>
  return
}
