// Test 2: an elementwise chain is already best (one 64 B group): the order is kept.
// LOG: tide-schedule @chain: LOAD 64 -> 64 B (kept the given order)
func.func @chain(%y: tensor<16xf32>) -> tensor<f32> {
  %a = tide.relu %y : tensor<16xf32>
  %b = tide.tanh %a : tensor<16xf32>
  %c = tide.exp %b : tensor<16xf32>
  %l = tide.reduce_sum %c axes = [0] : tensor<16xf32> -> tensor<f32>
  return %l : tensor<f32>
}
