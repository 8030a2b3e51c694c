// The end-to-end grouped-query, key-padded attention model (tests/e2e/torch/train_compare.py
// --model gqa; torch_models.gqa_loss is the same in PyTorch): x [2, 8, 16] is projected to 4
// query heads and 2 key/value heads of head_dim 4, causal attention masks keys at or past
// key_lengths[b], the heads are merged, projected by wo, and compared with `target` (MSE).
func.func @gqa(%x: tensor<2x8x16xf32>, %key_lengths: tensor<2xi32>, %target: tensor<2x8x16xf32>,
               %wq: tensor<16x16xf32> {tide.param, tide.init = "normal(0, 0.5)"},
               %wk: tensor<16x8xf32> {tide.param, tide.init = "normal(0, 0.5)"},
               %wv: tensor<16x8xf32> {tide.param, tide.init = "normal(0, 0.5)"},
               %wo: tensor<16x16xf32> {tide.param, tide.init = "normal(0, 0.5)"})
    -> tensor<f32> attributes {tide.input_names = ["x", "key_lengths", "target"],
                               tide.param_names = ["wq", "wk", "wv", "wo"]} {
  %q0 = tide.matmul %x, %wq : (tensor<2x8x16xf32>, tensor<16x16xf32>) -> tensor<2x8x16xf32>
  %q1 = tide.reshape %q0 : tensor<2x8x16xf32> -> tensor<2x8x4x4xf32>
  %q = tide.transpose %q1 permutation = [0, 2, 1, 3] : tensor<2x8x4x4xf32> -> tensor<2x4x8x4xf32>
  %k0 = tide.matmul %x, %wk : (tensor<2x8x16xf32>, tensor<16x8xf32>) -> tensor<2x8x8xf32>
  %k1 = tide.reshape %k0 : tensor<2x8x8xf32> -> tensor<2x8x2x4xf32>
  %k = tide.transpose %k1 permutation = [0, 2, 1, 3] : tensor<2x8x2x4xf32> -> tensor<2x2x8x4xf32>
  %v0 = tide.matmul %x, %wv : (tensor<2x8x16xf32>, tensor<16x8xf32>) -> tensor<2x8x8xf32>
  %v1 = tide.reshape %v0 : tensor<2x8x8xf32> -> tensor<2x8x2x4xf32>
  %v = tide.transpose %v1 permutation = [0, 2, 1, 3] : tensor<2x8x2x4xf32> -> tensor<2x2x8x4xf32>
  %a = tide.attention %q, %k, %v key_lengths %key_lengths : tensor<2xi32> causal scale = 0.5
      chunks = [3, 3] : tensor<2x4x8x4xf32>, tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>
  %a1 = tide.transpose %a permutation = [0, 2, 1, 3] : tensor<2x4x8x4xf32> -> tensor<2x8x4x4xf32>
  %a2 = tide.reshape %a1 : tensor<2x8x4x4xf32> -> tensor<2x8x16xf32>
  %y = tide.matmul %a2, %wo : (tensor<2x8x16xf32>, tensor<16x16xf32>) -> tensor<2x8x16xf32>
  %loss = tide.mse_loss %y, %target : tensor<2x8x16xf32>
  return %loss : tensor<f32>
}
