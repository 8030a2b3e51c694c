// RUN: tide-opt %s -split-input-file -tide-autodiff="optimizer=sgd lr=0.1" | FileCheck %s --check-prefix=SGD
// RUN: tide-opt %s -split-input-file -tide-autodiff="optimizer=none" | FileCheck %s --check-prefix=GRAD
// RUN: tide-opt %s -split-input-file -tide-autodiff="optimizer=adam lr=0.001" | FileCheck %s --check-prefix=ADAM
// RUN: tide-opt %s -split-input-file -tide-autodiff="optimizer=sgd lr=0.1 momentum=0.9" | FileCheck %s --check-prefix=MOM

// Test 1: the example of the pass description. loss = mse(x w, t).
//   d loss / d y = mse_loss_grad(y, t, 1) = 2 (y - t) / 8, a [4, 2] tensor;
//   d loss / d w = x^T dy: [4, 8]^T x [4, 2] = [8, 2], emitted as matmul transpose_lhs;
//   x is not a parameter, so no dx is computed. Then w' = w - 0.1 dw.
// SGD-LABEL: func.func @linear
// SGD-SAME: -> (tensor<f32>, tensor<8x2xf32> {tide.updates = 1 : i64}) attributes {tide.optimizer = "sgd"}
// SGD:      %[[Y:.*]] = tide.matmul %arg0, %arg1
// SGD-NEXT: %[[L:.*]] = tide.mse_loss %[[Y]], %arg2
// SGD-NEXT: %[[ONE:.*]] = tide.fill 1.000000e+00 : tensor<f32>
// SGD-NEXT: %[[DY:.*]] = tide.mse_loss_grad %[[Y]], %arg2, %[[ONE]]
// SGD-NEXT: %[[DW:.*]] = tide.matmul %arg0, %[[DY]] transpose_lhs : (tensor<4x8xf32>, tensor<4x2xf32>) -> tensor<8x2xf32>
// SGD-NEXT: %[[W:.*]] = tide.sgd_update %arg1, %[[DW]] lr = 1.000000e-01 momentum = 0.000000e+00 weight_decay = 0.000000e+00
// SGD-NEXT: return %[[L]], %[[W]] : tensor<f32>, tensor<8x2xf32>
// GRAD-LABEL: func.func @linear
// GRAD-SAME: -> (tensor<f32>, tensor<8x2xf32> {tide.grad_of = 1 : i64}) attributes {tide.optimizer = "none"}
// GRAD:      %[[DW:.*]] = tide.matmul %arg0, %{{.*}} transpose_lhs
// GRAD-NEXT: return %{{.*}}, %[[DW]]
// Adam adds two state arguments m and v for w (arguments 3 and 4) and returns their new values.
// ADAM-LABEL: func.func @linear
// ADAM-SAME: %arg3: tensor<8x2xf32> {tide.state = "adam_m", tide.state_of = 1 : i64}, %arg4: tensor<8x2xf32> {tide.state = "adam_v", tide.state_of = 1 : i64}
// ADAM-SAME: -> (tensor<f32>, tensor<8x2xf32> {tide.updates = 1 : i64}, tensor<8x2xf32> {tide.updates = 3 : i64}, tensor<8x2xf32> {tide.updates = 4 : i64})
// ADAM:      %[[P:.*]], %[[M:.*]], %[[V:.*]] = tide.adam_update %arg1, %{{.*}}, %arg3, %arg4 lr = 1.000000e-03
// ADAM-NEXT: return %{{.*}}, %[[P]], %[[M]], %[[V]]
// Momentum adds a velocity argument.
// MOM-LABEL: func.func @linear
// MOM-SAME: %arg3: tensor<8x2xf32> {tide.state = "sgd_velocity", tide.state_of = 1 : i64}
// MOM:      tide.sgd_update %arg1, %{{.*}} velocity %arg3 : tensor<8x2xf32> lr = 1.000000e-01 momentum = 9.000000e-01
func.func @linear(%x: tensor<4x8xf32>, %w: tensor<8x2xf32> {tide.param}, %t: tensor<4x2xf32>)
    -> tensor<f32> {
  %y = tide.matmul %x, %w : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  %l = tide.mse_loss %y, %t : tensor<4x2xf32>
  return %l : tensor<f32>
}

