func.func @matmul_element_type(%a: tensor<8x16xf32>, %b: tensor<16x4xf16>) {
  %0 = tide.matmul %a, %b : (tensor<8x16xf32>, tensor<16x4xf16>) -> tensor<8x4xf32>
  return
}
