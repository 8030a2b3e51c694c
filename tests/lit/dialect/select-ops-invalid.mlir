// Every verifier rule of tide.split, tide.where, tide.reduce_max and tide.cast (and the gradient
// op of reduce_max): one malformed use per case, each with its located message.
// RUN: tide-opt %s -split-input-file -verify-diagnostics

func.func @split_sum(%x: tensor<2x12xf32>) {
  // expected-error @+1 {{split sizes [4, 4, 3] add up to 11 but dimension 1 of the input has size 12}}
  %a, %b, %c = tide.split %x axis = 1 sizes = [4, 4, 3] : tensor<2x12xf32> -> tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x3xf32>
  return
}

// -----

func.func @split_exceeds(%x: tensor<2x12xf32>) {
  // expected-error @+1 {{split sizes [8, 8] exceed dimension 1 of the input (size 12)}}
  %a, %b = tide.split %x axis = 1 sizes = [8, 8] : tensor<2x12xf32> -> tensor<2x8xf32>, tensor<2x8xf32>
  return
}

// -----

func.func @split_zero(%x: tensor<2x12xf32>) {
  // expected-error @+1 {{split size #1 must be positive, got 0}}
  %a, %b = tide.split %x axis = 1 sizes = [12, 0] : tensor<2x12xf32> -> tensor<2x12xf32>, tensor<2x0xf32>
  return
}

// -----

func.func @split_negative(%x: tensor<2x12xf32>) {
  // expected-error @+1 {{split size #0 must be positive, got -4}}
  %a, %b = tide.split %x axis = 1 sizes = [-4, 16] : tensor<2x12xf32> -> tensor<2x4xf32>, tensor<2x16xf32>
  return
}

// -----

func.func @split_axis(%x: tensor<2x12xf32>) {
  // expected-error @+1 {{split axis 2 is out of range for a tensor of rank 2 (expected an axis in [-2, 2))}}
  %a = tide.split %x axis = 2 sizes = [12] : tensor<2x12xf32> -> tensor<2x12xf32>
  return
}

// -----

func.func @split_empty(%x: tensor<2x12xf32>) {
  // expected-error @+1 {{split needs 1 to 32 sizes, got 0}}
  "tide.split"(%x) {axis = 1 : i64, sizes = array<i64>} : (tensor<2x12xf32>) -> ()
  return
}

// -----

func.func @split_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{split input must have rank >= 1}}
  %a = tide.split %x axis = 0 sizes = [1] : tensor<f32> -> tensor<1xf32>
  return
}

// -----

func.func @split_result_type(%x: tensor<2x12xf32>) {
  // expected-error @+2 {{'tide.split' op inferred type(s) 'tensor<2x4xf32>', 'tensor<2x8xf32>' are incompatible with return type(s) of operation 'tensor<2x8xf32>', 'tensor<2x4xf32>'}}
  // expected-error @+1 {{'tide.split' op failed to infer returned types}}
  %a, %b = tide.split %x axis = 1 sizes = [4, 8] : tensor<2x12xf32> -> tensor<2x8xf32>, tensor<2x4xf32>
  return
}

// -----

func.func @split_too_many(%x: tensor<33xf32>) {
  // expected-error @+1 {{split needs 1 to 32 sizes, got 33}}
  %r:33 = tide.split %x axis = 0 sizes = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] : tensor<33xf32> -> tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>
  return
}

// -----

func.func @where_values(%m: tensor<4xi32>, %x: tensor<4xf32>, %y: tensor<3xf32>) {
  // expected-error @+1 {{where lhs and rhs shapes [4] and [3] are not broadcast-compatible (trailing dimensions must be equal or 1)}}
  %0 = tide.where %m, %x, %y : (tensor<4xi32>, tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @where_condition(%m: tensor<3xi32>, %x: tensor<2x4xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{where condition shape and value shape [3] and [2, 4] are not broadcast-compatible (trailing dimensions must be equal or 1)}}
  %0 = tide.where %m, %x, %y : (tensor<3xi32>, tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @where_element_types(%m: tensor<4xi32>, %x: tensor<4xf32>, %y: tensor<4xf16>) {
  // expected-error @+1 {{lhs and rhs must have the same element type, got 'f32' and 'f16'}}
  %0 = tide.where %m, %x, %y : (tensor<4xi32>, tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @where_float_mask(%m: tensor<4xf32>, %x: tensor<4xf32>) {
  // expected-error @+1 {{'tide.where' op operand #0 must be ranked tensor of 32-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = tide.where %m, %x, %x : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @where_i64_mask(%m: tensor<4xi64>, %x: tensor<4xf32>) {
  // expected-error @+1 {{'tide.where' op operand #0 must be ranked tensor of 32-bit signless integer values, but got 'tensor<4xi64>'}}
  %0 = tide.where %m, %x, %x : (tensor<4xi64>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @reduce_max_axis(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{reduce_max axis -3 is out of range for a tensor of rank 2 (expected an axis in [-2, 2))}}
  %0 = tide.reduce_max %x axis = -3 : tensor<4x8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @reduce_max_empty(%x: tensor<4x0xf32>) {
  // expected-error @+1 {{reduce_max over dimension 1 of 'tensor<4x0xf32>': the maximum of no elements is undefined}}
  %0 = tide.reduce_max %x axis = 1 : tensor<4x0xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_max_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{reduce_max input must have rank >= 1}}
  %0 = tide.reduce_max %x axis = 0 : tensor<f32> -> tensor<f32>
  return
}

// -----

func.func @reduce_max_keep_dims(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{'tide.reduce_max' op inferred type(s) 'tensor<4x1xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{'tide.reduce_max' op failed to infer returned types}}
  %0 = tide.reduce_max %x axis = 1 keep_dims : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_max_grad_type(%x: tensor<4x8xf32>, %d: tensor<4xf32>) {
  // expected-error @+1 {{reduce_max_grad grad 'tensor<4xf32>' must have the reduced type 'tensor<4x1xf32>'}}
  %0 = tide.reduce_max_grad %x, %d axis = 1 keep_dims : tensor<4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @cast_identity(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tide.cast' op from 'f32' to 'f32' is not a conversion; use the value itself}}
  %0 = tide.cast %x : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @cast_i32_identity(%x: tensor<4xi32>) {
  // expected-error @+1 {{'tide.cast' op from 'i32' to 'i32' is not a conversion; use the value itself}}
  %0 = tide.cast %x : tensor<4xi32> -> tensor<4xi32>
  return
}

// -----

func.func @cast_f16(%x: tensor<4xf16>) {
  // expected-error @+1 {{'tide.cast' op converts between f32 and i32 only, got 'f16' -> 'i32'}}
  %0 = tide.cast %x : tensor<4xf16> -> tensor<4xi32>
  return
}

// -----

func.func @cast_shape(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tide.cast' op result shape [2, 2] must be the input's shape [4]}}
  %0 = tide.cast %x : tensor<4xf32> -> tensor<2x2xi32>
  return
}

// -----

func.func @cast_i64(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tide.cast' op result #0 must be ranked tensor of floating-point values or ranked tensor of 32-bit signless integer values, but got 'tensor<4xi64>'}}
  %0 = tide.cast %x : tensor<4xf32> -> tensor<4xi64>
  return
}
