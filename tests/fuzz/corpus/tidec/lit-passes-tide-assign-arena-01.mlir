// Test 2: alignment. Two 100 B values (25 floats) overlap at steps 1-2:
//   %0 = relu (step 0), %1 = exp (step 1), %2 = add %0, %1 (step 2, in place over %0),
//   %3 = loss (step 3). Groups: {%0, %2} [0, 4) and {%1} [1, 3). LOAD = 200 B.
//   alignment 64: the second buffer starts at the first multiple of 64 after 100, 128:
//   arena = 128 + 100 = 228. alignment 4: offsets 0 and 100, arena = 200 = LOAD.
//   naive (no reuse): every group gets its own range: 0 and 128 (64-aligned), also 228 here.
//   228 is optimal under 64-byte alignment (the exact polish proves it): proven_optimal = true.
// ALIGN4-LABEL: func.func @alignment
// ALIGN4-SAME: tide.arena = {algorithm = "greedy-size", alignment = 4 : i64, load = 200 : i64, proven_optimal = true, size = 200 : i64}
// NAIVE-LABEL: func.func @alignment
// NAIVE-SAME: algorithm = "naive", alignment = 64 : i64, load = 200 : i64, proven_optimal = false, size = 228 : i64
func.func @alignment(%x: tensor<25xf32>) -> tensor<f32> {
  %0 = tide.relu %x : tensor<25xf32>
  %1 = tide.exp %x : tensor<25xf32>
  %2 = tide.add %0, %1 : (tensor<25xf32>, tensor<25xf32>) -> tensor<25xf32>
  %3 = tide.mse_loss %2, %x : tensor<25xf32>
  return %3 : tensor<f32>
}