// -----

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

// -----

// Test 3: a batched linear layer with a broadcast bias that is subtracted.
//   d bias = -reduce_to_shape(dy): [2, 4, 3] summed down to [3].
//   d w folds the batch into rows: x [2, 4, 8] -> [8, 8], dy [2, 4, 3] -> [8, 3], then
//   [8, 8]^T x [8, 3] = [8, 3] directly (no [2, 8, 3] temporary).
// GRAD-LABEL: func.func @batched_linear
// GRAD:      %[[DY:.*]] = tide.mse_loss_grad
// GRAD-NEXT: %[[NEG:.*]] = tide.scale %[[DY]] by -1.000000e+00 : tensor<2x4x3xf32>
// GRAD-NEXT: %[[DB:.*]] = tide.reduce_to_shape %[[NEG]] : tensor<2x4x3xf32> -> tensor<3xf32>
// GRAD-NEXT: %[[X2:.*]] = tide.reshape %arg0 : tensor<2x4x8xf32> -> tensor<8x8xf32>
// GRAD-NEXT: %[[DY2:.*]] = tide.reshape %[[DY]] : tensor<2x4x3xf32> -> tensor<8x3xf32>
// GRAD-NEXT: %[[DW:.*]] = tide.matmul %[[X2]], %[[DY2]] transpose_lhs : (tensor<8x8xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
// GRAD-NEXT: return %{{.*}}, %[[DW]], %[[DB]]
func.func @batched_linear(%x: tensor<2x4x8xf32>, %w: tensor<8x3xf32> {tide.param},
                          %b: tensor<3xf32> {tide.param}, %t: tensor<2x4x3xf32>) -> tensor<f32> {
  %y0 = tide.matmul %x, %w : (tensor<2x4x8xf32>, tensor<8x3xf32>) -> tensor<2x4x3xf32>
  %y = tide.sub %y0, %b : (tensor<2x4x3xf32>, tensor<3xf32>) -> tensor<2x4x3xf32>
  %l = tide.mse_loss %y, %t : tensor<2x4x3xf32>
  return %l : tensor<f32>
}

// -----

