func.func @mlp(
    %x: tensor<2x4xf32>,
    %target: tensor<2x4xf32>,
    %layers.0.weight: tensor<4x6xf32> {tide.param},
    %layers.0.bias: tensor<6xf32> {tide.param},
    %layers.1.weight: tensor<6x5xf32> {tide.param},
    %layers.1.bias: tensor<5xf32> {tide.param},
    %layers.2.weight: tensor<5x4xf32> {tide.param},
    %layers.2.bias: tensor<4xf32> {tide.param})
    -> tensor<f32> attributes {tide.input_names = ["x", "target"], tide.param_names = ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias"]} {
  %0 = tide.checkpoint -> (tensor<2x6xf32>) {
    %1 = tide.matmul %x, %layers.0.weight : (tensor<2x4xf32>, tensor<4x6xf32>) -> tensor<2x6xf32>
    %2 = tide.add %1, %layers.0.bias : (tensor<2x6xf32>, tensor<6xf32>) -> tensor<2x6xf32>
    %3 = tide.gelu %2 tanh : tensor<2x6xf32>
    tide.yield %3 : tensor<2x6xf32>
  }
  %4 = tide.checkpoint -> (tensor<2x5xf32>) {
    %5 = tide.matmul %0, %layers.1.weight : (tensor<2x6xf32>, tensor<6x5xf32>) -> tensor<2x5xf32>
    %6 = tide.add %5, %layers.1.bias : (tensor<2x5xf32>, tensor<5xf32>) -> tensor<2x5xf32>
    %7 = tide.gelu %6 tanh : tensor<2x5xf32>
    tide.yield %7 : tensor<2x5xf32>
  }
  %8 = tide.matmul %4, %layers.2.weight : (tensor<2x5xf32>, tensor<5x4xf32>) -> tensor<2x4xf32>
  %9 = tide.add %8, %layers.2.bias : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %10 = tide.mse_loss %9, %target : tensor<2x4xf32>
  return %10 : tensor<f32>
}
