// Every verifier rule of the tide dialect, one malformed use per case, each with its message.

func.func @matmul_rank(%a: tensor<16xf32>, %b: tensor<16x4xf32>) {
  %0 = tide.matmul %a, %b : (tensor<16xf32>, tensor<16x4xf32>) -> tensor<4xf32>
  return
}
