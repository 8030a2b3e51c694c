func.func @attention_heads(%q: tensor<1x2x8x16xf32>, %k: tensor<1x3x8x16xf32>) {
  %0 = tide.attention %q, %k, %k scale = 0.25 chunks = [8, 8] : tensor<1x2x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>
  return
}
