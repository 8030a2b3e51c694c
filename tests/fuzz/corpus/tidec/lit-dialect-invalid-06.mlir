func.func @matmul_dynamic(%a: tensor<?x16xf32>, %b: tensor<16x4xf32>) {
  %0 = tide.matmul %a, %b : (tensor<?x16xf32>, tensor<16x4xf32>) -> tensor<?x4xf32>
  return
}
