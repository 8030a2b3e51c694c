// Test 3: two matmuls live together: %0 [0, 3) and %1 [1, 3); %2 = add %0, %1 at step 2 writes
//   over %0 (which dies there): groups {%0, %2} [0, 4) and {%1} [1, 3): arena 1024 = LOAD.
func.func @two_live(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<f32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.matmul %x, %w transpose_rhs : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %2 = tide.add %0, %1 : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %3 = tide.mse_loss %2, %x : tensor<8x16xf32>
  return %3 : tensor<f32>
}
