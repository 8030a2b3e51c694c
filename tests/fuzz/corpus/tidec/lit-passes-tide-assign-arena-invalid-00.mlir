// ALGO: tide-assign-arena: unknown algorithm 'first-fit'; choose one of: naive, greedy-size, best-fit, exact, default
// ALIGN: tide-assign-arena: alignment must be a power of two, got 48

// Two 512 B values live together need 1024 B: a capacity of 1000 cannot be met.
func.func @too_small(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<f32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.matmul %x, %w transpose_rhs : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %2 = tide.add %0, %1 : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %3 = tide.mse_loss %2, %x : tensor<8x16xf32>
  return %3 : tensor<f32>
}
