func.func @layer_norm_scale(%x: tensor<2x8xf32>, %g: tensor<4xf32>, %b: tensor<8xf32>) {
  %0 = tide.layer_norm %x, %g, %b axis = -1 epsilon = 1.0e-05 : tensor<2x8xf32>, tensor<4xf32>, tensor<8xf32>
  return
}
