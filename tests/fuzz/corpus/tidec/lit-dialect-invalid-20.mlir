func.func @layer_norm_epsilon(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  %0 = tide.layer_norm %x, %g, %g axis = -1 epsilon = 0.0 : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>
  return
}
