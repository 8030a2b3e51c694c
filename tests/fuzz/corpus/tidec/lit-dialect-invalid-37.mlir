func.func @attention_chunks(%q: tensor<1x2x8x16xf32>) {
  %0 = tide.attention %q, %q, %q scale = 0.25 chunks = [0, 8] : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}
