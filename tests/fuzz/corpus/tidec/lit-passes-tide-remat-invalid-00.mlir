// UNKNOWN: tide-remat: unknown rematerialization policy 'sometimes'; expected none, regions, segments=N or budget=BYTES
// SEGMENTS: tide-remat: segments=N needs a positive whole number of segments, got '0'
// BUDGET: tide-remat: budget=BYTES needs a positive byte count (optionally with K, M or G), got 'lots'
// NOTRAIN: tide-remat: policy 'regions' needs a training step: run -tide-autodiff first

// The training step of this function needs at least the [4, 8] activation (128 B) and its
// gradient at once: no recomputation gets the arena under 100 B; the message gives the smallest.
// SMALL: tide-remat: no rematerialization fits the budget of 100 bytes: the smallest arena tide-remat reaches is {{[0-9]+}} bytes
func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x8xf32> {tide.param}) -> tensor<f32> {
  %a = tide.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %h = tide.gelu %a tanh : tensor<4x8xf32>
  %l = tide.reduce_mean %h axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}
