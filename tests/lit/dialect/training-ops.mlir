// Round trip of the gradient and optimizer ops, and of the training forms of layer_norm
// (with_stats) and attention (with_lse).
// RUN: tide-opt %s -split-input-file | tide-opt -split-input-file | FileCheck %s
// RUN: tide-opt %s -split-input-file -mlir-print-op-generic | tide-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @activations
func.func @activations(%x: tensor<8x16xf32>, %dy: tensor<8x16xf32>) {
  // CHECK: tide.relu_grad %{{.*}}, %{{.*}} : tensor<8x16xf32>
  %0 = tide.relu_grad %x, %dy : tensor<8x16xf32>
  // CHECK: tide.tanh_grad %{{.*}}, %{{.*}} : tensor<8x16xf32>
  %1 = tide.tanh_grad %x, %dy : tensor<8x16xf32>
  // CHECK: tide.gelu_grad %{{.*}}, %{{.*}} tanh : tensor<8x16xf32>
  %2 = tide.gelu_grad %x, %dy tanh : tensor<8x16xf32>
  // CHECK: tide.gelu_grad %{{.*}}, %{{.*}} exact : tensor<8x16xf32>
  %3 = tide.gelu_grad %x, %dy exact : tensor<8x16xf32>
  // CHECK: tide.softmax_grad %{{.*}}, %{{.*}} axis = -1 : tensor<8x16xf32>
  %4 = tide.softmax_grad %x, %dy axis = -1 : tensor<8x16xf32>
  return
}

// -----

// CHECK-LABEL: func @layer_norm_training
func.func @layer_norm_training(%x: tensor<4x16xf32>, %g: tensor<16xf32>, %dy: tensor<4x16xf32>) {
  // CHECK: %{{.*}}, %[[STATS:.*]]:2 = tide.layer_norm %{{.*}}, %{{.*}}, %{{.*}} axis = -1 epsilon = 1.000000e-05 with_stats : tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>
  %y, %mean, %rstd = tide.layer_norm %x, %g, %g axis = -1 epsilon = 1.0e-05 with_stats : tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = tide.layer_norm_grad %{{.*}}, %{{.*}}, %[[STATS]]#0, %[[STATS]]#1, %{{.*}} axis = -1 : tensor<4x16xf32>, tensor<16xf32>, tensor<4xf32>
  %dx, %dg, %db = tide.layer_norm_grad %x, %g, %mean, %rstd, %dy axis = -1 : tensor<4x16xf32>, tensor<16xf32>, tensor<4xf32>
  return
}

// -----

// CHECK-LABEL: func @attention_training
func.func @attention_training(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x6x4xf32>) {
  // CHECK: %[[O:.*]], %[[LSE:.*]] = tide.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale = 5.000000e-01 chunks = [4, 3] with_lse : tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32>
  %o, %lse = tide.attention %q, %k, %k causal scale = 0.5 chunks = [4, 3] with_lse : tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32>
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = tide.attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %[[O]], %[[LSE]], %[[O]] causal scale = 5.000000e-01 chunks = [4, 3] : tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x8xf32>
  %dq, %dk, %dv = tide.attention_grad %q, %k, %k, %o, %lse, %o causal scale = 0.5 chunks = [4, 3] : tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x8xf32>
  return
}

// -----

