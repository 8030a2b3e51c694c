// Test 1: %0 (step 0) is read by the relu (step 1) and by the loss (step 2), so it lives [0, 3)
// and the relu cannot write over it: %1 gets its own group [1, 3). Both are 8 x 16 x 4 = 512 B;
// at steps 1 and 2 both are live: LOAD = 1024 B. Arguments and the returned loss are pinned.
func.func @reuse_blocked(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<f32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.relu %0 : tensor<8x16xf32>
  %2 = tide.mse_loss %1, %0 : tensor<8x16xf32>
  return %2 : tensor<f32>
}
