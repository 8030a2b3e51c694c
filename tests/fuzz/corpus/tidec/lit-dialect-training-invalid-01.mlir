func.func @softmax_grad_axis(%y: tensor<2x8xf32>) {
  %0 = tide.softmax_grad %y, %y axis = 2 : tensor<2x8xf32>
  return
}
