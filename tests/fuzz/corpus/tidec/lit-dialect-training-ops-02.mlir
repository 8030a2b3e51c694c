func.func @attention_training(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x6x4xf32>) {
  %o, %lse = tide.attention %q, %k, %k causal scale = 0.5 chunks = [4, 3] with_lse : tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32>
  %dq, %dk, %dv = tide.attention_grad %q, %k, %k, %o, %lse, %o causal scale = 0.5 chunks = [4, 3] : tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x8xf32>
  return
}
