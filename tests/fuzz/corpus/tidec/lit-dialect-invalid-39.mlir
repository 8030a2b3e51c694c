func.func @attention_scale(%q: tensor<1x2x8x16xf32>) {
  %0 = tide.attention %q, %q, %q scale = -1.0 chunks = [8, 8] : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}
