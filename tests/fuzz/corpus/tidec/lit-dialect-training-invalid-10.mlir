func.func @broadcast_shrink(%s: tensor<4x16xf32>) {
  %0 = tide.broadcast %s : tensor<4x16xf32> -> tensor<16xf32>
  return
}
