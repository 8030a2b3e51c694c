// Test 1: %big (1024 floats = 4096 B) is computed first but only read at the end, so it is live
// while the small chain runs: with a/b (16 floats = 64 B, b in place over a) live at steps 1-4,
// LOAD = 4096 + 64 = 4160 B. The greedy order runs the ops that add the fewest bytes first:
// relu (+64), tanh (+64 -64 = 0, in place), the small reduction (frees b: -64), then exp (+4096),
// mul (in place over big) and the last reduction: the two never overlap, LOAD = 4096 B.
// LOG: tide-schedule @late_big: LOAD 4160 -> 4096 B
func.func @late_big(%x: tensor<1024xf32>, %y: tensor<16xf32>) -> (tensor<f32>, tensor<f32>) {
  %big = tide.exp %x : tensor<1024xf32>
  %a = tide.relu %y : tensor<16xf32>
  %b = tide.tanh %a : tensor<16xf32>
  %s = tide.mul %big, %big : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<1024xf32>
  %l1 = tide.reduce_sum %s axes = [0] : tensor<1024xf32> -> tensor<f32>
  %l2 = tide.reduce_sum %b axes = [0] : tensor<16xf32> -> tensor<f32>
  return %l1, %l2 : tensor<f32>, tensor<f32>
}
