func.func @gelu_mode(%a: tensor<8xf32>) {
  %0 = tide.gelu %a erff : tensor<8xf32>
  return
}
