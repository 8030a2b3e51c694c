// Both ops gain their statistics results: layer_norm's mean and rstd are [2, 4] (the input
// [2, 4, 8] without the normalized axis), attention's log-sum-exp is [1, 2, 4]; the main results
// keep their uses.
func.func @inference(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %q: tensor<1x2x4x8xf32>)
    -> (tensor<2x4x8xf32>, tensor<1x2x4x8xf32>) {
  %y = tide.layer_norm %x, %g, %g axis = -1 epsilon = 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>
  %o = tide.attention %q, %q, %q scale = 0.5 chunks = [2, 2] : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
  return %y, %o : tensor<2x4x8xf32>, tensor<1x2x4x8xf32>
}
