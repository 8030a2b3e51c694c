func.func @transpose_range(%x: tensor<2x8xf32>) {
  %0 = tide.transpose %x permutation = [0, 2] : tensor<2x8xf32> -> tensor<2x8xf32>
  return
}
