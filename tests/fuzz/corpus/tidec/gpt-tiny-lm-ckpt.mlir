func.func @gpt(
    %x: tensor<1x3x4xf32>,
    %labels: tensor<1x3xi32>,
    %blocks.0.ln1.weight: tensor<4xf32> {tide.param},
    %blocks.0.ln1.bias: tensor<4xf32> {tide.param},
    %blocks.0.attn.q.weight: tensor<4x4xf32> {tide.param},
    %blocks.0.attn.q.bias: tensor<4xf32> {tide.param},
    %blocks.0.attn.k.weight: tensor<4x4xf32> {tide.param},
    %blocks.0.attn.k.bias: tensor<4xf32> {tide.param},
    %blocks.0.attn.v.weight: tensor<4x4xf32> {tide.param},
    %blocks.0.attn.v.bias: tensor<4xf32> {tide.param},
    %blocks.0.attn.out.weight: tensor<4x4xf32> {tide.param},
    %blocks.0.attn.out.bias: tensor<4xf32> {tide.param},
    %blocks.0.ln2.weight: tensor<4xf32> {tide.param},
    %blocks.0.ln2.bias: tensor<4xf32> {tide.param},
    %blocks.0.mlp.fc1.weight: tensor<4x16xf32> {tide.param},
    %blocks.0.mlp.fc1.bias: tensor<16xf32> {tide.param},
    %blocks.0.mlp.fc2.weight: tensor<16x4xf32> {tide.param},
    %blocks.0.mlp.fc2.bias: tensor<4xf32> {tide.param},
    %blocks.1.ln1.weight: tensor<4xf32> {tide.param},
    %blocks.1.ln1.bias: tensor<4xf32> {tide.param},
    %blocks.1.attn.q.weight: tensor<4x4xf32> {tide.param},
    %blocks.1.attn.q.bias: tensor<4xf32> {tide.param},
    %blocks.1.attn.k.weight: tensor<4x4xf32> {tide.param},
    %blocks.1.attn.k.bias: tensor<4xf32> {tide.param},
    %blocks.1.attn.v.weight: tensor<4x4xf32> {tide.param},
    %blocks.1.attn.v.bias: tensor<4xf32> {tide.param},
    %blocks.1.attn.out.weight: tensor<4x4xf32> {tide.param},
    %blocks.1.attn.out.bias: tensor<4xf32> {tide.param},
    %blocks.1.ln2.weight: tensor<4xf32> {tide.param},
    %blocks.1.ln2.bias: tensor<4xf32> {tide.param},
    %blocks.1.mlp.fc1.weight: tensor<4x16xf32> {tide.param},
    %blocks.1.mlp.fc1.bias: tensor<16xf32> {tide.param},
    %blocks.1.mlp.fc2.weight: tensor<16x4xf32> {tide.param},
    %blocks.1.mlp.fc2.bias: tensor<4xf32> {tide.param},
    %ln_f.weight: tensor<4xf32> {tide.param},
    %ln_f.bias: tensor<4xf32> {tide.param},
    %head.weight: tensor<4x5xf32> {tide.param})
    -> tensor<f32> attributes {tide.input_names = ["x", "labels"], tide.param_names = ["blocks.0.ln1.weight", "blocks.0.ln1.bias", "blocks.0.attn.q.weight", "blocks.0.attn.q.bias", "blocks.0.attn.k.weight", "blocks.0.attn.k.bias", "blocks.0.attn.v.weight", "blocks.0.attn.v.bias", "blocks.0.attn.out.weight", "blocks.0.attn.out.bias", "blocks.0.ln2.weight", "blocks.0.ln2.bias", "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias", "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias", "blocks.1.ln1.weight", "blocks.1.ln1.bias", "blocks.1.attn.q.weight", "blocks.1.attn.q.bias", "blocks.1.attn.k.weight", "blocks.1.attn.k.bias", "blocks.1.attn.v.weight", "blocks.1.attn.v.bias", "blocks.1.attn.out.weight", "blocks.1.attn.out.bias", "blocks.1.ln2.weight", "blocks.1.ln2.bias", "blocks.1.mlp.fc1.weight", "blocks.1.mlp.fc1.bias", "blocks.1.mlp.fc2.weight", "blocks.1.mlp.fc2.bias", "ln_f.weight", "ln_f.bias", "head.weight"]} {
  %0 = tide.checkpoint -> (tensor<1x3x4xf32>) {
    %1 = tide.layer_norm %x, %blocks.0.ln1.weight, %blocks.0.ln1.bias axis = -1 epsilon = 1.0e-05 : tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>
    %2 = tide.matmul %1, %blocks.0.attn.q.weight : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %3 = tide.add %2, %blocks.0.attn.q.bias : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %4 = tide.matmul %1, %blocks.0.attn.k.weight : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %5 = tide.add %4, %blocks.0.attn.k.bias : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %6 = tide.matmul %1, %blocks.0.attn.v.weight : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %7 = tide.add %6, %blocks.0.attn.v.bias : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %8 = tide.reshape %3 : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %9 = tide.transpose %8 permutation = [0, 2, 1, 3] : tensor<1x3x2x2xf32> -> tensor<1x2x3x2xf32>
    %10 = tide.reshape %5 : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %11 = tide.transpose %10 permutation = [0, 2, 1, 3] : tensor<1x3x2x2xf32> -> tensor<1x2x3x2xf32>
    %12 = tide.reshape %7 : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %13 = tide.transpose %12 permutation = [0, 2, 1, 3] : tensor<1x3x2x2xf32> -> tensor<1x2x3x2xf32>
    %14 = tide.attention %9, %11, %13 causal scale = 0.7071067811865475 chunks = [3, 3] : tensor<1x2x3x2xf32>, tensor<1x2x3x2xf32>, tensor<1x2x3x2xf32>
    %15 = tide.transpose %14 permutation = [0, 2, 1, 3] : tensor<1x2x3x2xf32> -> tensor<1x3x2x2xf32>
    %16 = tide.reshape %15 : tensor<1x3x2x2xf32> -> tensor<1x3x4xf32>
    %17 = tide.matmul %16, %blocks.0.attn.out.weight : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %18 = tide.add %17, %blocks.0.attn.out.bias : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %19 = tide.add %x, %18 : (tensor<1x3x4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
    %20 = tide.layer_norm %19, %blocks.0.ln2.weight, %blocks.0.ln2.bias axis = -1 epsilon = 1.0e-05 : tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>
    %21 = tide.matmul %20, %blocks.0.mlp.fc1.weight : (tensor<1x3x4xf32>, tensor<4x16xf32>) -> tensor<1x3x16xf32>
    %22 = tide.add %21, %blocks.0.mlp.fc1.bias : (tensor<1x3x16xf32>, tensor<16xf32>) -> tensor<1x3x16xf32>
    %23 = tide.gelu %22 tanh : tensor<1x3x16xf32>
    %24 = tide.matmul %23, %blocks.0.mlp.fc2.weight : (tensor<1x3x16xf32>, tensor<16x4xf32>) -> tensor<1x3x4xf32>
    %25 = tide.add %24, %blocks.0.mlp.fc2.bias : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %26 = tide.add %19, %25 : (tensor<1x3x4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
    tide.yield %26 : tensor<1x3x4xf32>
  }
  %27 = tide.checkpoint -> (tensor<1x3x4xf32>) {
    %28 = tide.layer_norm %0, %blocks.1.ln1.weight, %blocks.1.ln1.bias axis = -1 epsilon = 1.0e-05 : tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>
    %29 = tide.matmul %28, %blocks.1.attn.q.weight : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %30 = tide.add %29, %blocks.1.attn.q.bias : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %31 = tide.matmul %28, %blocks.1.attn.k.weight : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %32 = tide.add %31, %blocks.1.attn.k.bias : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %33 = tide.matmul %28, %blocks.1.attn.v.weight : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %34 = tide.add %33, %blocks.1.attn.v.bias : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %35 = tide.reshape %30 : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %36 = tide.transpose %35 permutation = [0, 2, 1, 3] : tensor<1x3x2x2xf32> -> tensor<1x2x3x2xf32>
    %37 = tide.reshape %32 : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %38 = tide.transpose %37 permutation = [0, 2, 1, 3] : tensor<1x3x2x2xf32> -> tensor<1x2x3x2xf32>
    %39 = tide.reshape %34 : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %40 = tide.transpose %39 permutation = [0, 2, 1, 3] : tensor<1x3x2x2xf32> -> tensor<1x2x3x2xf32>
    %41 = tide.attention %36, %38, %40 causal scale = 0.7071067811865475 chunks = [3, 3] : tensor<1x2x3x2xf32>, tensor<1x2x3x2xf32>, tensor<1x2x3x2xf32>
    %42 = tide.transpose %41 permutation = [0, 2, 1, 3] : tensor<1x2x3x2xf32> -> tensor<1x3x2x2xf32>
    %43 = tide.reshape %42 : tensor<1x3x2x2xf32> -> tensor<1x3x4xf32>
    %44 = tide.matmul %43, %blocks.1.attn.out.weight : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %45 = tide.add %44, %blocks.1.attn.out.bias : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %46 = tide.add %0, %45 : (tensor<1x3x4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
    %47 = tide.layer_norm %46, %blocks.1.ln2.weight, %blocks.1.ln2.bias axis = -1 epsilon = 1.0e-05 : tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>
    %48 = tide.matmul %47, %blocks.1.mlp.fc1.weight : (tensor<1x3x4xf32>, tensor<4x16xf32>) -> tensor<1x3x16xf32>
    %49 = tide.add %48, %blocks.1.mlp.fc1.bias : (tensor<1x3x16xf32>, tensor<16xf32>) -> tensor<1x3x16xf32>
    %50 = tide.gelu %49 tanh : tensor<1x3x16xf32>
    %51 = tide.matmul %50, %blocks.1.mlp.fc2.weight : (tensor<1x3x16xf32>, tensor<16x4xf32>) -> tensor<1x3x4xf32>
    %52 = tide.add %51, %blocks.1.mlp.fc2.bias : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %53 = tide.add %46, %52 : (tensor<1x3x4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
    tide.yield %53 : tensor<1x3x4xf32>
  }
  %54 = tide.layer_norm %27, %ln_f.weight, %ln_f.bias axis = -1 epsilon = 1.0e-05 : tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>
  %55 = tide.matmul %54, %head.weight : (tensor<1x3x4xf32>, tensor<4x5xf32>) -> tensor<1x3x5xf32>
  %56 = tide.softmax_cross_entropy %55, %labels : tensor<1x3x5xf32>, tensor<1x3xi32>
  return %56 : tensor<f32>
}
