// Round trip of the ops real transformers are made of (elementwise extras, rms_norm, slice /
// concat / pad, gather, rope, dropout, the fused LM head loss) and of their gradient ops: the
// custom form parses, prints, and parses again to the same text; the generic form too.
// RUN: tide-opt %s -split-input-file | tide-opt -split-input-file | FileCheck %s
// RUN: tide-opt %s -split-input-file -mlir-print-op-generic | tide-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @elementwise
func.func @elementwise(%x: tensor<2x3x4xf32>, %row: tensor<4xf32>) {
  // CHECK: tide.neg %{{.*}} : tensor<2x3x4xf32>
  %0 = tide.neg %x : tensor<2x3x4xf32>
  // CHECK: tide.abs %{{.*}} : tensor<2x3x4xf32>
  %1 = tide.abs %x : tensor<2x3x4xf32>
  // CHECK: tide.sqrt %{{.*}} : tensor<2x3x4xf32>
  %2 = tide.sqrt %x : tensor<2x3x4xf32>
  // CHECK: tide.rsqrt %{{.*}} : tensor<2x3x4xf32>
  %3 = tide.rsqrt %x : tensor<2x3x4xf32>
  // CHECK: tide.log %{{.*}} : tensor<2x3x4xf32>
  %4 = tide.log %x : tensor<2x3x4xf32>
  // CHECK: tide.sigmoid %{{.*}} : tensor<2x3x4xf32>
  %5 = tide.sigmoid %x : tensor<2x3x4xf32>
  // CHECK: tide.silu %{{.*}} : tensor<2x3x4xf32>
  %6 = tide.silu %x : tensor<2x3x4xf32>
  // CHECK: tide.erf %{{.*}} : tensor<2x3x4xf32>
  %7 = tide.erf %x : tensor<2x3x4xf32>
  // CHECK: tide.pow %{{.*}} exponent = 2.000000e+00 : tensor<2x3x4xf32>
  %8 = tide.pow %x exponent = 2.0 : tensor<2x3x4xf32>
  // CHECK: tide.clamp %{{.*}} min = -1.000000e+00 max = 1.000000e+00 : tensor<2x3x4xf32>
  %9 = tide.clamp %x min = -1.0 max = 1.0 : tensor<2x3x4xf32>
  // A clamp to one point is allowed (min == max).
  // CHECK: tide.clamp %{{.*}} min = 5.000000e-01 max = 5.000000e-01 : tensor<2x3x4xf32>
  %10 = tide.clamp %x min = 0.5 max = 0.5 : tensor<2x3x4xf32>
  // CHECK: tide.minimum %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %11 = tide.minimum %x, %row : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  // CHECK: tide.maximum %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %12 = tide.maximum %row, %x : (tensor<4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

// CHECK-LABEL: func @elementwise_grads
func.func @elementwise_grads(%x: tensor<8xf32>, %dy: tensor<8xf32>, %b: tensor<1xf32>) {
  // CHECK: tide.abs_grad %{{.*}}, %{{.*}} : tensor<8xf32>
  %0 = tide.abs_grad %x, %dy : tensor<8xf32>
  // CHECK: tide.sqrt_grad %{{.*}}, %{{.*}} : tensor<8xf32>
  %1 = tide.sqrt_grad %x, %dy : tensor<8xf32>
  // CHECK: tide.rsqrt_grad %{{.*}}, %{{.*}} : tensor<8xf32>
  %2 = tide.rsqrt_grad %x, %dy : tensor<8xf32>
  // CHECK: tide.log_grad %{{.*}}, %{{.*}} : tensor<8xf32>
  %3 = tide.log_grad %x, %dy : tensor<8xf32>
  // CHECK: tide.sigmoid_grad %{{.*}}, %{{.*}} : tensor<8xf32>
  %4 = tide.sigmoid_grad %x, %dy : tensor<8xf32>
  // CHECK: tide.silu_grad %{{.*}}, %{{.*}} : tensor<8xf32>
  %5 = tide.silu_grad %x, %dy : tensor<8xf32>
  // CHECK: tide.erf_grad %{{.*}}, %{{.*}} : tensor<8xf32>
  %6 = tide.erf_grad %x, %dy : tensor<8xf32>
  // CHECK: tide.pow_grad %{{.*}}, %{{.*}} exponent = 3.000000e+00 : tensor<8xf32>
  %7 = tide.pow_grad %x, %dy exponent = 3.0 : tensor<8xf32>
  // CHECK: tide.clamp_grad %{{.*}}, %{{.*}} min = 0.000000e+00 max = 6.000000e+00 : tensor<8xf32>
  %8 = tide.clamp_grad %x, %dy min = 0.0 max = 6.0 : tensor<8xf32>
  // The gradient of each operand has that operand's shape ([8] summed down to [1]).
  // CHECK: tide.minimum_grad %{{.*}}, %{{.*}}, %{{.*}} operand = 0 : tensor<8xf32>, tensor<1xf32>, tensor<8xf32>
  %9 = tide.minimum_grad %x, %b, %dy operand = 0 : tensor<8xf32>, tensor<1xf32>, tensor<8xf32>
  // CHECK: tide.maximum_grad %{{.*}}, %{{.*}}, %{{.*}} operand = 1 : tensor<8xf32>, tensor<1xf32>, tensor<8xf32>
  %10 = tide.maximum_grad %x, %b, %dy operand = 1 : tensor<8xf32>, tensor<1xf32>, tensor<8xf32>
  return
}

// -----

// CHECK-LABEL: func @rms_norm
func.func @rms_norm(%x: tensor<2x3x4xf32>, %g: tensor<4xf32>, %g2: tensor<3x4xf32>,
                    %dy: tensor<2x3x4xf32>) {
  // CHECK: tide.rms_norm %{{.*}}, %{{.*}} axis = -1 epsilon = 9.9999999999999995E-7 : tensor<2x3x4xf32>, tensor<4xf32>
  %0 = tide.rms_norm %x, %g axis = -1 epsilon = 1.0e-06 : tensor<2x3x4xf32>, tensor<4xf32>
  // The training form also returns rstd over the leading dimensions: [2] for axis = 1.
  // CHECK: %{{.*}}, %[[RSTD:.*]] = tide.rms_norm %{{.*}}, %{{.*}} axis = 1 epsilon = 1.000000e-05 with_rstd : tensor<2x3x4xf32>, tensor<3x4xf32>
  %1, %rstd = tide.rms_norm %x, %g2 axis = 1 epsilon = 1.0e-05 with_rstd : tensor<2x3x4xf32>, tensor<3x4xf32>
  // CHECK: tide.rms_norm_grad %{{.*}}, %{{.*}}, %[[RSTD]], %{{.*}} axis = 1 : tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<2xf32>
  %2:2 = tide.rms_norm_grad %x, %g2, %rstd, %dy axis = 1 : tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<2xf32>
  return
}

// -----

// CHECK-LABEL: func @data_movement
func.func @data_movement(%x: tensor<2x3x4xf32>, %y: tensor<2x1x4xf32>, %table: tensor<10x4xf32>,
                         %ids: tensor<2x3xi32>, %one: tensor<i32>, %dy: tensor<2x3x4xf32>) {
  // CHECK: tide.slice %{{.*}} start = [0, 1, 0] sizes = [2, 2, 4] : tensor<2x3x4xf32> -> tensor<2x2x4xf32>
  %0 = tide.slice %x start = [0, 1, 0] sizes = [2, 2, 4] : tensor<2x3x4xf32> -> tensor<2x2x4xf32>
  // An empty slice is allowed.
  // CHECK: tide.slice %{{.*}} start = [2, 0, 0] sizes = [0, 3, 4] : tensor<2x3x4xf32> -> tensor<0x3x4xf32>
  %1 = tide.slice %x start = [2, 0, 0] sizes = [0, 3, 4] : tensor<2x3x4xf32> -> tensor<0x3x4xf32>
  // CHECK: tide.concat %{{.*}}, %{{.*}}, %{{.*}} axis = -2 : tensor<2x3x4xf32>, tensor<2x1x4xf32>, tensor<2x3x4xf32> -> tensor<2x7x4xf32>
  %2 = tide.concat %x, %y, %x axis = -2 : tensor<2x3x4xf32>, tensor<2x1x4xf32>, tensor<2x3x4xf32> -> tensor<2x7x4xf32>
  // CHECK: tide.concat %{{.*}} axis = 0 : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %3 = tide.concat %x axis = 0 : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  // CHECK: tide.pad %{{.*}} low = [0, 1, 0] high = [1, 0, 2] value = -1.000000e+00 : tensor<2x3x4xf32> -> tensor<3x4x6xf32>
  %4 = tide.pad %x low = [0, 1, 0] high = [1, 0, 2] value = -1.0 : tensor<2x3x4xf32> -> tensor<3x4x6xf32>
  // CHECK: tide.gather %{{.*}}, %{{.*}} : tensor<10x4xf32>, tensor<2x3xi32>
  %5 = tide.gather %table, %ids : tensor<10x4xf32>, tensor<2x3xi32>
  // A 0-d id gives one row.
  // CHECK: tide.gather %{{.*}}, %{{.*}} : tensor<10x4xf32>, tensor<i32>
  %6 = tide.gather %table, %one : tensor<10x4xf32>, tensor<i32>
  // CHECK: tide.gather_grad %{{.*}}, %{{.*}} : tensor<2x3xi32>, tensor<2x3x4xf32> -> tensor<10x4xf32>
  %7 = tide.gather_grad %ids, %dy : tensor<2x3xi32>, tensor<2x3x4xf32> -> tensor<10x4xf32>
  return
}

// -----

// CHECK-LABEL: func @rope_and_dropout
func.func @rope_and_dropout(%bthd: tensor<2x5x3x8xf32>, %bhtd: tensor<2x3x5x8xf32>) {
  // CHECK: tide.rope %{{.*}} bthd base = 1.000000e+04 rot_dim = 8 offset = 0 : tensor<2x5x3x8xf32>
  %0 = tide.rope %bthd bthd base = 10000.0 rot_dim = 8 offset = 0 : tensor<2x5x3x8xf32>
  // Partial rotary with an offset, and the inverse rotation (the backward).
  // CHECK: tide.rope %{{.*}} bhtd base = 5.000000e+02 rot_dim = 4 offset = 7 inverse : tensor<2x3x5x8xf32>
  %1 = tide.rope %bhtd bhtd base = 500.0 rot_dim = 4 offset = 7 inverse : tensor<2x3x5x8xf32>
  // CHECK: tide.dropout %{{.*}} p = 1.000000e-01 site = 0 : tensor<2x5x3x8xf32>
  %2 = tide.dropout %bthd p = 0.1 site = 0 : tensor<2x5x3x8xf32>
  // p = 0 (the identity) and the largest site.
  // CHECK: tide.dropout %{{.*}} p = 0.000000e+00 site = 4294967295 : tensor<2x5x3x8xf32>
  %3 = tide.dropout %bthd p = 0.0 site = 4294967295 : tensor<2x5x3x8xf32>
  // The backward shares its forward's site.
  // CHECK: tide.dropout_grad %{{.*}} p = 1.000000e-01 site = 0 : tensor<2x5x3x8xf32>
  %4 = tide.dropout_grad %bthd p = 0.1 site = 0 : tensor<2x5x3x8xf32>
  return
}

// -----

// CHECK-LABEL: func @lm_head_loss
func.func @lm_head_loss(%h: tensor<6x4xf32>, %w: tensor<7x4xf32>, %b: tensor<7xf32>,
                        %labels: tensor<6xi32>, %dl: tensor<f32>) {
  // CHECK: tide.lm_head_loss %{{.*}}, %{{.*}}, %{{.*}} ignore_index = -100 chunks = [4, 3] : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>
  %0 = tide.lm_head_loss %h, %w, %labels ignore_index = -100 chunks = [4, 3] : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>
  // CHECK: %{{.*}}, %[[LSE:.*]] = tide.lm_head_loss %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} : tensor<7xf32> ignore_index = 0 chunks = [512, 2048] with_lse : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>
  %1, %lse = tide.lm_head_loss %h, %w, %labels bias %b : tensor<7xf32> ignore_index = 0 chunks = [512, 2048] with_lse : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>
  // CHECK: tide.lm_head_loss_grad %{{.*}}, %{{.*}}, %{{.*}}, %[[LSE]], %{{.*}} ignore_index = 0 chunks = [512, 2048] : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>, tensor<6xf32>, tensor<f32>
  %2:2 = tide.lm_head_loss_grad %h, %w, %labels, %lse, %dl ignore_index = 0 chunks = [512, 2048] : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>, tensor<6xf32>, tensor<f32>
  // With a bias, its gradient is a third result.
  // CHECK: tide.lm_head_loss_grad %{{.*}}, %{{.*}}, %{{.*}}, %[[LSE]], %{{.*}} bias %{{.*}} : tensor<7xf32> ignore_index = -100 chunks = [4, 3] : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>, tensor<6xf32>, tensor<f32>
  %3:3 = tide.lm_head_loss_grad %h, %w, %labels, %lse, %dl bias %b : tensor<7xf32> ignore_index = -100 chunks = [4, 3] : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>, tensor<6xf32>, tensor<f32>
  return
}
