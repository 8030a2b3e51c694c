// One pre-LN transformer block (GPT-2 layout) and a regression loss:
//   h = x + Attention(LayerNorm1(x)),  y = h + MLP(LayerNorm2(h)),  loss = mse(y, target)
// batch 2, sequence 16, d_model 32, 4 heads of dimension 8, d_ff 128, causal attention evaluated
// in 8 x 8 chunks, GELU (tanh form) in the MLP. Initialisation (`tide.init`): layer-norm gains
// ones, weights normal(0, 0.02), biases and layer-norm shifts zeros.
func.func @gpt_block(%x: tensor<2x16x32xf32>, %target: tensor<2x16x32xf32>,
                     %ln1_g: tensor<32xf32> {tide.param, tide.init = "ones"},
                     %ln1_b: tensor<32xf32> {tide.param, tide.init = "zeros"},
                     %wq: tensor<32x32xf32> {tide.param, tide.init = "normal(0, 0.02)"},
                     %bq: tensor<32xf32> {tide.param, tide.init = "zeros"},
                     %wk: tensor<32x32xf32> {tide.param, tide.init = "normal(0, 0.02)"},
                     %bk: tensor<32xf32> {tide.param, tide.init = "zeros"},
                     %wv: tensor<32x32xf32> {tide.param, tide.init = "normal(0, 0.02)"},
                     %bv: tensor<32xf32> {tide.param, tide.init = "zeros"},
                     %wo: tensor<32x32xf32> {tide.param, tide.init = "normal(0, 0.02)"},
                     %bo: tensor<32xf32> {tide.param, tide.init = "zeros"},
                     %ln2_g: tensor<32xf32> {tide.param, tide.init = "ones"},
                     %ln2_b: tensor<32xf32> {tide.param, tide.init = "zeros"},
                     %w1: tensor<32x128xf32> {tide.param, tide.init = "normal(0, 0.02)"},
                     %b1: tensor<128xf32> {tide.param, tide.init = "zeros"},
                     %w2: tensor<128x32xf32> {tide.param, tide.init = "normal(0, 0.02)"},
                     %b2: tensor<32xf32> {tide.param, tide.init = "zeros"})
    -> tensor<f32> {
  // Attention sub-block.
  %h = tide.layer_norm %x, %ln1_g, %ln1_b axis = -1 epsilon = 1.0e-05
      : tensor<2x16x32xf32>, tensor<32xf32>, tensor<32xf32>
  %q0 = tide.matmul %h, %wq : (tensor<2x16x32xf32>, tensor<32x32xf32>) -> tensor<2x16x32xf32>
  %q1 = tide.add %q0, %bq : (tensor<2x16x32xf32>, tensor<32xf32>) -> tensor<2x16x32xf32>
  %k0 = tide.matmul %h, %wk : (tensor<2x16x32xf32>, tensor<32x32xf32>) -> tensor<2x16x32xf32>
  %k1 = tide.add %k0, %bk : (tensor<2x16x32xf32>, tensor<32xf32>) -> tensor<2x16x32xf32>
  %v0 = tide.matmul %h, %wv : (tensor<2x16x32xf32>, tensor<32x32xf32>) -> tensor<2x16x32xf32>
  %v1 = tide.add %v0, %bv : (tensor<2x16x32xf32>, tensor<32xf32>) -> tensor<2x16x32xf32>
  // [B, T, C] -> [B, T, H, D] -> [B, H, T, D]
  %q2 = tide.reshape %q1 : tensor<2x16x32xf32> -> tensor<2x16x4x8xf32>
  %q = tide.transpose %q2 permutation = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
  %k2 = tide.reshape %k1 : tensor<2x16x32xf32> -> tensor<2x16x4x8xf32>
  %k = tide.transpose %k2 permutation = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
  %v2 = tide.reshape %v1 : tensor<2x16x32xf32> -> tensor<2x16x4x8xf32>
  %v = tide.transpose %v2 permutation = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
  // scale = 1 / sqrt(8)
  %a = tide.attention %q, %k, %v causal scale = 0.35355339059327373 chunks = [8, 8]
      : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>
  %a1 = tide.transpose %a permutation = [0, 2, 1, 3] : tensor<2x4x16x8xf32> -> tensor<2x16x4x8xf32>
  %a2 = tide.reshape %a1 : tensor<2x16x4x8xf32> -> tensor<2x16x32xf32>
  %o0 = tide.matmul %a2, %wo : (tensor<2x16x32xf32>, tensor<32x32xf32>) -> tensor<2x16x32xf32>
  %o = tide.add %o0, %bo : (tensor<2x16x32xf32>, tensor<32xf32>) -> tensor<2x16x32xf32>
  %x1 = tide.add %x, %o : (tensor<2x16x32xf32>, tensor<2x16x32xf32>) -> tensor<2x16x32xf32>
  // MLP sub-block.
  %h2 = tide.layer_norm %x1, %ln2_g, %ln2_b axis = -1 epsilon = 1.0e-05
      : tensor<2x16x32xf32>, tensor<32xf32>, tensor<32xf32>
  %f0 = tide.matmul %h2, %w1 : (tensor<2x16x32xf32>, tensor<32x128xf32>) -> tensor<2x16x128xf32>
  %f1 = tide.add %f0, %b1 : (tensor<2x16x128xf32>, tensor<128xf32>) -> tensor<2x16x128xf32>
  %f2 = tide.gelu %f1 tanh : tensor<2x16x128xf32>
  %f3 = tide.matmul %f2, %w2 : (tensor<2x16x128xf32>, tensor<128x32xf32>) -> tensor<2x16x32xf32>
  %f = tide.add %f3, %b2 : (tensor<2x16x32xf32>, tensor<32xf32>) -> tensor<2x16x32xf32>
  %y = tide.add %x1, %f : (tensor<2x16x32xf32>, tensor<2x16x32xf32>) -> tensor<2x16x32xf32>
  %loss = tide.mse_loss %y, %target : tensor<2x16x32xf32>
  return %loss : tensor<f32>
}
