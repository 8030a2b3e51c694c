func.func @layer_norm_element_type(%x: tensor<2x8xf32>, %g: tensor<8xf16>) {
  %0 = tide.layer_norm %x, %g, %g axis = -1 epsilon = 1.0e-05 : tensor<2x8xf32>, tensor<8xf16>, tensor<8xf16>
  return
}
