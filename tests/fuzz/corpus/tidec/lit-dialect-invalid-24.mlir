func.func @reduce_range(%x: tensor<2x8xf32>) {
  %0 = tide.reduce_mean %x axes = [2] : tensor<2x8xf32> -> tensor<2xf32>
  return
}
