func.func @gpt(
    %x: tensor<1x4x8xf32>,
    %target: tensor<1x4x8xf32>,
    %blocks.0.ln1.weight: tensor<8xf32> {tide.param},
    %blocks.0.ln1.bias: tensor<8xf32> {tide.param},
    %blocks.0.attn.q.weight: tensor<8x8xf32> {tide.param},
    %blocks.0.attn.q.bias: tensor<8xf32> {tide.param},
    %blocks.0.attn.k.weight: tensor<8x8xf32> {tide.param},
    %blocks.0.attn.k.bias: tensor<8xf32> {tide.param},
    %blocks.0.attn.v.weight: tensor<8x8xf32> {tide.param},
    %blocks.0.attn.v.bias: tensor<8xf32> {tide.param},
    %blocks.0.attn.out.weight: tensor<8x8xf32> {tide.param},
    %blocks.0.attn.out.bias: tensor<8xf32> {tide.param},
    %blocks.0.ln2.weight: tensor<8xf32> {tide.param},
    %blocks.0.ln2.bias: tensor<8xf32> {tide.param},
    %blocks.0.mlp.fc1.weight: tensor<8x32xf32> {tide.param},
    %blocks.0.mlp.fc1.bias: tensor<32xf32> {tide.param},
    %blocks.0.mlp.fc2.weight: tensor<32x8xf32> {tide.param},
    %blocks.0.mlp.fc2.bias: tensor<8xf32> {tide.param})
    -> tensor<f32> attributes {tide.input_names = ["x", "target"], tide.param_names = ["blocks.0.ln1.weight", "blocks.0.ln1.bias", "blocks.0.attn.q.weight", "blocks.0.attn.q.bias", "blocks.0.attn.k.weight", "blocks.0.attn.k.bias", "blocks.0.attn.v.weight", "blocks.0.attn.v.bias", "blocks.0.attn.out.weight", "blocks.0.attn.out.bias", "blocks.0.ln2.weight", "blocks.0.ln2.bias", "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias", "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias"]} {
  %0 = tide.layer_norm %x, %blocks.0.ln1.weight, %blocks.0.ln1.bias axis = -1 epsilon = 1.0e-05 : tensor<1x4x8xf32>, tensor<8xf32>, tensor<8xf32>
  %1 = tide.matmul %0, %blocks.0.attn.q.weight : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
  %2 = tide.add %1, %blocks.0.attn.q.bias : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %3 = tide.matmul %0, %blocks.0.attn.k.weight : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
  %4 = tide.add %3, %blocks.0.attn.k.bias : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %5 = tide.matmul %0, %blocks.0.attn.v.weight : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
  %6 = tide.add %5, %blocks.0.attn.v.bias : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %7 = tide.reshape %2 : tensor<1x4x8xf32> -> tensor<1x4x2x4xf32>
  %8 = tide.transpose %7 permutation = [0, 2, 1, 3] : tensor<1x4x2x4xf32> -> tensor<1x2x4x4xf32>
  %9 = tide.reshape %4 : tensor<1x4x8xf32> -> tensor<1x4x2x4xf32>
  %10 = tide.transpose %9 permutation = [0, 2, 1, 3] : tensor<1x4x2x4xf32> -> tensor<1x2x4x4xf32>
  %11 = tide.reshape %6 : tensor<1x4x8xf32> -> tensor<1x4x2x4xf32>
  %12 = tide.transpose %11 permutation = [0, 2, 1, 3] : tensor<1x4x2x4xf32> -> tensor<1x2x4x4xf32>
  %13 = tide.attention %8, %10, %12 causal scale = 0.5 chunks = [3, 3] : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
  %14 = tide.transpose %13 permutation = [0, 2, 1, 3] : tensor<1x2x4x4xf32> -> tensor<1x4x2x4xf32>
  %15 = tide.reshape %14 : tensor<1x4x2x4xf32> -> tensor<1x4x8xf32>
  %16 = tide.matmul %15, %blocks.0.attn.out.weight : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
  %17 = tide.add %16, %blocks.0.attn.out.bias : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %18 = tide.add %x, %17 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %19 = tide.layer_norm %18, %blocks.0.ln2.weight, %blocks.0.ln2.bias axis = -1 epsilon = 1.0e-05 : tensor<1x4x8xf32>, tensor<8xf32>, tensor<8xf32>
  %20 = tide.matmul %19, %blocks.0.mlp.fc1.weight : (tensor<1x4x8xf32>, tensor<8x32xf32>) -> tensor<1x4x32xf32>
  %21 = tide.add %20, %blocks.0.mlp.fc1.bias : (tensor<1x4x32xf32>, tensor<32xf32>) -> tensor<1x4x32xf32>
  %22 = tide.gelu %21 tanh : tensor<1x4x32xf32>
  %23 = tide.matmul %22, %blocks.0.mlp.fc2.weight : (tensor<1x4x32xf32>, tensor<32x8xf32>) -> tensor<1x4x8xf32>
  %24 = tide.add %23, %blocks.0.mlp.fc2.bias : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %25 = tide.add %18, %24 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %26 = tide.mse_loss %25, %target : tensor<1x4x8xf32>
  return %26 : tensor<f32>
}
