// Round trip of every tide op and every attribute combination that changes its meaning: the
// custom form parses, prints, and parses again to the same text; the generic form too.
// RUN: tide-opt %s -split-input-file | tide-opt -split-input-file | FileCheck %s
// RUN: tide-opt %s -split-input-file -mlir-print-op-generic | tide-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @matmul
func.func @matmul(%a: tensor<4x8x16xf32>, %w: tensor<16x32xf32>, %at: tensor<4x16x8xf32>,
                  %wt: tensor<32x16xf32>, %b: tensor<1x16x32xf32>) {
  // CHECK: tide.matmul %{{.*}}, %{{.*}} : (tensor<4x8x16xf32>, tensor<16x32xf32>) -> tensor<4x8x32xf32>
  %0 = tide.matmul %a, %w : (tensor<4x8x16xf32>, tensor<16x32xf32>) -> tensor<4x8x32xf32>
  // CHECK: tide.matmul %{{.*}}, %{{.*}} transpose_lhs : (tensor<4x16x8xf32>, tensor<16x32xf32>) -> tensor<4x8x32xf32>
  %1 = tide.matmul %at, %w transpose_lhs : (tensor<4x16x8xf32>, tensor<16x32xf32>) -> tensor<4x8x32xf32>
  // CHECK: tide.matmul %{{.*}}, %{{.*}} transpose_rhs : (tensor<4x8x16xf32>, tensor<32x16xf32>) -> tensor<4x8x32xf32>
  %2 = tide.matmul %a, %wt transpose_rhs : (tensor<4x8x16xf32>, tensor<32x16xf32>) -> tensor<4x8x32xf32>
  // CHECK: tide.matmul %{{.*}}, %{{.*}} transpose_lhs transpose_rhs : (tensor<4x16x8xf32>, tensor<32x16xf32>) -> tensor<4x8x32xf32>
  %3 = tide.matmul %at, %wt transpose_lhs transpose_rhs : (tensor<4x16x8xf32>, tensor<32x16xf32>) -> tensor<4x8x32xf32>
  // Batch dimensions broadcast: [4] with [1] gives [4].
  // CHECK: tide.matmul %{{.*}}, %{{.*}} : (tensor<4x8x16xf32>, tensor<1x16x32xf32>) -> tensor<4x8x32xf32>
  %4 = tide.matmul %a, %b : (tensor<4x8x16xf32>, tensor<1x16x32xf32>) -> tensor<4x8x32xf32>
  return
}

// -----

