func.func @reduce_keep_dims(%x: tensor<2x8xf32>) {
  // Without keep_dims the reduced axis disappears.
  %0 = tide.reduce_sum %x axes = [1] : tensor<2x8xf32> -> tensor<2x1xf32>
  return
}
