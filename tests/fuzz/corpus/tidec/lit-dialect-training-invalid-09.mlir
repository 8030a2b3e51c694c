func.func @broadcast_bad(%s: tensor<3x1xf32>) {
  %0 = tide.broadcast %s : tensor<3x1xf32> -> tensor<4x16xf32>
  return
}
