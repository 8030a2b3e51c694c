// Test 1: the elementwise chain of tide-buffer-liveness Test 2: one 512 B group, so every
// transient is at offset 0; arena = LOAD = 512, proven optimal. The loss (returned) is pinned: -1.
func.func @chain(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<f32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.relu %0 : tensor<8x16xf32>
  %2 = tide.tanh %1 : tensor<8x16xf32>
  %3 = tide.mse_loss %2, %x : tensor<8x16xf32>
  return %3 : tensor<f32>
}
