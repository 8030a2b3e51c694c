// Every verifier rule of the tide dialect, one malformed use per case, each with its message.
// RUN: tide-opt %s -split-input-file -verify-diagnostics

func.func @matmul_rank(%a: tensor<16xf32>, %b: tensor<16x4xf32>) {
  // expected-error @+1 {{matmul operands must have rank >= 2, got lhs rank 1 and rhs rank 2}}
  %0 = tide.matmul %a, %b : (tensor<16xf32>, tensor<16x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @matmul_inner(%a: tensor<8x16xf32>, %b: tensor<15x4xf32>) {
  // expected-error @+1 {{matmul inner dimensions do not match: lhs [8, 16] has K = 16 but rhs [15, 4] has K = 15}}
  %0 = tide.matmul %a, %b : (tensor<8x16xf32>, tensor<15x4xf32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @matmul_inner_transposed(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) {
  // With transpose_lhs, lhs [8, 16] is read as [16, 8]: K = 8, but rhs has K = 16.
  // expected-error @+1 {{matmul inner dimensions do not match: lhs [8, 16] (transposed) has K = 8 but rhs [16, 4] has K = 16}}
  %0 = tide.matmul %a, %b transpose_lhs : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<16x4xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<3x8x16xf32>, %b: tensor<2x16x4xf32>) {
  // expected-error @+1 {{matmul batch dimensions [3] and [2] are not broadcast-compatible}}
  %0 = tide.matmul %a, %b : (tensor<3x8x16xf32>, tensor<2x16x4xf32>) -> tensor<3x8x4xf32>
  return
}

// -----

func.func @matmul_result(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) {
  // expected-error @+2 {{'tide.matmul' op inferred type(s) 'tensor<8x4xf32>' are incompatible with return type(s) of operation 'tensor<8x5xf32>'}}
  // expected-error @+1 {{'tide.matmul' op failed to infer returned types}}
  %0 = tide.matmul %a, %b : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x5xf32>
  return
}

// -----

func.func @matmul_element_type(%a: tensor<8x16xf32>, %b: tensor<16x4xf16>) {
  // expected-error @+1 {{lhs and rhs must have the same element type, got 'f32' and 'f16'}}
  %0 = tide.matmul %a, %b : (tensor<8x16xf32>, tensor<16x4xf16>) -> tensor<8x4xf32>
  return
}

// -----

// A malformed function argument is reported where it is declared, not at its first use.
func.func @matmul_dynamic(%a: tensor<?x16xf32>, %b: tensor<16x4xf32>) {
  // expected-error @-1 {{argument #0 of @matmul_dynamic must have a static shape, got 'tensor<?x16xf32>'}}
  %0 = tide.matmul %a, %b : (tensor<?x16xf32>, tensor<16x4xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @matmul_integer(%a: tensor<8x16xi32>, %b: tensor<16x4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = tide.matmul %a, %b : (tensor<8x16xi32>, tensor<16x4xi32>) -> tensor<8x4xi32>
  return
}

// -----

func.func @add_broadcast(%a: tensor<8x16xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{operand shapes [8, 16] and [8] are not broadcast-compatible (trailing dimensions must be equal or 1)}}
  %0 = tide.add %a, %b : (tensor<8x16xf32>, tensor<8xf32>) -> tensor<8x16xf32>
  return
}

// -----

func.func @mul_element_type(%a: tensor<8xf32>, %b: tensor<8xf64>) {
  // expected-error @+1 {{lhs and rhs must have the same element type, got 'f32' and 'f64'}}
  %0 = tide.mul %a, %b : (tensor<8xf32>, tensor<8xf64>) -> tensor<8xf32>
  return
}

// -----

func.func @sub_result(%a: tensor<8x1xf32>, %b: tensor<16xf32>) {
  // [8, 1] and [16] broadcast to [8, 16], not [8, 1].
  // expected-error @+2 {{'tide.sub' op inferred type(s) 'tensor<8x16xf32>' are incompatible with return type(s) of operation 'tensor<8x1xf32>'}}
  // expected-error @+1 {{'tide.sub' op failed to infer returned types}}
  %0 = tide.sub %a, %b : (tensor<8x1xf32>, tensor<16xf32>) -> tensor<8x1xf32>
  return
}

// -----

func.func @div_unranked(%a: tensor<*xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = tide.div %a, %b : (tensor<*xf32>, tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @relu_result(%a: tensor<8xf32>) {
  // expected-error @+2 {{'tide.relu' op inferred type(s) 'tensor<8xf32>' are incompatible with return type(s) of operation 'tensor<9xf32>'}}
  // expected-error @+1 {{'tide.relu' op failed to infer returned types}}
  %0 = "tide.relu"(%a) : (tensor<8xf32>) -> tensor<9xf32>
  return
}

// -----

func.func @tanh_dynamic(%a: tensor<?xf32>) {
  // expected-error @-1 {{argument #0 must have a static shape, got 'tensor<?xf32>'}}
  %0 = tide.tanh %a : tensor<?xf32>
  return
}

// -----

func.func @gelu_mode(%a: tensor<8xf32>) {
  // expected-error @+1 {{expected GELU approximation 'tanh' or 'exact', got 'erff'}}
  %0 = tide.gelu %a erff : tensor<8xf32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{softmax axis 2 is out of range for a tensor of rank 2 (expected an axis in [-2, 2))}}
  %0 = tide.softmax %a axis = 2 : tensor<2x8xf32>
  return
}

// -----

func.func @softmax_negative_axis(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{softmax axis -3 is out of range for a tensor of rank 2}}
  %0 = tide.softmax %a axis = -3 : tensor<2x8xf32>
  return
}

// -----

func.func @softmax_scalar(%a: tensor<f32>) {
  // expected-error @+1 {{softmax input must have rank >= 1}}
  %0 = tide.softmax %a axis = 0 : tensor<f32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x8xf32>, %g: tensor<4xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{layer_norm scale shape [4] must equal the normalized shape [8]}}
  %0 = tide.layer_norm %x, %g, %b axis = -1 epsilon = 1.0e-05 : tensor<2x8xf32>, tensor<4xf32>, tensor<8xf32>
  return
}

// -----

func.func @layer_norm_bias(%x: tensor<2x8xf32>, %g: tensor<2x8xf32>, %b: tensor<8xf32>) {
  // axis 0 normalizes over [2, 8]: the bias must be [2, 8].
  // expected-error @+1 {{layer_norm bias shape [8] must equal the normalized shape [2, 8]}}
  %0 = tide.layer_norm %x, %g, %b axis = 0 epsilon = 1.0e-05 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{layer_norm epsilon must be positive and finite (as a 32-bit float), got 0}}
  %0 = tide.layer_norm %x, %g, %g axis = -1 epsilon = 0.0 : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{layer_norm axis 5 is out of range for a tensor of rank 2}}
  %0 = tide.layer_norm %x, %g, %g axis = 5 epsilon = 1.0e-05 : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>
  return
}

// -----

func.func @layer_norm_element_type(%x: tensor<2x8xf32>, %g: tensor<8xf16>) {
  // expected-error @+1 {{input and scale must have the same element type, got 'f32' and 'f16'}}
  %0 = tide.layer_norm %x, %g, %g axis = -1 epsilon = 1.0e-05 : tensor<2x8xf32>, tensor<8xf16>, tensor<8xf16>
  return
}

// -----

func.func @reduce_empty(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{axes must not be empty}}
  %0 = tide.reduce_sum %x axes = [] : tensor<2x8xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @reduce_range(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{reduction axis 2 is out of range for a tensor of rank 2}}
  %0 = tide.reduce_mean %x axes = [2] : tensor<2x8xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reduce_duplicate(%x: tensor<2x8xf32>) {
  // -1 and 1 name the same axis.
  // expected-error @+1 {{reduction axis 1 is listed more than once}}
  %0 = tide.reduce_sum %x axes = [-1, 1] : tensor<2x8xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reduce_keep_dims(%x: tensor<2x8xf32>) {
  // Without keep_dims the reduced axis disappears.
  // expected-error @+2 {{'tide.reduce_sum' op inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<2x1xf32>'}}
  // expected-error @+1 {{'tide.reduce_sum' op failed to infer returned types}}
  %0 = tide.reduce_sum %x axes = [1] : tensor<2x8xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @transpose_length(%x: tensor<2x8x4xf32>) {
  // expected-error @+1 {{permutation [1, 0] has 2 entries but the input has rank 3}}
  %0 = tide.transpose %x permutation = [1, 0] : tensor<2x8x4xf32> -> tensor<8x2x4xf32>
  return
}

// -----

func.func @transpose_range(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{permutation [0, 2] entry 2 is out of range [0, 2)}}
  %0 = tide.transpose %x permutation = [0, 2] : tensor<2x8xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @transpose_duplicate(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{permutation [1, 1] lists dimension 1 more than once}}
  %0 = tide.transpose %x permutation = [1, 1] : tensor<2x8xf32> -> tensor<8x8xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tide.reshape' op cannot reshape 'tensor<2x8xf32>' (16 elements) to 'tensor<3x5xf32>' (15 elements)}}
  %0 = tide.reshape %x : tensor<2x8xf32> -> tensor<3x5xf32>
  return
}

// -----

func.func @reshape_element_type(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tide.reshape' op cannot change the element type ('f32' -> 'f16')}}
  %0 = tide.reshape %x : tensor<2x8xf32> -> tensor<16xf16>
  return
}

// -----

func.func @reshape_dynamic(%x: tensor<?x8xf32>) {
  // expected-error @-1 {{argument #0 of @reshape_dynamic must have a static shape, got 'tensor<?x8xf32>'}}
  %0 = tide.reshape %x : tensor<?x8xf32> -> tensor<16xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<4x32x16xf32>) {
  // expected-error @+1 {{attention query must have rank 4 [batch, heads, seq, head_dim], got 'tensor<4x32x16xf32>'}}
  %0 = tide.attention %q, %q, %q scale = 0.25 chunks = [8, 8] : tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>
  return
}

// -----

func.func @attention_kv(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x9x16xf32>) {
  // expected-error @+1 {{attention key [1, 2, 8, 16] and value [1, 2, 9, 16] must have the same shape}}
  %0 = tide.attention %q, %k, %v scale = 0.25 chunks = [8, 8] : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x9x16xf32>
  return
}

// -----

func.func @attention_heads(%q: tensor<1x8x8x16xf32>, %k: tensor<1x3x8x16xf32>) {
  // Grouped-query attention needs kv heads that divide the query heads (8 = 3 * 2 + 2).
  // expected-error @+1 {{attention query heads 8 are not a multiple of key/value heads 3}}
  %0 = tide.attention %q, %k, %k scale = 0.25 chunks = [8, 8] : tensor<1x8x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>
  return
}

// -----

func.func @attention_more_kv_heads(%q: tensor<1x2x8x16xf32>, %k: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{attention query heads 2 are not a multiple of key/value heads 4}}
  %0 = tide.attention %q, %k, %k scale = 0.25 chunks = [8, 8] : tensor<1x2x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<1x2x8x16xf32>, %k: tensor<2x2x8x16xf32>) {
  // expected-error @+1 {{attention query [1, 2, 8, 16] and key [2, 2, 8, 16] must agree in batch}}
  %0 = tide.attention %q, %k, %k scale = 0.25 chunks = [8, 8] : tensor<1x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>
  return
}

// -----

func.func @attention_key_lengths_shape(%q: tensor<2x4x8x16xf32>, %k: tensor<2x2x8x16xf32>, %len: tensor<4xi32>) {
  // expected-error @+1 {{attention key_lengths [4] must be [batch] = [2]}}
  %0 = tide.attention %q, %k, %k key_lengths %len : tensor<4xi32> scale = 0.25 chunks = [8, 8] : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>
  return
}

// -----

func.func @attention_key_lengths_rank(%q: tensor<2x4x8x16xf32>, %len: tensor<2x1xi32>) {
  // expected-error @+1 {{attention key_lengths [2, 1] must be [batch] = [2]}}
  %0 = tide.attention %q, %q, %q key_lengths %len : tensor<2x1xi32> causal scale = 0.25 chunks = [8, 8] : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>
  return
}

// -----

func.func @attention_key_lengths_type(%q: tensor<2x4x8x16xf32>, %len: tensor<2xi64>) {
  // expected-error @+1 {{operand #3 must be ranked tensor of 32-bit signless integer values}}
  %0 = tide.attention %q, %q, %q key_lengths %len : tensor<2xi64> scale = 0.25 chunks = [8, 8] : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>
  return
}

// -----

func.func @attention_head_dim(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x32xf32>) {
  // expected-error @+1 {{attention query head_dim 16 does not match key head_dim 32}}
  %0 = tide.attention %q, %k, %k scale = 0.25 chunks = [8, 8] : tensor<1x2x8x16xf32>, tensor<1x2x8x32xf32>, tensor<1x2x8x32xf32>
  return
}

// -----

func.func @attention_chunks(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{attention chunk sizes must be positive, got [0, 8]}}
  %0 = tide.attention %q, %q, %q scale = 0.25 chunks = [0, 8] : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @attention_negative_chunk(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{attention chunk sizes must be positive, got [8, -4]}}
  %0 = tide.attention %q, %q, %q causal scale = 0.25 chunks = [8, -4] : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{attention scale must be positive and finite (as a 32-bit float), got -1}}
  %0 = tide.attention %q, %q, %q scale = -1.0 chunks = [8, 8] : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @mse_types(%a: tensor<8xf32>, %b: tensor<9xf32>) {
  // expected-error @+1 {{'tide.mse_loss' op failed to verify that all of {prediction, target} have same type}}
  %0 = "tide.mse_loss"(%a, %b) : (tensor<8xf32>, tensor<9xf32>) -> tensor<f32>
  return
}

// -----

func.func @mse_result(%a: tensor<8xf32>) {
  // expected-error @+1 {{'tide.mse_loss' op result #0 must be 0D tensor of floating-point values, but got 'tensor<1xf32>'}}
  %0 = "tide.mse_loss"(%a, %a) : (tensor<8xf32>, tensor<8xf32>) -> tensor<1xf32>
  return
}

// -----

func.func @xent_labels_shape(%l: tensor<4x10xf32>, %y: tensor<5xi32>) {
  // expected-error @+1 {{softmax_cross_entropy labels shape [5] must equal the logits' row shape [4] (logits [4, 10] without the class dimension)}}
  %0 = tide.softmax_cross_entropy %l, %y : tensor<4x10xf32>, tensor<5xi32>
  return
}

// -----

func.func @xent_labels_type(%l: tensor<4x10xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{softmax_cross_entropy labels must be i32 or i64, got 'f32'}}
  %0 = tide.softmax_cross_entropy %l, %y : tensor<4x10xf32>, tensor<4xf32>
  return
}

