// Test 2: an elementwise chain. %0 dies at step 1, so the relu writes over it; %1 dies at step 2,
// so the tanh writes over that: one group [0, 4) of 512 B, LOAD 512 B. Without in-place reuse,
// three groups [0, 2), [1, 3), [2, 4): LOAD 1024 B (two live at steps 1 and 2).
// NOINPLACE-LABEL: tide-buffer-liveness @chain: 6 values, 4 steps, 3 arena buffers, LOAD 1024 B
// NOINPLACE:      group 2: [0, 2) 512 B: %0
// NOINPLACE-NEXT: group 3: [1, 3) 512 B: %1
// NOINPLACE-NEXT: group 4: [2, 4) 512 B: %2
func.func @chain(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<f32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.relu %0 : tensor<8x16xf32>
  %2 = tide.tanh %1 : tensor<8x16xf32>
  %3 = tide.mse_loss %2, %x : tensor<8x16xf32>
  return %3 : tensor<f32>
}
