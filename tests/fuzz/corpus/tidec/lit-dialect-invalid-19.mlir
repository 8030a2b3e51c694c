func.func @layer_norm_bias(%x: tensor<2x8xf32>, %g: tensor<2x8xf32>, %b: tensor<8xf32>) {
  // axis 0 normalizes over [2, 8]: the bias must be [2, 8].
  %0 = tide.layer_norm %x, %g, %b axis = 0 epsilon = 1.0e-05 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>
  return
}
