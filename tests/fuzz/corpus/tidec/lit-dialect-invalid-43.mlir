func.func @xent_labels_type(%l: tensor<4x10xf32>, %y: tensor<4xf32>) {
  %0 = tide.softmax_cross_entropy %l, %y : tensor<4x10xf32>, tensor<4xf32>
  return
}
