// RUN: tide-opt %s -split-input-file -tide-fuse-attention | FileCheck %s
// RUN: tide-opt %s -split-input-file -tide-fuse-attention=remarks -verify-diagnostics -o /dev/null

// What torch.onnx.export writes for a two-head attention without mask (tests/e2e Parts): the
// key [B, T, H, D] is transposed by [0, 2, 3, 1] in one go; the fused key is [0, 2, 1, 3] of
// the same value. Scale: the division by sqrt(8) = 2.82842708.
// CHECK-LABEL: func.func @exported_heads
// CHECK-SAME:  tide.fusions = {attention = 1 : i64, attention_not_fused = 0 : i64}
// CHECK:       %[[Q:.*]] = tide.transpose %arg0 permutation = [0, 2, 1, 3]
// CHECK:       %[[V:.*]] = tide.transpose %arg2 permutation = [0, 2, 1, 3]
// CHECK:       %[[K:.*]] = tide.transpose %arg1 permutation = [0, 2, 1, 3] : tensor<2x5x2x8xf32> -> tensor<2x2x5x8xf32>
// CHECK-NEXT:  %[[O:.*]] = tide.attention %[[Q]], %[[K]], %[[V]] scale = 0.3535533{{[0-9]*}} chunks = [5, 5] : tensor<2x2x5x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x8xf32>
// CHECK-NEXT:  return %[[O]]
// CHECK-NOT:   tide.softmax
func.func @exported_heads(%q: tensor<2x5x2x8xf32>, %k: tensor<2x5x2x8xf32>, %v: tensor<2x5x2x8xf32>)
    -> tensor<2x2x5x8xf32> {
  %q4 = tide.transpose %q permutation = [0, 2, 1, 3] : tensor<2x5x2x8xf32> -> tensor<2x2x5x8xf32>
  %v4 = tide.transpose %v permutation = [0, 2, 1, 3] : tensor<2x5x2x8xf32> -> tensor<2x2x5x8xf32>
  %kt = tide.transpose %k permutation = [0, 2, 3, 1] : tensor<2x5x2x8xf32> -> tensor<2x2x8x5xf32>
  %s = tide.matmul %q4, %kt : (tensor<2x2x5x8xf32>, tensor<2x2x8x5xf32>) -> tensor<2x2x5x5xf32>
  %c = arith.constant dense<2.82842708> : tensor<f32>
  %d = tide.div %s, %c : (tensor<2x2x5x5xf32>, tensor<f32>) -> tensor<2x2x5x5xf32>
  %p = tide.softmax %d axis = 3 : tensor<2x2x5x5xf32>
  %o = tide.matmul %p, %v4 : (tensor<2x2x5x5xf32>, tensor<2x2x5x8xf32>) -> tensor<2x2x5x8xf32>
  return %o : tensor<2x2x5x8xf32>
}

// -----

