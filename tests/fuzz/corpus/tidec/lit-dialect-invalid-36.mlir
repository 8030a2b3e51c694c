func.func @attention_head_dim(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x32xf32>) {
  %0 = tide.attention %q, %k, %k scale = 0.25 chunks = [8, 8] : tensor<1x2x8x16xf32>, tensor<1x2x8x32xf32>, tensor<1x2x8x32xf32>
  return
}
