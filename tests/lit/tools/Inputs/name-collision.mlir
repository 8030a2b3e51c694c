func.func @f(%x: tensor<4xf32>, %w: tensor<4xf32> {tide.param}, %b: tensor<4xf32> {tide.param}) -> tensor<4xf32> attributes {tide.input_names = ["a"], tide.param_names = ["a", "b"]} {
  %y = tide.mul %x, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %z = tide.add %y, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %z : tensor<4xf32>
}
