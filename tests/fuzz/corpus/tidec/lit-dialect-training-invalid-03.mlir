func.func @layer_norm_grad_scale(%x: tensor<4x16xf32>, %g: tensor<8xf32>, %m: tensor<4xf32>) {
  %0:3 = tide.layer_norm_grad %x, %g, %m, %m, %x axis = -1 : tensor<4x16xf32>, tensor<8xf32>, tensor<4xf32>
  return
}
