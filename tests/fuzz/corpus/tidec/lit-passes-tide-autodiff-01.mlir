// Test 2: fan-out. a is used twice by b = a * a, so da = db * a + db * a (accumulated with add);
// reduce_sum over every axis sends the seed back as a broadcast of a [1, 1] reshape.
// GRAD-LABEL: func.func @fanout
// GRAD:      %[[A:.*]] = tide.matmul %arg0, %arg1
// GRAD:      %[[ONE:.*]] = tide.fill 1.000000e+00 : tensor<f32>
// GRAD-NEXT: %[[R:.*]] = tide.reshape %[[ONE]] : tensor<f32> -> tensor<1x1xf32>
// GRAD-NEXT: %[[DB:.*]] = tide.broadcast %[[R]] : tensor<1x1xf32> -> tensor<4x8xf32>
// GRAD-NEXT: %[[G1:.*]] = tide.mul %[[DB]], %[[A]]
// GRAD-NEXT: %[[G2:.*]] = tide.mul %[[DB]], %[[A]]
// GRAD-NEXT: %[[DA:.*]] = tide.add %[[G1]], %[[G2]]
// GRAD-NEXT: %[[DW:.*]] = tide.matmul %arg0, %[[DA]] transpose_lhs
// GRAD-NEXT: return %{{.*}}, %[[DW]]
func.func @fanout(%x: tensor<4x8xf32>, %w: tensor<8x8xf32> {tide.param}) -> tensor<f32> {
  %a = tide.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %b = tide.mul %a, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %l = tide.reduce_sum %b axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}
