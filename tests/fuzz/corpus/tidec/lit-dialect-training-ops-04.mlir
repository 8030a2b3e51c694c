func.func @broadcasting(%dy: tensor<8x16xf32>, %s: tensor<8x1xf32>) {
  %0 = tide.reduce_to_shape %dy : tensor<8x16xf32> -> tensor<16xf32>
  %1 = tide.reduce_to_shape %dy : tensor<8x16xf32> -> tensor<8x1xf32>
  %2 = tide.broadcast %s : tensor<8x1xf32> -> tensor<8x16xf32>
  %3 = tide.scale %dy by -1.0 : tensor<8x16xf32>
  %4 = tide.fill 0.0 : tensor<8x16xf32>
  return
}