// masked_fill(tril == 0, -1e9) after a multiplication by 0.25, as the importer folds it: the
// condition is a constant (1 above the diagonal) cast to i32. The key is already [B, H, T, D]
// behind a transpose of the last two axes, which disappears.
// CHECK-LABEL: func.func @causal_where
// CHECK-NEXT:  %[[O:.*]] = tide.attention %arg0, %arg1, %arg2 causal scale = 2.500000e-01 chunks = [4, 4]
// CHECK-NEXT:  return %[[O]]
func.func @causal_where(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>)
    -> tensor<1x2x4x8xf32> {
  %kt = tide.transpose %k permutation = [0, 1, 3, 2] : tensor<1x2x4x8xf32> -> tensor<1x2x8x4xf32>
  %s = tide.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %c = arith.constant dense<2.500000e-01> : tensor<f32>
  %m = tide.mul %s, %c : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %maskf = arith.constant dense<[[0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %mask = tide.cast %maskf : tensor<4x4xf32> -> tensor<4x4xi32>
  %fill = arith.constant dense<-1.000000e+09> : tensor<f32>
  %w = tide.where %mask, %fill, %m : (tensor<4x4xi32>, tensor<f32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = tide.softmax %w axis = 3 : tensor<1x2x4x4xf32>
  %o = tide.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// The additive form (a [1, 1, T, T] constant of 0 and -inf), the scale applied to the query and
// to the key (0.5 * 0.5) and the key transposed by the matmul itself; where(allowed, s, -inf)
// (the fill on the false side) is the same causal mask.
// CHECK-LABEL: func.func @causal_add_scaled_inputs
// CHECK:       %[[O:.*]] = tide.attention %arg0, %arg1, %arg2 causal scale = 2.500000e-01 chunks = [3, 3]
// CHECK:       %[[O2:.*]] = tide.attention %arg0, %arg1, %arg2 causal scale = 1.000000e+00 chunks = [3, 3]
// CHECK:       return %[[O]], %[[O2]]
func.func @causal_add_scaled_inputs(%q: tensor<1x1x3x2xf32>, %k: tensor<1x1x3x2xf32>, %v: tensor<1x1x3x2xf32>)
    -> (tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) {
  %h = arith.constant dense<5.000000e-01> : tensor<f32>
  %qs = tide.mul %q, %h : (tensor<1x1x3x2xf32>, tensor<f32>) -> tensor<1x1x3x2xf32>
  %ks = tide.mul %h, %k : (tensor<f32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x2xf32>
  %s = tide.matmul %qs, %ks transpose_rhs : (tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x3xf32>
  %mask = arith.constant dense<[[[[0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0]]]]> : tensor<1x1x3x3xf32>
  %a = tide.add %mask, %s : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %p = tide.softmax %a axis = -1 : tensor<1x1x3x3xf32>
  %o = tide.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x2xf32>

  %s2 = tide.matmul %q, %k transpose_rhs : (tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x3xf32>
  %allowed = arith.constant dense<[[1, 0, 0], [1, 1, 0], [1, 1, 1]]> : tensor<3x3xi32>
  %ninf = arith.constant dense<0xFF800000> : tensor<f32>
  %w = tide.where %allowed, %s2, %ninf : (tensor<3x3xi32>, tensor<1x1x3x3xf32>, tensor<f32>) -> tensor<1x1x3x3xf32>
  %p2 = tide.softmax %w axis = 3 : tensor<1x1x3x3xf32>
  %o2 = tide.matmul %p2, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x2xf32>
  return %o, %o2 : tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>
}

// -----

// Single-head [B, T, D] attention (tests/e2e Parts17): viewed as [B, 1, T, D] and back.
// CHECK-LABEL: func.func @rank3
// CHECK:       %[[Q:.*]] = tide.reshape %arg0 : tensor<2x6x16xf32> -> tensor<2x1x6x16xf32>
// CHECK-NEXT:  %[[K:.*]] = tide.reshape %arg1 : tensor<2x6x16xf32> -> tensor<2x1x6x16xf32>
// CHECK-NEXT:  %[[V:.*]] = tide.reshape %arg2 : tensor<2x6x16xf32> -> tensor<2x1x6x16xf32>
// CHECK-NEXT:  %[[O:.*]] = tide.attention %[[Q]], %[[K]], %[[V]] causal scale = 2.500000e-01 chunks = [6, 6]
// CHECK-NEXT:  %[[R:.*]] = tide.reshape %[[O]] : tensor<2x1x6x16xf32> -> tensor<2x6x16xf32>
// CHECK-NEXT:  return %[[R]]
func.func @rank3(%q: tensor<2x6x16xf32>, %k: tensor<2x6x16xf32>, %v: tensor<2x6x16xf32>) -> tensor<2x6x16xf32> {
  %kt = tide.transpose %k permutation = [0, 2, 1] : tensor<2x6x16xf32> -> tensor<2x16x6xf32>
  %s = tide.matmul %q, %kt : (tensor<2x6x16xf32>, tensor<2x16x6xf32>) -> tensor<2x6x6xf32>
  %c = arith.constant dense<2.500000e-01> : tensor<f32>
  %m = tide.mul %s, %c : (tensor<2x6x6xf32>, tensor<f32>) -> tensor<2x6x6xf32>
  %maskf = arith.constant dense<[[0.0, 1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<6x6xf32>
  %mask = tide.cast %maskf : tensor<6x6xf32> -> tensor<6x6xi32>
  %fill = arith.constant dense<-1.000000e+09> : tensor<f32>
  %w = tide.where %mask, %fill, %m : (tensor<6x6xi32>, tensor<f32>, tensor<2x6x6xf32>) -> tensor<2x6x6xf32>
  %p = tide.softmax %w axis = 2 : tensor<2x6x6xf32>
  %o = tide.matmul %p, %v : (tensor<2x6x6xf32>, tensor<2x6x16xf32>) -> tensor<2x6x16xf32>
  return %o : tensor<2x6x16xf32>
}

// -----

// Not fused: a mask that is not causal (the last row hides key 0 as well).
// CHECK-LABEL: func.func @not_causal
// CHECK-SAME:  tide.fusions = {attention = 0 : i64, attention_not_fused = 1 : i64}
// CHECK:       tide.where
// CHECK:       tide.softmax
// CHECK-NOT:   tide.attention
func.func @not_causal(%q: tensor<1x1x3x2xf32>, %k: tensor<1x1x3x2xf32>, %v: tensor<1x1x3x2xf32>) -> tensor<1x1x3x2xf32> {
  %s = tide.matmul %q, %k transpose_rhs : (tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x3xf32>
  %mask = arith.constant dense<[[0, 1, 1], [0, 0, 1], [1, 0, 0]]> : tensor<3x3xi32>
  %fill = arith.constant dense<-1.000000e+09> : tensor<f32>
  %w = tide.where %mask, %fill, %s : (tensor<3x3xi32>, tensor<f32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  // expected-remark @below {{tide-fuse-attention: not fused: the mask is not exactly causal}}
  %p = tide.softmax %w axis = 3 : tensor<1x1x3x3xf32>
  %o = tide.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x2xf32>
  return %o : tensor<1x1x3x2xf32>
}

// -----

// Not fused: a fill of -1 does not hide the key (softmax gives it weight); a runtime mask.
// CHECK-LABEL: func.func @weak_fill_runtime_mask
// CHECK-COUNT-2: tide.softmax
// CHECK-NOT:   tide.attention
func.func @weak_fill_runtime_mask(%q: tensor<1x1x3x2xf32>, %k: tensor<1x1x3x2xf32>, %v: tensor<1x1x3x2xf32>,
                                  %rm: tensor<1x1x3x3xf32>) -> (tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) {
  %s = tide.matmul %q, %k transpose_rhs : (tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x3xf32>
  %mask = arith.constant dense<[[0, 1, 1], [0, 0, 1], [0, 0, 0]]> : tensor<3x3xi32>
  %fill = arith.constant dense<-1.000000e+00> : tensor<f32>
  %w = tide.where %mask, %fill, %s : (tensor<3x3xi32>, tensor<f32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  // expected-remark @below {{tide-fuse-attention: not fused: the where is not a constant mask with a -inf fill}}
  %p = tide.softmax %w axis = 3 : tensor<1x1x3x3xf32>
  %o = tide.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x2xf32>
  %s2 = tide.matmul %q, %k transpose_rhs : (tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x3xf32>
  %a = tide.add %s2, %rm : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  // expected-remark @below {{tide-fuse-attention: not fused: the added mask is not a constant causal mask}}
  %p2 = tide.softmax %a axis = 3 : tensor<1x1x3x3xf32>
  %o2 = tide.matmul %p2, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x2xf32>
  return %o, %o2 : tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>
}

// -----

// Not fused: the scores have another use (returned), and a scale that is an argument.
// CHECK-LABEL: func.func @extra_use_and_runtime_scale
// CHECK-COUNT-2: tide.softmax
// CHECK-NOT:   tide.attention
func.func @extra_use_and_runtime_scale(%q: tensor<1x1x3x2xf32>, %k: tensor<1x1x3x2xf32>, %v: tensor<1x1x3x2xf32>,
                                       %t: tensor<f32>)
    -> (tensor<1x1x3x2xf32>, tensor<1x1x3x3xf32>, tensor<1x1x3x2xf32>) {
  %s = tide.matmul %q, %k transpose_rhs : (tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x3xf32>
  %c = arith.constant dense<2.500000e-01> : tensor<f32>
  %m = tide.mul %s, %c : (tensor<1x1x3x3xf32>, tensor<f32>) -> tensor<1x1x3x3xf32>
  // expected-remark @below {{tide-fuse-attention: not fused: the scores have another use}}
  %p = tide.softmax %m axis = 3 : tensor<1x1x3x3xf32>
  %o = tide.matmul %p, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x2xf32>
  %s2 = tide.matmul %q, %k transpose_rhs : (tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x3xf32>
  %m2 = tide.mul %s2, %t : (tensor<1x1x3x3xf32>, tensor<f32>) -> tensor<1x1x3x3xf32>
  // expected-remark @below {{tide-fuse-attention: not fused: the scale is not a constant scalar}}
  %p2 = tide.softmax %m2 axis = 3 : tensor<1x1x3x3xf32>
  %o2 = tide.matmul %p2, %v : (tensor<1x1x3x3xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x3x2xf32>
  return %o, %s, %o2 : tensor<1x1x3x2xf32>, tensor<1x1x3x3xf32>, tensor<1x1x3x2xf32>
}

// -----

// Not fused: a float condition of 0.5 above the diagonal casts to 0 (nothing masked), although
// its non-zero pattern is causal.
// CHECK-LABEL: func.func @fractional_condition
// CHECK:       tide.softmax
// CHECK-NOT:   tide.attention
func.func @fractional_condition(%q: tensor<1x1x2x2xf32>, %k: tensor<1x1x2x2xf32>, %v: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %s = tide.matmul %q, %k transpose_rhs : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %maskf = arith.constant dense<[[0.0, 0.5], [0.0, 0.0]]> : tensor<2x2xf32>
  %mask = tide.cast %maskf : tensor<2x2xf32> -> tensor<2x2xi32>
  %fill = arith.constant dense<-1.000000e+09> : tensor<f32>
  %w = tide.where %mask, %fill, %s : (tensor<2x2xi32>, tensor<f32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  // expected-remark @below {{tide-fuse-attention: not fused: the mask condition is not integral}}
  %p = tide.softmax %w axis = 3 : tensor<1x1x2x2xf32>
  %o = tide.matmul %p, %v : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %o : tensor<1x1x2x2xf32>
}
