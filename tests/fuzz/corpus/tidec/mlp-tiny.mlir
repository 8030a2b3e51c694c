func.func @mlp(
    %x: tensor<2x4xf32>,
    %labels: tensor<2xi32>,
    %layers.0.weight: tensor<4x8xf32> {tide.param},
    %layers.0.bias: tensor<8xf32> {tide.param},
    %layers.1.weight: tensor<8x3xf32> {tide.param},
    %layers.1.bias: tensor<3xf32> {tide.param})
    -> tensor<f32> attributes {tide.input_names = ["x", "labels"], tide.param_names = ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]} {
  %0 = tide.matmul %x, %layers.0.weight : (tensor<2x4xf32>, tensor<4x8xf32>) -> tensor<2x8xf32>
  %1 = tide.add %0, %layers.0.bias : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %2 = tide.relu %1 : tensor<2x8xf32>
  %3 = tide.matmul %2, %layers.1.weight : (tensor<2x8xf32>, tensor<8x3xf32>) -> tensor<2x3xf32>
  %4 = tide.add %3, %layers.1.bias : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %5 = tide.softmax_cross_entropy %4, %labels : tensor<2x3xf32>, tensor<2xi32>
  return %5 : tensor<f32>
}
