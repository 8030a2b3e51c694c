// Test 3: a reshape is a view of its input: %0 and %1 share group 2. The exp reads the view at
// step 2, the group's last use, so it writes in place too; the reduction reads it at step 4:
// the group lives [0, 5).
// A view of an argument is pinned with it.
func.func @views(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> (tensor<f32>, tensor<128xf32>) {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.reshape %0 : tensor<8x16xf32> -> tensor<128xf32>
  %2 = tide.exp %1 : tensor<128xf32>
  %3 = tide.reshape %x : tensor<8x16xf32> -> tensor<128xf32>
  %4 = tide.reduce_sum %2 axes = [0] : tensor<128xf32> -> tensor<f32>
  return %4, %3 : tensor<f32>, tensor<128xf32>
}
