func.func @attention_negative_chunk(%q: tensor<1x2x8x16xf32>) {
  %0 = tide.attention %q, %q, %q causal scale = 0.25 chunks = [8, -4] : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}