// Grouped-query (2 query heads, 1 kv head) with key padding: d_key, d_value have the kv heads.
// CHECK-LABEL: func @attention_gqa_training
func.func @attention_gqa_training(%q: tensor<1x2x8x4xf32>, %k: tensor<1x1x6x4xf32>, %len: tensor<1xi32>) -> (tensor<1x1x6x4xf32>, tensor<1x1x6x4xf32>) {
  // CHECK: %[[O:.*]], %[[LSE:.*]] = tide.attention %{{.*}}, %{{.*}}, %{{.*}} key_lengths %{{.*}} : tensor<1xi32> causal scale = 5.000000e-01 chunks = [4, 3] with_lse : tensor<1x2x8x4xf32>, tensor<1x1x6x4xf32>, tensor<1x1x6x4xf32>
  %o, %lse = tide.attention %q, %k, %k key_lengths %len : tensor<1xi32> causal scale = 0.5 chunks = [4, 3] with_lse : tensor<1x2x8x4xf32>, tensor<1x1x6x4xf32>, tensor<1x1x6x4xf32>
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = tide.attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %[[O]], %[[LSE]], %[[O]] key_lengths %{{.*}} : tensor<1xi32> causal scale = 5.000000e-01 chunks = [4, 3] : tensor<1x2x8x4xf32>, tensor<1x1x6x4xf32>, tensor<1x2x8xf32>
  %dq, %dk, %dv = tide.attention_grad %q, %k, %k, %o, %lse, %o key_lengths %len : tensor<1xi32> causal scale = 0.5 chunks = [4, 3] : tensor<1x2x8x4xf32>, tensor<1x1x6x4xf32>, tensor<1x2x8xf32>
  return %dk, %dv : tensor<1x1x6x4xf32>, tensor<1x1x6x4xf32>
}

// -----

// CHECK-LABEL: func @losses
func.func @losses(%y: tensor<8x4xf32>, %logits: tensor<6x10xf32>, %labels: tensor<6xi32>) {
  // CHECK: %[[ONE:.*]] = tide.fill 1.000000e+00 : tensor<f32>
  %one = tide.fill 1.0 : tensor<f32>
  // CHECK: tide.mse_loss_grad %{{.*}}, %{{.*}}, %[[ONE]] : tensor<8x4xf32>, tensor<f32>
  %0 = tide.mse_loss_grad %y, %y, %one : tensor<8x4xf32>, tensor<f32>
  // CHECK: tide.softmax_cross_entropy_grad %{{.*}}, %{{.*}}, %[[ONE]] : tensor<6x10xf32>, tensor<6xi32>, tensor<f32>
  %1 = tide.softmax_cross_entropy_grad %logits, %labels, %one : tensor<6x10xf32>, tensor<6xi32>, tensor<f32>
  return
}

// -----

// CHECK-LABEL: func @broadcasting
func.func @broadcasting(%dy: tensor<8x16xf32>, %s: tensor<8x1xf32>) {
  // CHECK: tide.reduce_to_shape %{{.*}} : tensor<8x16xf32> -> tensor<16xf32>
  %0 = tide.reduce_to_shape %dy : tensor<8x16xf32> -> tensor<16xf32>
  // CHECK: tide.reduce_to_shape %{{.*}} : tensor<8x16xf32> -> tensor<8x1xf32>
  %1 = tide.reduce_to_shape %dy : tensor<8x16xf32> -> tensor<8x1xf32>
  // CHECK: tide.broadcast %{{.*}} : tensor<8x1xf32> -> tensor<8x16xf32>
  %2 = tide.broadcast %s : tensor<8x1xf32> -> tensor<8x16xf32>
  // CHECK: tide.scale %{{.*}} by -1.000000e+00 : tensor<8x16xf32>
  %3 = tide.scale %dy by -1.0 : tensor<8x16xf32>
  // CHECK: tide.fill 0.000000e+00 : tensor<8x16xf32>
  %4 = tide.fill 0.0 : tensor<8x16xf32>
  return
}

// -----

