// Test 1: the example from the pass description.
//   matmul [8, 16] x [16, 4]: 2 * 8 * 4 * 16 = 1024 FLOPs; reads (128 + 64) * 4 = 768 B,
//   writes 32 * 4 = 128 B. relu: 32 FLOPs, 128 B each way.
//   Totals: 1056 FLOPs over 896 + 256 = 1152 B moved: 0.92 FLOPs/B.
func.func @f(%x: tensor<8x16xf32>, %w: tensor<16x4xf32>) -> tensor<8x4xf32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %1 = tide.relu %0 : tensor<8x4xf32>
  return %1 : tensor<8x4xf32>
}
