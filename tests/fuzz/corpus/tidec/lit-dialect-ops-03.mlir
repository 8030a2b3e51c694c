func.func @normalizations(%x: tensor<2x4x16xf32>, %g: tensor<16xf32>, %g2: tensor<4x16xf32>) {
  %0 = tide.softmax %x axis = -1 : tensor<2x4x16xf32>
  %1 = tide.softmax %x axis = 1 : tensor<2x4x16xf32>
  %2 = tide.layer_norm %x, %g, %g axis = -1 epsilon = 1.0e-05 : tensor<2x4x16xf32>, tensor<16xf32>, tensor<16xf32>
  // Normalizing over the last two dimensions: scale and bias are [4, 16].
  %3 = tide.layer_norm %x, %g2, %g2 axis = 1 epsilon = 1.0e-03 : tensor<2x4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>
  return
}
