func.func @matmul_batch(%a: tensor<3x8x16xf32>, %b: tensor<2x16x4xf32>) {
  %0 = tide.matmul %a, %b : (tensor<3x8x16xf32>, tensor<2x16x4xf32>) -> tensor<3x8x4xf32>
  return
}
