func.func @f(%x: tensor<4xf32>, %u: tensor<*xf32>) -> tensor<4xf32> {
  %y = tide.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
