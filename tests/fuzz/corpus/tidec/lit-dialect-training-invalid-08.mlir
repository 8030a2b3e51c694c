func.func @reduce_to_shape_bad(%dy: tensor<8x16xf32>) {
  %0 = tide.reduce_to_shape %dy : tensor<8x16xf32> -> tensor<8xf32>
  return
}