// -----

func.func @xent_scalar(%l: tensor<f32>, %y: tensor<i32>) {
  // expected-error @+1 {{softmax_cross_entropy logits must have rank >= 1 ([rows..., classes])}}
  %0 = tide.softmax_cross_entropy %l, %y : tensor<f32>, tensor<i32>
  return
}

// -----

func.func @checkpoint_types(%x: tensor<8xf32>) {
  // expected-error @+1 {{'tide.checkpoint' op yields 1 value(s) of type(s) ('tensor<8xf32>') but the op has result type(s) ('tensor<4xf32>')}}
  %0 = tide.checkpoint -> (tensor<4xf32>) {
    %a = tide.relu %x : tensor<8xf32>
    tide.yield %a : tensor<8xf32>
  }
  return
}

// -----

func.func @checkpoint_nested(%x: tensor<8xf32>) {
  %0 = tide.checkpoint -> (tensor<8xf32>) {
    // expected-error @+1 {{'tide.checkpoint' op is nested inside another tide.checkpoint; checkpoint regions do not nest}}
    %a = tide.checkpoint -> (tensor<8xf32>) {
      %b = tide.relu %x : tensor<8xf32>
      tide.yield %b : tensor<8xf32>
    }
    tide.yield %a : tensor<8xf32>
  }
  return
}

