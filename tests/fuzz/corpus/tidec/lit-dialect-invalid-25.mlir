func.func @reduce_duplicate(%x: tensor<2x8xf32>) {
  // -1 and 1 name the same axis.
  %0 = tide.reduce_sum %x axes = [-1, 1] : tensor<2x8xf32> -> tensor<2xf32>
  return
}
