func.func @matmul_inner_transposed(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) {
  // With transpose_lhs, lhs [8, 16] is read as [16, 8]: K = 8, but rhs has K = 16.
  %0 = tide.matmul %a, %b transpose_lhs : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<16x4xf32>
  return
}