// Test 4: a checkpoint region is inlined and its ops tagged; reduce_mean over 32 elements scales
// the seed by 1/32 = 0.03125; a parameter the loss never reads gets a zero gradient.
// GRAD-LABEL: func.func @checkpointed
// GRAD-NOT:  tide.checkpoint ->
// GRAD:      %[[A:.*]] = tide.matmul %arg0, %arg1 {tide.checkpoint_region = 0 : i64}
// GRAD-NEXT: tide.gelu %[[A]] exact {tide.checkpoint_region = 0 : i64}
// GRAD:      tide.scale %{{.*}} by 3.125000e-02 : tensor<1x1xf32>
// GRAD:      tide.gelu_grad %[[A]], %{{.*}} exact
// GRAD:      %[[ZERO:.*]] = tide.fill 0.000000e+00 : tensor<8xf32>
// GRAD-NEXT: return %{{.*}}, %{{.*}}, %[[ZERO]]
func.func @checkpointed(%x: tensor<4x8xf32>, %w: tensor<8x8xf32> {tide.param},
                        %unused: tensor<8xf32> {tide.param}) -> tensor<f32> {
  %h = tide.checkpoint -> (tensor<4x8xf32>) {
    %a = tide.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
    %g = tide.gelu %a exact : tensor<4x8xf32>
    tide.yield %g : tensor<4x8xf32>
  }
  %l = tide.reduce_mean %h axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Test 5: layer_norm and attention switch to their training forms; e = o / h gives
//   do = de / h and dh = -(de / h) * e, and h collects four contributions (the division and
//   query, key, value of the attention) before layer_norm_grad.
// GRAD-LABEL: func.func @norm_attention
// GRAD:      %[[H:.*]], %[[STATS:.*]]:2 = tide.layer_norm %arg0, %arg1, %arg2 axis = -1 epsilon = 1.000000e-05 with_stats
// GRAD-NEXT: %[[O:.*]], %[[LSE:.*]] = tide.attention %[[H]], %[[H]], %[[H]] causal scale = 2.500000e-01 chunks = [2, 2] with_lse
// GRAD-NEXT: %[[E:.*]] = tide.div %[[O]], %[[H]]
// GRAD:      %[[DO:.*]] = tide.div %{{.*}}, %[[H]]
// GRAD-NEXT: %[[T:.*]] = tide.mul %[[DO]], %[[E]]
// GRAD-NEXT: %[[DH0:.*]] = tide.scale %[[T]] by -1.000000e+00
// GRAD-NEXT: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = tide.attention_grad %[[H]], %[[H]], %[[H]], %[[O]], %[[LSE]], %[[DO]] causal scale = 2.500000e-01 chunks = [2, 2]
// GRAD-NEXT: %[[DH1:.*]] = tide.add %[[DH0]], %[[DQ]]
// GRAD-NEXT: %[[DH2:.*]] = tide.add %[[DH1]], %[[DK]]
// GRAD-NEXT: %[[DH:.*]] = tide.add %[[DH2]], %[[DV]]
// GRAD-NEXT: %{{.*}}, %[[DG:.*]], %[[DBETA:.*]] = tide.layer_norm_grad %arg0, %arg1, %[[STATS]]#0, %[[STATS]]#1, %[[DH]] axis = -1
// GRAD-NEXT: return %{{.*}}, %[[DG]], %[[DBETA]]
func.func @norm_attention(%x: tensor<1x2x4x8xf32>, %g: tensor<8xf32> {tide.param},
                          %bias: tensor<8xf32> {tide.param}) -> tensor<f32> {
  %h = tide.layer_norm %x, %g, %bias axis = -1 epsilon = 1.0e-05 : tensor<1x2x4x8xf32>, tensor<8xf32>, tensor<8xf32>
  %o = tide.attention %h, %h, %h causal scale = 0.25 chunks = [2, 2] : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
  %e = tide.div %o, %h : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %l = tide.reduce_sum %e axes = [0, 1, 2, 3] : tensor<1x2x4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Test 6: updates are emitted as soon as a gradient is complete: b2's update comes before any
// gradient of the first layer is computed (w1's gradient needs the second layer's backward).
// SGD-LABEL: func.func @two_layers
// SGD:      tide.softmax_cross_entropy_grad
// SGD-NEXT: %[[DB2:.*]] = tide.reduce_to_shape
// SGD-NEXT: tide.sgd_update %arg5, %[[DB2]]
// SGD:      tide.relu_grad
// SGD:      tide.sgd_update %arg2,
// SGD-NEXT: return
func.func @two_layers(%x: tensor<32x64xf32>, %labels: tensor<32xi32>,
                      %w1: tensor<64x128xf32> {tide.param}, %b1: tensor<128xf32> {tide.param},
                      %w2: tensor<128x10xf32> {tide.param}, %b2: tensor<10xf32> {tide.param})
    -> tensor<f32> {
  %h0 = tide.matmul %x, %w1 : (tensor<32x64xf32>, tensor<64x128xf32>) -> tensor<32x128xf32>
  %h1 = tide.add %h0, %b1 : (tensor<32x128xf32>, tensor<128xf32>) -> tensor<32x128xf32>
  %h = tide.relu %h1 : tensor<32x128xf32>
  %l0 = tide.matmul %h, %w2 : (tensor<32x128xf32>, tensor<128x10xf32>) -> tensor<32x10xf32>
  %logits = tide.add %l0, %b2 : (tensor<32x10xf32>, tensor<10xf32>) -> tensor<32x10xf32>
  %loss = tide.softmax_cross_entropy %logits, %labels : tensor<32x10xf32>, tensor<32xi32>
  return %loss : tensor<f32>
}
