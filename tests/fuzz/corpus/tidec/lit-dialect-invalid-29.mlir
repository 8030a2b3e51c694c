func.func @transpose_duplicate(%x: tensor<2x8xf32>) {
  %0 = tide.transpose %x permutation = [1, 1] : tensor<2x8xf32> -> tensor<8x8xf32>
  return
}