// CHECK-LABEL: func @optimizers
func.func @optimizers(%w: tensor<16x4xf32>, %dw: tensor<16x4xf32>, %v: tensor<16x4xf32>) {
  // CHECK: tide.sgd_update %{{.*}}, %{{.*}} lr = 1.000000e-02 momentum = 0.000000e+00 weight_decay = 0.000000e+00 : tensor<16x4xf32>
  %0 = tide.sgd_update %w, %dw lr = 0.01 momentum = 0.0 weight_decay = 0.0 : tensor<16x4xf32>
  // CHECK: %{{.*}}, %{{.*}} = tide.sgd_update %{{.*}}, %{{.*}} velocity %{{.*}} : tensor<16x4xf32> lr = 1.000000e-02 momentum = 9.000000e-01 weight_decay = 1.000000e-04 : tensor<16x4xf32>
  %1, %2 = tide.sgd_update %w, %dw velocity %v : tensor<16x4xf32> lr = 0.01 momentum = 0.9 weight_decay = 1.0e-04 : tensor<16x4xf32>
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = tide.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} lr = 1.000000e-03 betas = [9.000000e-01, 0.99899999999999999] epsilon = 1.000000e-08 weight_decay = 0.000000e+00 : tensor<16x4xf32>
  %3, %4, %5 = tide.adam_update %w, %dw, %v, %v lr = 1.0e-03 betas = [0.9, 0.999] epsilon = 1.0e-08 weight_decay = 0.0 : tensor<16x4xf32>
  return
}

// -----

// AdamW (decoupled weight decay), the warm-up + cosine schedule, and global-norm clipping.
// CHECK-LABEL: func @adamw_clip_schedule
func.func @adamw_clip_schedule(%w: tensor<16x4xf32>, %b: tensor<4xf32>, %dw: tensor<16x4xf32>, %db: tensor<4xf32>) {
  // CHECK: %[[S0:.*]] = tide.sum_squares %{{.*}} : tensor<16x4xf32>
  %s0 = tide.sum_squares %dw : tensor<16x4xf32>
  // CHECK: %[[S1:.*]] = tide.sum_squares %{{.*}} plus %[[S0]] : tensor<f32> : tensor<4xf32>
  %s1 = tide.sum_squares %db plus %s0 : tensor<f32> : tensor<4xf32>
  // CHECK: tide.clip_coefficient %[[S1]] max_norm = 1.000000e+00 : tensor<f32>
  %c = tide.clip_coefficient %s1 max_norm = 1.0 : tensor<f32>
  %g = tide.mul %dw, %c : (tensor<16x4xf32>, tensor<f32>) -> tensor<16x4xf32>
  // CHECK: tide.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} lr = 1.000000e-03 betas = [9.000000e-01, 0.99899999999999999] epsilon = 1.000000e-08 weight_decay = 1.000000e-01 decoupled cosine warmup = 10 total = 100 min_lr = 1.000000e-04 : tensor<16x4xf32>
  %w1:3 = tide.adam_update %w, %g, %w, %w lr = 1.0e-03 betas = [0.9, 0.999] epsilon = 1.0e-08 weight_decay = 0.1 decoupled cosine warmup = 10 total = 100 min_lr = 1.0e-04 : tensor<16x4xf32>
  // CHECK: tide.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} lr = 1.000000e-03 betas = [9.000000e-01, 0.99899999999999999] epsilon = 1.000000e-08 weight_decay = 1.000000e-01 decoupled : tensor<16x4xf32>
  %w2:3 = tide.adam_update %w, %g, %w, %w lr = 1.0e-03 betas = [0.9, 0.999] epsilon = 1.0e-08 weight_decay = 0.1 decoupled : tensor<16x4xf32>
  // CHECK: tide.sgd_update %{{.*}}, %{{.*}} velocity %{{.*}} : tensor<4xf32> lr = 1.000000e-01 momentum = 9.000000e-01 weight_decay = 0.000000e+00 cosine warmup = 0 total = 5 min_lr = 0.000000e+00 : tensor<4xf32>
  %b1:2 = tide.sgd_update %b, %db velocity %b : tensor<4xf32> lr = 0.1 momentum = 0.9 weight_decay = 0.0 cosine warmup = 0 total = 5 min_lr = 0.0 : tensor<4xf32>
  return
}
