func.func @relu_result(%a: tensor<8xf32>) {
  %0 = "tide.relu"(%a) : (tensor<8xf32>) -> tensor<9xf32>
  return
}
