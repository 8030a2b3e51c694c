func.func @attention_rank(%q: tensor<4x32x16xf32>) {
  %0 = tide.attention %q, %q, %q scale = 0.25 chunks = [8, 8] : tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>
  return
}
