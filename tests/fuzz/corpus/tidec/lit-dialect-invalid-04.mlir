func.func @matmul_result(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) {
  %0 = tide.matmul %a, %b : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x5xf32>
  return
}
