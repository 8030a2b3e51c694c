func.func @attention_grad_chunks(%q: tensor<1x2x8x4xf32>, %lse: tensor<1x2x8xf32>) {
  %0:3 = tide.attention_grad %q, %q, %q, %q, %lse, %q scale = 0.5 chunks = [4, 0] : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8xf32>
  return
}
