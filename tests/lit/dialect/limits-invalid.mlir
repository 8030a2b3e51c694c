// The dialect's limits (docs/dialect.md, "Limits"): each case used to pass tide-opt and then
// crash tidec, be narrowed silently, or reach the runtime's plan check as an internal error.
// RUN: tide-opt %s -split-input-file -verify-diagnostics

// Attention chunks are 32-bit in the plan: 2^40 used to become q_chunk 0, 2^32 + 8 became 8.
func.func @chunk_2_40(%q: tensor<1x1x8x4xf32>) {
  // expected-error @+1 {{attention chunk sizes must be at most 2147483647 (2^31 - 1), got [1099511627776, 8]}}
  %o = tide.attention %q, %q, %q scale = 0.5 chunks = [1099511627776, 8] : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>
  return
}

// -----

func.func @chunk_wraps(%q: tensor<1x1x8x4xf32>, %g: tensor<1x1x8x4xf32>, %l: tensor<1x1x8xf32>) {
  // expected-error @+1 {{attention chunk sizes must be at most 2147483647 (2^31 - 1), got [8, 4294967304]}}
  %dq, %dk, %dv = tide.attention_grad %q, %q, %q, %q, %l, %g scale = 0.5 chunks = [8, 4294967304] : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8xf32>
  return
}

// -----

// A tensor of 2^40 f32 elements is 4 TiB: over the 1 TiB limit of one tensor.
// expected-error @+1 {{argument #0 'tensor<1099511627776xf32>' is larger than the 1099511627776-byte (1 TiB) limit of one tensor}}
func.func @too_many_bytes(%x: tensor<1099511627776xf32>) {
  %y = tide.relu %x : tensor<1099511627776xf32>
  return
}

// -----

// 2^63 - 1 used to reach the planner as a negative size.
// expected-error @+1 {{argument #0 has a dimension of 9223372036854775807 (more than 2^40), got 'tensor<9223372036854775807xf32>'}}
func.func @huge_dim(%x: tensor<9223372036854775807xf32>) {
  %y = tide.relu %x : tensor<9223372036854775807xf32>
  return
}

// -----

// Element count that overflows 64 bits: 2^32 * 2^32.
// expected-error @+1 {{argument #0 'tensor<4294967296x4294967296xf32>' is larger than}}
func.func @overflowing_count(%x: tensor<4294967296x4294967296xf32>) {
  %y = tide.relu %x : tensor<4294967296x4294967296xf32>
  return
}

// -----

// A broadcast of two small operands can outgrow the limit: its result is checked too.
func.func @broadcast_too_big(%a: tensor<1048576x1xf32>, %b: tensor<1x1048576xf32>) {
  // expected-error @+1 {{result #0 'tensor<1048576x1048576xf32>' is larger than the 1099511627776-byte (1 TiB) limit of one tensor}}
  %y = tide.add %a, %b : (tensor<1048576x1xf32>, tensor<1x1048576xf32>) -> tensor<1048576x1048576xf32>
  return
}

// -----

// expected-error @+1 {{argument #0 has rank 7; at most 6 is supported, got 'tensor<1x1x1x1x1x1x2xf32>'}}
func.func @rank_7(%x: tensor<1x1x1x1x1x1x2xf32>) {
  %y = tide.relu %x : tensor<1x1x1x1x1x1x2xf32>
  return
}

// -----

