func.func @reductions(%x: tensor<2x4x16xf32>) {
  %0 = tide.reduce_sum %x axes = [1] : tensor<2x4x16xf32> -> tensor<2x16xf32>
  %1 = tide.reduce_sum %x axes = [1] keep_dims : tensor<2x4x16xf32> -> tensor<2x1x16xf32>
  %2 = tide.reduce_mean %x axes = [-1, 0] : tensor<2x4x16xf32> -> tensor<4xf32>
  %3 = tide.reduce_mean %x axes = [0, 1, 2] : tensor<2x4x16xf32> -> tensor<f32>
  %4 = tide.reduce_mean %x axes = [0, 2] keep_dims : tensor<2x4x16xf32> -> tensor<1x4x1xf32>
  return
}