// CHECK-LABEL: func @binary
func.func @binary(%x: tensor<8x16xf32>, %row: tensor<16xf32>, %col: tensor<8x1xf32>,
                  %s: tensor<f32>, %y: tensor<2x1x16xf32>) {
  // CHECK: tide.add %{{.*}}, %{{.*}} : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %0 = tide.add %x, %x : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  // CHECK: tide.sub %{{.*}}, %{{.*}} : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  %1 = tide.sub %x, %row : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  // CHECK: tide.mul %{{.*}}, %{{.*}} : (tensor<8x1xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %2 = tide.mul %col, %x : (tensor<8x1xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  // CHECK: tide.div %{{.*}}, %{{.*}} : (tensor<8x16xf32>, tensor<f32>) -> tensor<8x16xf32>
  %3 = tide.div %x, %s : (tensor<8x16xf32>, tensor<f32>) -> tensor<8x16xf32>
  // Both operands broadcast: [2, 1, 16] with [8, 1] gives [2, 8, 16].
  // CHECK: tide.add %{{.*}}, %{{.*}} : (tensor<2x1x16xf32>, tensor<8x1xf32>) -> tensor<2x8x16xf32>
  %4 = tide.add %y, %col : (tensor<2x1x16xf32>, tensor<8x1xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<8x16xf32>, %h: tensor<3xf16>) {
  // CHECK: tide.relu %{{.*}} : tensor<8x16xf32>
  %0 = tide.relu %x : tensor<8x16xf32>
  // CHECK: tide.tanh %{{.*}} : tensor<8x16xf32>
  %1 = tide.tanh %x : tensor<8x16xf32>
  // CHECK: tide.exp %{{.*}} : tensor<8x16xf32>
  %2 = tide.exp %x : tensor<8x16xf32>
  // CHECK: tide.gelu %{{.*}} tanh : tensor<8x16xf32>
  %3 = tide.gelu %x tanh : tensor<8x16xf32>
  // CHECK: tide.gelu %{{.*}} exact : tensor<8x16xf32>
  %4 = tide.gelu %x exact : tensor<8x16xf32>
  // The element type is generic: f16 verifies too.
  // CHECK: tide.relu %{{.*}} : tensor<3xf16>
  %5 = tide.relu %h : tensor<3xf16>
  return
}

// -----

// CHECK-LABEL: func @normalizations
func.func @normalizations(%x: tensor<2x4x16xf32>, %g: tensor<16xf32>, %g2: tensor<4x16xf32>) {
  // CHECK: tide.softmax %{{.*}} axis = -1 : tensor<2x4x16xf32>
  %0 = tide.softmax %x axis = -1 : tensor<2x4x16xf32>
  // CHECK: tide.softmax %{{.*}} axis = 1 : tensor<2x4x16xf32>
  %1 = tide.softmax %x axis = 1 : tensor<2x4x16xf32>
  // CHECK: tide.layer_norm %{{.*}}, %{{.*}}, %{{.*}} axis = -1 epsilon = 1.000000e-05 : tensor<2x4x16xf32>, tensor<16xf32>, tensor<16xf32>
  %2 = tide.layer_norm %x, %g, %g axis = -1 epsilon = 1.0e-05 : tensor<2x4x16xf32>, tensor<16xf32>, tensor<16xf32>
  // Normalizing over the last two dimensions: scale and bias are [4, 16].
  // CHECK: tide.layer_norm %{{.*}}, %{{.*}}, %{{.*}} axis = 1 epsilon = 1.000000e-03 : tensor<2x4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>
  %3 = tide.layer_norm %x, %g2, %g2 axis = 1 epsilon = 1.0e-03 : tensor<2x4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>
  return
}

// -----

// CHECK-LABEL: func @reductions
func.func @reductions(%x: tensor<2x4x16xf32>) {
  // CHECK: tide.reduce_sum %{{.*}} axes = [1] : tensor<2x4x16xf32> -> tensor<2x16xf32>
  %0 = tide.reduce_sum %x axes = [1] : tensor<2x4x16xf32> -> tensor<2x16xf32>
  // CHECK: tide.reduce_sum %{{.*}} axes = [1] keep_dims : tensor<2x4x16xf32> -> tensor<2x1x16xf32>
  %1 = tide.reduce_sum %x axes = [1] keep_dims : tensor<2x4x16xf32> -> tensor<2x1x16xf32>
  // CHECK: tide.reduce_mean %{{.*}} axes = [-1, 0] : tensor<2x4x16xf32> -> tensor<4xf32>
  %2 = tide.reduce_mean %x axes = [-1, 0] : tensor<2x4x16xf32> -> tensor<4xf32>
  // CHECK: tide.reduce_mean %{{.*}} axes = [0, 1, 2] : tensor<2x4x16xf32> -> tensor<f32>
  %3 = tide.reduce_mean %x axes = [0, 1, 2] : tensor<2x4x16xf32> -> tensor<f32>
  // CHECK: tide.reduce_mean %{{.*}} axes = [0, 2] keep_dims : tensor<2x4x16xf32> -> tensor<1x4x1xf32>
  %4 = tide.reduce_mean %x axes = [0, 2] keep_dims : tensor<2x4x16xf32> -> tensor<1x4x1xf32>
  return
}

// -----

// CHECK-LABEL: func @movement
func.func @movement(%x: tensor<2x16x4x8xf32>) {
  // CHECK: tide.transpose %{{.*}} permutation = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
  %0 = tide.transpose %x permutation = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
  // CHECK: tide.transpose %{{.*}} permutation = [3, 2, 1, 0] : tensor<2x16x4x8xf32> -> tensor<8x4x16x2xf32>
  %1 = tide.transpose %x permutation = [3, 2, 1, 0] : tensor<2x16x4x8xf32> -> tensor<8x4x16x2xf32>
  // CHECK: tide.reshape %{{.*}} : tensor<2x16x4x8xf32> -> tensor<32x32xf32>
  %2 = tide.reshape %x : tensor<2x16x4x8xf32> -> tensor<32x32xf32>
  // CHECK: tide.reshape %{{.*}} : tensor<2x16x4x8xf32> -> tensor<1024xf32>
  %3 = tide.reshape %x : tensor<2x16x4x8xf32> -> tensor<1024xf32>
  return
}

// -----

// CHECK-LABEL: func @attention
func.func @attention(%q: tensor<2x4x32x16xf32>, %k: tensor<2x4x48x16xf32>) {
  // CHECK: tide.attention %{{.*}}, %{{.*}}, %{{.*}} scale = 2.500000e-01 chunks = [64, 64] : tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>
  %0 = tide.attention %q, %q, %q scale = 0.25 chunks = [64, 64] : tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>
  // CHECK: tide.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale = 2.500000e-01 chunks = [16, 8] : tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>
  %1 = tide.attention %q, %q, %q causal scale = 0.25 chunks = [16, 8] : tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>
  // Cross attention: 32 queries over 48 keys; chunks need not divide the lengths.
  // CHECK: tide.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale = 1.250000e-01 chunks = [7, 5] : tensor<2x4x32x16xf32>, tensor<2x4x48x16xf32>, tensor<2x4x48x16xf32>
  %2 = tide.attention %q, %k, %k causal scale = 0.125 chunks = [7, 5] : tensor<2x4x32x16xf32>, tensor<2x4x48x16xf32>, tensor<2x4x48x16xf32>
  return
}

// -----

// Grouped-query attention (4 query heads over 2 and 1 kv heads) and key padding.
// CHECK-LABEL: func @attention_gqa_padding
func.func @attention_gqa_padding(%q: tensor<2x4x32x16xf32>, %k2: tensor<2x2x48x16xf32>,
                                 %k1: tensor<2x1x48x16xf32>, %len: tensor<2xi32>) {
  // CHECK: tide.attention %{{.*}}, %{{.*}}, %{{.*}} scale = 2.500000e-01 chunks = [8, 8] : tensor<2x4x32x16xf32>, tensor<2x2x48x16xf32>, tensor<2x2x48x16xf32>
  %0 = tide.attention %q, %k2, %k2 scale = 0.25 chunks = [8, 8] : tensor<2x4x32x16xf32>, tensor<2x2x48x16xf32>, tensor<2x2x48x16xf32>
  // CHECK: tide.attention %{{.*}}, %{{.*}}, %{{.*}} key_lengths %{{.*}} : tensor<2xi32> scale = 2.500000e-01 chunks = [8, 8] : tensor<2x4x32x16xf32>, tensor<2x2x48x16xf32>, tensor<2x2x48x16xf32>
  %1 = tide.attention %q, %k2, %k2 key_lengths %len : tensor<2xi32> scale = 0.25 chunks = [8, 8] : tensor<2x4x32x16xf32>, tensor<2x2x48x16xf32>, tensor<2x2x48x16xf32>
  // CHECK: tide.attention %{{.*}}, %{{.*}}, %{{.*}} key_lengths %{{.*}} : tensor<2xi32> causal scale = 2.500000e-01 chunks = [8, 8] with_lse : tensor<2x4x32x16xf32>, tensor<2x1x48x16xf32>, tensor<2x1x48x16xf32>
  %2:2 = tide.attention %q, %k1, %k1 key_lengths %len : tensor<2xi32> causal scale = 0.25 chunks = [8, 8] with_lse : tensor<2x4x32x16xf32>, tensor<2x1x48x16xf32>, tensor<2x1x48x16xf32>
  return
}

// -----

// CHECK-LABEL: func @losses
func.func @losses(%y: tensor<8x4xf32>, %logits: tensor<2x8x10xf32>, %l32: tensor<2x8xi32>,
                  %l64: tensor<2x8xi64>) -> (tensor<f32>, tensor<f32>, tensor<f32>) {
  // CHECK: tide.mse_loss %{{.*}}, %{{.*}} : tensor<8x4xf32>
  %0 = tide.mse_loss %y, %y : tensor<8x4xf32>
  // CHECK: tide.softmax_cross_entropy %{{.*}}, %{{.*}} : tensor<2x8x10xf32>, tensor<2x8xi32>
  %1 = tide.softmax_cross_entropy %logits, %l32 : tensor<2x8x10xf32>, tensor<2x8xi32>
  // CHECK: tide.softmax_cross_entropy %{{.*}}, %{{.*}} : tensor<2x8x10xf32>, tensor<2x8xi64>
  %2 = tide.softmax_cross_entropy %logits, %l64 : tensor<2x8x10xf32>, tensor<2x8xi64>
  return %0, %1, %2 : tensor<f32>, tensor<f32>, tensor<f32>
}

// -----

// CHECK-LABEL: func @checkpoint
// CHECK-SAME: %{{.*}}: tensor<16x16xf32> {tide.param}
func.func @checkpoint(%x: tensor<8x16xf32>, %w: tensor<16x16xf32> {tide.param}) -> tensor<8x16xf32> {
  // CHECK: %[[R:.*]]:2 = tide.checkpoint -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  // CHECK:   tide.matmul
  // CHECK:   tide.gelu
  // CHECK:   tide.yield %{{.*}}, %{{.*}} : tensor<8x16xf32>, tensor<8x16xf32>
  // CHECK: }
  %r:2 = tide.checkpoint -> (tensor<8x16xf32>, tensor<8x16xf32>) {
    %a = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
    %b = tide.gelu %a tanh : tensor<8x16xf32>
    tide.yield %a, %b : tensor<8x16xf32>, tensor<8x16xf32>
  }
  // A region with no results.
  // CHECK: tide.checkpoint {
  // CHECK:   tide.yield
  tide.checkpoint {
    tide.yield
  }
  %s = tide.add %r#0, %r#1 : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  return %s : tensor<8x16xf32>
}
