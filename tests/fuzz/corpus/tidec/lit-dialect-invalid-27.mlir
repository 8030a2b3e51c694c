func.func @transpose_length(%x: tensor<2x8x4xf32>) {
  %0 = tide.transpose %x permutation = [1, 0] : tensor<2x8x4xf32> -> tensor<8x2x4xf32>
  return
}
