// Every verifier rule of the gradient and optimizer ops, one malformed use per case.
// RUN: tide-opt %s -split-input-file -verify-diagnostics

func.func @relu_grad_types(%x: tensor<8xf32>, %dy: tensor<4xf32>) {
  // expected-error @+1 {{'tide.relu_grad' op failed to verify that all of {input, grad} have same type}}
  %0 = "tide.relu_grad"(%x, %dy) : (tensor<8xf32>, tensor<4xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @softmax_grad_axis(%y: tensor<2x8xf32>) {
  // expected-error @+1 {{softmax_grad axis 2 is out of range for a tensor of rank 2}}
  %0 = tide.softmax_grad %y, %y axis = 2 : tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_grad_stats(%x: tensor<4x16xf32>, %g: tensor<16xf32>, %m: tensor<16xf32>) {
  // The row statistics of a [4, 16] input normalized over the last axis are [4].
  // expected-error @+1 {{mean 'tensor<16xf32>' must have the type of the row statistics 'tensor<4xf32>'}}
  %0:3 = tide.layer_norm_grad %x, %g, %m, %m, %x axis = -1 : tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>
  return
}

// -----

func.func @layer_norm_grad_scale(%x: tensor<4x16xf32>, %g: tensor<8xf32>, %m: tensor<4xf32>) {
  // expected-error @+1 {{layer_norm_grad scale shape [8] must equal the normalized shape [16]}}
  %0:3 = tide.layer_norm_grad %x, %g, %m, %m, %x axis = -1 : tensor<4x16xf32>, tensor<8xf32>, tensor<4xf32>
  return
}

// -----

func.func @attention_grad_lse(%q: tensor<1x2x8x4xf32>, %lse: tensor<1x2x4xf32>) {
  // expected-error @+1 {{lse 'tensor<1x2x4xf32>' must have the type of [batch, heads, seq_q] row statistics 'tensor<1x2x8xf32>'}}
  %0:3 = tide.attention_grad %q, %q, %q, %q, %lse, %q scale = 0.5 chunks = [4, 4] : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @attention_grad_chunks(%q: tensor<1x2x8x4xf32>, %lse: tensor<1x2x8xf32>) {
  // expected-error @+1 {{attention chunk sizes must be positive, got [4, 0]}}
  %0:3 = tide.attention_grad %q, %q, %q, %q, %lse, %q scale = 0.5 chunks = [4, 0] : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @attention_grad_heads(%q: tensor<1x6x8x4xf32>, %k: tensor<1x4x8x4xf32>, %lse: tensor<1x6x8xf32>) {
  // expected-error @+1 {{attention query heads 6 are not a multiple of key/value heads 4}}
  %0:3 = tide.attention_grad %q, %k, %k, %q, %lse, %q scale = 0.5 chunks = [4, 4] : tensor<1x6x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x6x8xf32>
  return
}

// -----

func.func @attention_grad_key_lengths(%q: tensor<2x2x8x4xf32>, %lse: tensor<2x2x8xf32>, %len: tensor<3xi32>) {
  // expected-error @+1 {{attention key_lengths [3] must be [batch] = [2]}}
  %0:3 = tide.attention_grad %q, %q, %q, %q, %lse, %q key_lengths %len : tensor<3xi32> scale = 0.5 chunks = [4, 4] : tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>, tensor<2x2x8xf32>
  return
}

// -----

func.func @mse_grad_seed(%y: tensor<8xf32>, %g: tensor<f16>) {
  // expected-error @+1 {{grad 'tensor<f16>' must have the type of the loss 'tensor<f32>'}}
  %0 = tide.mse_loss_grad %y, %y, %g : tensor<8xf32>, tensor<f16>
  return
}

// -----

func.func @xent_grad_labels(%l: tensor<6x10xf32>, %y: tensor<5xi32>, %g: tensor<f32>) {
  // expected-error @+1 {{softmax_cross_entropy_grad labels shape [5] must equal the logits' row shape [6]}}
  %0 = tide.softmax_cross_entropy_grad %l, %y, %g : tensor<6x10xf32>, tensor<5xi32>, tensor<f32>
  return
}

// -----

func.func @reduce_to_shape_bad(%dy: tensor<8x16xf32>) {
  // expected-error @+1 {{'tide.reduce_to_shape' op result shape must broadcast to the input shape: [8] does not broadcast to [8, 16]}}
  %0 = tide.reduce_to_shape %dy : tensor<8x16xf32> -> tensor<8xf32>
  return
}

// -----

func.func @broadcast_bad(%s: tensor<3x1xf32>) {
  // expected-error @+1 {{'tide.broadcast' op input shape must broadcast to the result shape: [3, 1] does not broadcast to [4, 16]}}
  %0 = tide.broadcast %s : tensor<3x1xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @broadcast_shrink(%s: tensor<4x16xf32>) {
  // expected-error @+1 {{'tide.broadcast' op input shape must broadcast to the result shape: [4, 16] does not broadcast to [16]}}
  %0 = tide.broadcast %s : tensor<4x16xf32> -> tensor<16xf32>
  return
}

// -----

func.func @fill_dynamic() {
  // expected-error @+1 {{'tide.fill' op requires a static shape, got 'tensor<?xf32>'}}
  %0 = tide.fill 1.0 : tensor<?xf32>
  return
}

// -----

func.func @sgd_velocity(%w: tensor<4xf32>) {
  // expected-error @+1 {{momentum > 0 needs a velocity operand}}
  %0 = tide.sgd_update %w, %w lr = 0.1 momentum = 0.9 weight_decay = 0.0 : tensor<4xf32>
  return
}

// -----

func.func @sgd_no_momentum(%w: tensor<4xf32>) {
  // expected-error @+1 {{a velocity operand needs momentum > 0}}
  %0:2 = tide.sgd_update %w, %w velocity %w : tensor<4xf32> lr = 0.1 momentum = 0.0 weight_decay = 0.0 : tensor<4xf32>
  return
}

// -----

func.func @sgd_lr(%w: tensor<4xf32>) {
  // expected-error @+1 {{learning rate must be positive and finite (as a 32-bit float), got 0}}
  %0 = tide.sgd_update %w, %w lr = 0.0 momentum = 0.0 weight_decay = 0.0 : tensor<4xf32>
  return
}

// -----

func.func @sgd_decay(%w: tensor<4xf32>) {
  // expected-error @+1 {{weight_decay must be non-negative and finite (as a 32-bit float), got -1}}
  %0 = tide.sgd_update %w, %w lr = 0.1 momentum = 0.0 weight_decay = -1.0 : tensor<4xf32>
  return
}

// -----

func.func @adam_betas(%w: tensor<4xf32>) {
  // expected-error @+1 {{adam betas must be in [0, 1) (as 32-bit floats), got [9.000000e-01, 1.000000e+00]}}
  %0:3 = tide.adam_update %w, %w, %w, %w lr = 0.1 betas = [0.9, 1.0] epsilon = 1.0e-08 weight_decay = 0.0 : tensor<4xf32>
  return
}

// -----

func.func @adam_epsilon(%w: tensor<4xf32>) {
  // expected-error @+1 {{epsilon must be positive and finite (as a 32-bit float), got 0}}
  %0:3 = tide.adam_update %w, %w, %w, %w lr = 0.1 betas = [0.9, 0.999] epsilon = 0.0 weight_decay = 0.0 : tensor<4xf32>
  return
}

// -----

func.func @adam_state_types(%w: tensor<4xf32>, %m: tensor<5xf32>) {
  // expected-error @+1 {{'tide.adam_update' op failed to verify that all of {param, grad, m, v} have same type}}
  %0:3 = "tide.adam_update"(%w, %w, %m, %w) {learning_rate = 0.1 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-8 : f64, weight_decay = 0.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<5xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @schedule_warmup(%w: tensor<4xf32>) {
  // expected-error @+1 {{lr schedule needs 0 <= warmup steps < total steps, got warmup 5 and total 5}}
  %0 = tide.sgd_update %w, %w lr = 0.1 momentum = 0.0 weight_decay = 0.0 cosine warmup = 5 total = 5 min_lr = 0.0 : tensor<4xf32>
  return
}

// -----

func.func @schedule_min_lr(%w: tensor<4xf32>) {
  // expected-error @+1 {{lr schedule min_lr must be in [0, lr = 1.000000e-03], got 1.000000e-02}}
  %0:3 = tide.adam_update %w, %w, %w, %w lr = 1.0e-03 betas = [0.9, 0.999] epsilon = 1.0e-08 weight_decay = 0.0 decoupled cosine warmup = 0 total = 10 min_lr = 1.0e-02 : tensor<4xf32>
  return
}

// -----

func.func @schedule_partial(%w: tensor<4xf32>) {
  // expected-error @+1 {{a cosine lr schedule needs warmup_steps, total_steps and min_lr together}}
  %0 = "tide.sgd_update"(%w, %w) {learning_rate = 0.1 : f64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, warmup_steps = 2 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @clip_max_norm(%s: tensor<f32>) {
  // expected-error @+1 {{clip max_norm must be positive and finite (as a 32-bit float), got 0.000000e+00}}
  %0 = tide.clip_coefficient %s max_norm = 0.0 : tensor<f32>
  return
}

// -----

func.func @sum_squares_accumulator(%g: tensor<4xf32>, %acc: tensor<f16>) {
  // expected-error @+1 {{accumulator 'tensor<f16>' must have the type of the 0-d sum of the input's element type 'tensor<f32>'}}
  %0 = tide.sum_squares %g plus %acc : tensor<f16> : tensor<4xf32>
  return
}
