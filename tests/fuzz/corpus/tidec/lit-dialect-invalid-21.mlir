func.func @layer_norm_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  %0 = tide.layer_norm %x, %g, %g axis = 5 epsilon = 1.0e-05 : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>
  return
}
