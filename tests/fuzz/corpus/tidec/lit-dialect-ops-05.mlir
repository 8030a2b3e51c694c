func.func @movement(%x: tensor<2x16x4x8xf32>) {
  %0 = tide.transpose %x permutation = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
  %1 = tide.transpose %x permutation = [3, 2, 1, 0] : tensor<2x16x4x8xf32> -> tensor<8x4x16x2xf32>
  %2 = tide.reshape %x : tensor<2x16x4x8xf32> -> tensor<32x32xf32>
  %3 = tide.reshape %x : tensor<2x16x4x8xf32> -> tensor<1024xf32>
  return
}
