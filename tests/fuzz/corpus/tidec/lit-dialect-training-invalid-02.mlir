func.func @layer_norm_grad_stats(%x: tensor<4x16xf32>, %g: tensor<16xf32>, %m: tensor<16xf32>) {
  // The row statistics of a [4, 16] input normalized over the last axis are [4].
  %0:3 = tide.layer_norm_grad %x, %g, %m, %m, %x axis = -1 : tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>
  return
}
