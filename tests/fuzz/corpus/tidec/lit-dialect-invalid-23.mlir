func.func @reduce_empty(%x: tensor<2x8xf32>) {
  %0 = tide.reduce_sum %x axes = [] : tensor<2x8xf32> -> tensor<2x8xf32>
  return
}
