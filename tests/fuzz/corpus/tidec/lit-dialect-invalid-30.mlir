func.func @reshape_count(%x: tensor<2x8xf32>) {
  %0 = tide.reshape %x : tensor<2x8xf32> -> tensor<3x5xf32>
  return
}
