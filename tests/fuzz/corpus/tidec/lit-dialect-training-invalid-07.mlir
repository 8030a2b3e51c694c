func.func @xent_grad_labels(%l: tensor<6x10xf32>, %y: tensor<5xi32>, %g: tensor<f32>) {
  %0 = tide.softmax_cross_entropy_grad %l, %y, %g : tensor<6x10xf32>, tensor<5xi32>, tensor<f32>
  return
}