// -----

func.func @checkpoint_no_yield(%x: tensor<8xf32>) {
  // expected-error @+1 {{'tide.checkpoint' op body must end with tide.yield}}
  %0 = "tide.checkpoint"() ({
    %a = tide.relu %x : tensor<8xf32>
  }) : () -> tensor<8xf32>
  return
}

// -----

func.func @yield_outside(%x: tensor<8xf32>) {
  // expected-error @+1 {{'tide.yield' op expects parent op 'tide.checkpoint'}}
  tide.yield %x : tensor<8xf32>
}

// -----

// expected-error @+1 {{'tide.param' on argument #0 must be a unit attribute, got 1 : i64}}
func.func @param_not_unit(%w: tensor<8xf32> {tide.param = 1}) {
  return
}

// -----

// expected-error @+1 {{'tide.param' argument #0 must be a statically shaped floating-point tensor, got 'tensor<8xi32>'}}
func.func @param_integer(%w: tensor<8xi32> {tide.param}) {
  return
}

// -----

// expected-error @+1 {{unknown tide argument attribute 'tide.parameter' on argument #0; expected 'tide.param', 'tide.init', 'tide.state' or 'tide.state_of'}}
func.func @param_misspelled(%w: tensor<8xf32> {tide.parameter}) {
  return
}
