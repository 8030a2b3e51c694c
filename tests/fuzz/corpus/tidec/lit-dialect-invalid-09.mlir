func.func @mul_element_type(%a: tensor<8xf32>, %b: tensor<8xf64>) {
  %0 = tide.mul %a, %b : (tensor<8xf32>, tensor<8xf64>) -> tensor<8xf32>
  return
}
