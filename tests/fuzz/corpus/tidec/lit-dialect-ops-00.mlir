// Round trip of every tide op and every attribute combination that changes its meaning: the
// custom form parses, prints, and parses again to the same text; the generic form too.

func.func @matmul(%a: tensor<4x8x16xf32>, %w: tensor<16x32xf32>, %at: tensor<4x16x8xf32>,
                  %wt: tensor<32x16xf32>, %b: tensor<1x16x32xf32>) {
  %0 = tide.matmul %a, %w : (tensor<4x8x16xf32>, tensor<16x32xf32>) -> tensor<4x8x32xf32>
  %1 = tide.matmul %at, %w transpose_lhs : (tensor<4x16x8xf32>, tensor<16x32xf32>) -> tensor<4x8x32xf32>
  %2 = tide.matmul %a, %wt transpose_rhs : (tensor<4x8x16xf32>, tensor<32x16xf32>) -> tensor<4x8x32xf32>
  %3 = tide.matmul %at, %wt transpose_lhs transpose_rhs : (tensor<4x16x8xf32>, tensor<32x16xf32>) -> tensor<4x8x32xf32>
  // Batch dimensions broadcast: [4] with [1] gives [4].
  %4 = tide.matmul %a, %b : (tensor<4x8x16xf32>, tensor<1x16x32xf32>) -> tensor<4x8x32xf32>
  return
}
