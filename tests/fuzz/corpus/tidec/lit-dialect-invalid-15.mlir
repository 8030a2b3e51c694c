func.func @softmax_axis(%a: tensor<2x8xf32>) {
  %0 = tide.softmax %a axis = 2 : tensor<2x8xf32>
  return
}