// Unused arguments are checked too (tidec used to segfault on this one).
// expected-error @+1 {{argument #1 of @unused_unranked must be a ranked tensor, got 'tensor<*xf32>'}}
func.func @unused_unranked(%x: tensor<4xf32>, %u: tensor<*xf32>) -> tensor<4xf32> {
  %y = tide.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{argument #1 of @unused_dynamic must have a static shape, got 'tensor<?x4xf32>'}}
func.func @unused_dynamic(%x: tensor<4xf32>, %u: tensor<?x4xf32>) -> tensor<4xf32> {
  %y = tide.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{argument #1 of @unused_i8 has element type 'i8'; expected a floating-point type, i32 or i64}}
func.func @unused_i8(%x: tensor<4xf32>, %u: tensor<4xi8>) -> tensor<4xf32> {
  %y = tide.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{argument #0 of @not_a_tensor must be a ranked tensor, got 'index'}}
func.func @not_a_tensor(%i: index) {
  return
}

// -----

func.func @unranked_result(%x: tensor<4xf32>) -> tensor<*xf32> {
  %c = tensor.cast %x : tensor<4xf32> to tensor<*xf32>
  // expected-error @-1 {{result #0 of 'tensor.cast' must be a ranked tensor, got 'tensor<*xf32>'}}
  return %c : tensor<*xf32>
}

// -----

// K = 0 used to reach the runtime's GEMM check.
func.func @matmul_k0(%a: tensor<4x0xf32>, %b: tensor<0x3xf32>) {
  // expected-error @+1 {{matmul inner dimension K must be >= 1, got lhs [4, 0] and rhs [0, 3]}}
  %y = tide.matmul %a, %b : (tensor<4x0xf32>, tensor<0x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @layer_norm_empty(%x: tensor<4x0xf32>, %s: tensor<0xf32>) {
  // expected-error @+1 {{layer_norm normalized shape [0] is empty}}
  %y = tide.layer_norm %x, %s, %s axis = -1 epsilon = 1.0e-05 : tensor<4x0xf32>, tensor<0xf32>, tensor<0xf32>
  return
}

// -----

func.func @attention_empty(%q: tensor<1x1x0x4xf32>, %k: tensor<1x1x8x4xf32>) {
  // expected-error @+1 {{attention query [1, 1, 0, 4] has a zero dimension; every dimension must be >= 1}}
  %o = tide.attention %q, %k, %k scale = 0.5 chunks = [8, 8] : tensor<1x1x0x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>
  return
}

// -----

// Float attributes are stored as f32 by the runtime: 1e300 would become inf.
func.func @scale_inf_as_f32(%q: tensor<1x1x8x4xf32>) {
  // expected-error @+1 {{attention scale must be positive and finite (as a 32-bit float), got 1.000000e+300}}
  %o = tide.attention %q, %q, %q scale = 1.0e+300 chunks = [8, 8] : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>
  return
}

// -----

func.func @fill_inf_as_f32() {
  // expected-error @+1 {{'tide.fill' op fill value must be finite (as a 32-bit float), got 1.000000e+300}}
  %f = tide.fill 1.0e+300 : tensor<4xf32>
  return
}

// -----

// 0.99999999999 < 1 in f64 but rounds to 1.0 in f32, which the runtime's Adam rejects.
func.func @beta_rounds_to_one(%w: tensor<4xf32>) {
  // expected-error @+1 {{adam betas must be in [0, 1) (as 32-bit floats), got [}}
  %a, %b, %c = tide.adam_update %w, %w, %w, %w lr = 1.0e-03 betas = [0.99999999999, 0.999] epsilon = 1.0e-08 weight_decay = 0.0 : tensor<4xf32>
  return
}

// -----

func.func @momentum_above_one(%w: tensor<4xf32>) {
  // expected-error @+1 {{momentum must be at most 1, got 2.000000e+00}}
  %a, %b = tide.sgd_update %w, %w velocity %w : tensor<4xf32> lr = 0.01 momentum = 2.0 weight_decay = 0.0 : tensor<4xf32>
  return
}

// -----

// Op results are checked at the op (before the function's result types).
func.func @result_i8() -> tensor<4xi8> {
  %c = arith.constant dense<1> : tensor<4xi8>
  // expected-error @-1 {{result #0 of 'arith.constant' has element type 'i8'}}
  return %c : tensor<4xi8>
}

// -----

func.func @nested_checkpoint(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'tide.checkpoint' op is nested inside another tide.checkpoint; checkpoint regions do not nest}}
  %0 = tide.checkpoint -> (tensor<4xf32>) {
    %1 = tide.checkpoint -> (tensor<4xf32>) {
      %a = tide.relu %x : tensor<4xf32>
      tide.yield %a : tensor<4xf32>
    }
    tide.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
