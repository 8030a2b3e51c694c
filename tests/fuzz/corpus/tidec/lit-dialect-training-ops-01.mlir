func.func @layer_norm_training(%x: tensor<4x16xf32>, %g: tensor<16xf32>, %dy: tensor<4x16xf32>) {
  %y, %mean, %rstd = tide.layer_norm %x, %g, %g axis = -1 epsilon = 1.0e-05 with_stats : tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>
  %dx, %dg, %db = tide.layer_norm_grad %x, %g, %mean, %rstd, %dy axis = -1 : tensor<4x16xf32>, tensor<16xf32>, tensor<4xf32>
  return
}
