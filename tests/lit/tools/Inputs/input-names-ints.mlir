func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> attributes {tide.input_names = [1, 2]} {
  %y = tide.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
