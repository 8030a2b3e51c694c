func.func @xent_labels_shape(%l: tensor<4x10xf32>, %y: tensor<5xi32>) {
  %0 = tide.softmax_cross_entropy %l, %y : tensor<4x10xf32>, tensor<5xi32>
  return
}
