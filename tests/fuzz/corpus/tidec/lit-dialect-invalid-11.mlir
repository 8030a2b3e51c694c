func.func @div_unranked(%a: tensor<*xf32>, %b: tensor<8xf32>) {
  %0 = tide.div %a, %b : (tensor<*xf32>, tensor<8xf32>) -> tensor<8xf32>
  return
}
