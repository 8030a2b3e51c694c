// RUN: tide-opt %s -split-input-file -tide-fuse-norms | FileCheck %s
// RUN: tide-opt %s -split-input-file -tide-fuse-norms=remarks -verify-diagnostics -o /dev/null

// nn.LayerNorm as torch.onnx.export writes it at opset 13 (tests/e2e Parts), and the same with
// the square as a multiplication and gamma, beta on the left.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME:  layer_norm = 2 : i64, layer_norm_not_fused = 0 : i64
// CHECK-NEXT:  %[[A:.*]] = tide.layer_norm %arg0, %arg1, %arg2 axis = 2 epsilon = 9.999999747{{[0-9]*}}E-6 : tensor<2x5x16xf32>, tensor<16xf32>, tensor<16xf32>
// CHECK-NEXT:  %[[B:.*]] = tide.layer_norm %arg0, %arg1, %arg2 axis = 2 epsilon = 0.0010000000474{{[0-9]*}} :
// CHECK-NEXT:  return %[[A]], %[[B]]
func.func @layer_norm(%x: tensor<2x5x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>)
    -> (tensor<2x5x16xf32>, tensor<2x5x16xf32>) {
  %1 = tide.reduce_mean %x axes = [2] keep_dims : tensor<2x5x16xf32> -> tensor<2x5x1xf32>
  %2 = tide.sub %x, %1 : (tensor<2x5x16xf32>, tensor<2x5x1xf32>) -> tensor<2x5x16xf32>
  %3 = tide.pow %2 exponent = 2.000000e+00 : tensor<2x5x16xf32>
  %4 = tide.reduce_mean %3 axes = [2] keep_dims : tensor<2x5x16xf32> -> tensor<2x5x1xf32>
  %cst = arith.constant dense<9.99999974E-6> : tensor<f32>
  %5 = tide.add %4, %cst : (tensor<2x5x1xf32>, tensor<f32>) -> tensor<2x5x1xf32>
  %6 = tide.sqrt %5 : tensor<2x5x1xf32>
  %7 = tide.div %2, %6 : (tensor<2x5x16xf32>, tensor<2x5x1xf32>) -> tensor<2x5x16xf32>
  %8 = tide.mul %7, %g : (tensor<2x5x16xf32>, tensor<16xf32>) -> tensor<2x5x16xf32>
  %9 = tide.add %8, %b : (tensor<2x5x16xf32>, tensor<16xf32>) -> tensor<2x5x16xf32>

  %m = tide.reduce_mean %x axes = [-1] keep_dims : tensor<2x5x16xf32> -> tensor<2x5x1xf32>
  %c = tide.sub %x, %m : (tensor<2x5x16xf32>, tensor<2x5x1xf32>) -> tensor<2x5x16xf32>
  %sq = tide.mul %c, %c : (tensor<2x5x16xf32>, tensor<2x5x16xf32>) -> tensor<2x5x16xf32>
  %v = tide.reduce_mean %sq axes = [2] keep_dims : tensor<2x5x16xf32> -> tensor<2x5x1xf32>
  %eps = arith.constant dense<1.0E-3> : tensor<f32>
  %ve = tide.add %eps, %v : (tensor<f32>, tensor<2x5x1xf32>) -> tensor<2x5x1xf32>
  %s = tide.sqrt %ve : tensor<2x5x1xf32>
  %n = tide.div %c, %s : (tensor<2x5x16xf32>, tensor<2x5x1xf32>) -> tensor<2x5x16xf32>
  %gn = tide.mul %g, %n : (tensor<16xf32>, tensor<2x5x16xf32>) -> tensor<2x5x16xf32>
  %y = tide.add %b, %gn : (tensor<16xf32>, tensor<2x5x16xf32>) -> tensor<2x5x16xf32>
  return %9, %y : tensor<2x5x16xf32>, tensor<2x5x16xf32>
}

// -----

// Not fused: the centered value is also returned; the variance is not of the centered value.
// The first is still (x - mean) / sqrt(mean((x - mean)^2) + eps) * gamma, an RMSNorm of the
// centered value (the same function; the centered value stays), plus beta.
// CHECK-LABEL: func.func @layer_norm_refused
// CHECK-SAME:  layer_norm = 0 : i64, layer_norm_not_fused = 2 : i64
// CHECK-SAME:  rms_norm = 1 : i64
// CHECK-NOT:   tide.layer_norm
// CHECK:       %[[C:.*]] = tide.sub %arg0
// CHECK-NEXT:  %[[R:.*]] = tide.rms_norm %[[C]], %arg1 axis = 1
// CHECK-NEXT:  tide.add %[[R]], %arg2
// CHECK-NOT:   tide.layer_norm
func.func @layer_norm_refused(%x: tensor<4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %cst = arith.constant dense<1.0E-5> : tensor<f32>
  %1 = tide.reduce_mean %x axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
  %2 = tide.sub %x, %1 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %3 = tide.pow %2 exponent = 2.000000e+00 : tensor<4x8xf32>
  %4 = tide.reduce_mean %3 axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
  %5 = tide.add %4, %cst : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %6 = tide.sqrt %5 : tensor<4x1xf32>
  %7 = tide.div %2, %6 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %8 = tide.mul %7, %g : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // expected-remark @below {{tide-fuse-norms: layer_norm not fused: x - mean(x) has another use}}
  %9 = tide.add %8, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>

  %a1 = tide.reduce_mean %x axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
  %a2 = tide.sub %x, %a1 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %a3 = tide.pow %x exponent = 2.000000e+00 : tensor<4x8xf32>
  %a4 = tide.reduce_mean %a3 axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
  %a5 = tide.add %a4, %cst : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %a6 = tide.sqrt %a5 : tensor<4x1xf32>
  %a7 = tide.div %a2, %a6 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %a8 = tide.mul %a7, %g : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // expected-remark @below {{tide-fuse-norms: layer_norm not fused: the variance is not mean((x - mean)^2)}}
  %a9 = tide.add %a8, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %9, %2, %a9 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// RMSNorm: x * rsqrt(mean(x^2) + eps) * w as exported (torch.rsqrt is Sqrt + Reciprocal, the
// importer's 1 / sqrt), with tide.rsqrt, and as x / sqrt(...) * w.
// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME:  rms_norm = 3 : i64, rms_norm_not_fused = 0 : i64
// CHECK-NEXT:  %[[A:.*]] = tide.rms_norm %arg0, %arg1 axis = 2 epsilon = 9.99999997475{{[0-9]*}}E-7 : tensor<2x3x16xf32>, tensor<16xf32>
// CHECK-NEXT:  %[[B:.*]] = tide.rms_norm %arg0, %arg1 axis = 2 epsilon = 9.99999997475{{[0-9]*}}E-7
// CHECK-NEXT:  %[[C:.*]] = tide.rms_norm %arg0, %arg1 axis = 2 epsilon = 9.99999997475{{[0-9]*}}E-7
// CHECK-NEXT:  return %[[A]], %[[B]], %[[C]]
func.func @rms_norm(%x: tensor<2x3x16xf32>, %w: tensor<16xf32>)
    -> (tensor<2x3x16xf32>, tensor<2x3x16xf32>, tensor<2x3x16xf32>) {
  %eps = arith.constant dense<9.99999997E-7> : tensor<f32>
  %one = arith.constant dense<1.000000e+00> : tensor<f32>
  %0 = tide.pow %x exponent = 2.000000e+00 : tensor<2x3x16xf32>
  %1 = tide.reduce_mean %0 axes = [2] keep_dims : tensor<2x3x16xf32> -> tensor<2x3x1xf32>
  %2 = tide.add %1, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %3 = tide.sqrt %2 : tensor<2x3x1xf32>
  %4 = tide.div %one, %3 : (tensor<f32>, tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %5 = tide.mul %x, %4 : (tensor<2x3x16xf32>, tensor<2x3x1xf32>) -> tensor<2x3x16xf32>
  %6 = tide.mul %5, %w : (tensor<2x3x16xf32>, tensor<16xf32>) -> tensor<2x3x16xf32>

  %b0 = tide.mul %x, %x : (tensor<2x3x16xf32>, tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  %b1 = tide.reduce_mean %b0 axes = [-1] keep_dims : tensor<2x3x16xf32> -> tensor<2x3x1xf32>
  %b2 = tide.add %eps, %b1 : (tensor<f32>, tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %b3 = tide.rsqrt %b2 : tensor<2x3x1xf32>
  %b5 = tide.mul %b3, %x : (tensor<2x3x1xf32>, tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  %b6 = tide.mul %w, %b5 : (tensor<16xf32>, tensor<2x3x16xf32>) -> tensor<2x3x16xf32>

  %c0 = tide.pow %x exponent = 2.000000e+00 : tensor<2x3x16xf32>
  %c1 = tide.reduce_mean %c0 axes = [2] keep_dims : tensor<2x3x16xf32> -> tensor<2x3x1xf32>
  %c2 = tide.add %c1, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %c3 = tide.sqrt %c2 : tensor<2x3x1xf32>
  %c5 = tide.div %x, %c3 : (tensor<2x3x16xf32>, tensor<2x3x1xf32>) -> tensor<2x3x16xf32>
  %c6 = tide.mul %c5, %w : (tensor<2x3x16xf32>, tensor<16xf32>) -> tensor<2x3x16xf32>
  return %6, %b6, %c6 : tensor<2x3x16xf32>, tensor<2x3x16xf32>, tensor<2x3x16xf32>
}

// -----

// Not fused: a weight that is not [D] (here [3, 16]); an eps that is a runtime value.
// CHECK-LABEL: func.func @rms_norm_refused
// CHECK-SAME:  rms_norm = 0 : i64, rms_norm_not_fused = 1 : i64
// CHECK-NOT:   tide.rms_norm
func.func @rms_norm_refused(%x: tensor<2x3x16xf32>, %w: tensor<3x16xf32>, %e: tensor<f32>)
    -> (tensor<2x3x16xf32>, tensor<2x3x16xf32>) {
  %eps = arith.constant dense<1.0E-6> : tensor<f32>
  %0 = tide.pow %x exponent = 2.000000e+00 : tensor<2x3x16xf32>
  %1 = tide.reduce_mean %0 axes = [2] keep_dims : tensor<2x3x16xf32> -> tensor<2x3x1xf32>
  %2 = tide.add %1, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %3 = tide.rsqrt %2 : tensor<2x3x1xf32>
  %5 = tide.mul %x, %3 : (tensor<2x3x16xf32>, tensor<2x3x1xf32>) -> tensor<2x3x16xf32>
  // expected-remark @below {{tide-fuse-norms: rms_norm not fused: the weight is not a [D] vector}}
  %6 = tide.mul %5, %w : (tensor<2x3x16xf32>, tensor<3x16xf32>) -> tensor<2x3x16xf32>
  %b0 = tide.pow %x exponent = 2.000000e+00 : tensor<2x3x16xf32>
  %b1 = tide.reduce_mean %b0 axes = [2] keep_dims : tensor<2x3x16xf32> -> tensor<2x3x1xf32>
  %b2 = tide.add %b1, %e : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %b3 = tide.rsqrt %b2 : tensor<2x3x1xf32>
  %b5 = tide.mul %x, %b3 : (tensor<2x3x16xf32>, tensor<2x3x1xf32>) -> tensor<2x3x16xf32>
  %b6 = tide.mul %b5, %w : (tensor<2x3x16xf32>, tensor<3x16xf32>) -> tensor<2x3x16xf32>
  return %6, %b6 : tensor<2x3x16xf32>, tensor<2x3x16xf32>
}

// -----

// GELU: the exact form as exported (Div by sqrt(2), Erf, Add 1, Mul x, Mul 0.5), written as
// (x * 0.5) * (1 + erf(x * 0.70710678)), and the tanh form as exported (x * x * x) and with
// pow(x, 3).
// CHECK-LABEL: func.func @gelu
// CHECK-SAME:  gelu = 4 : i64, gelu_not_fused = 0 : i64
// CHECK-NEXT:  %[[A:.*]] = tide.gelu %arg0 exact : tensor<2x32xf32>
// CHECK-NEXT:  %[[B:.*]] = tide.gelu %arg0 exact : tensor<2x32xf32>
// CHECK-NEXT:  %[[C:.*]] = tide.gelu %arg0 tanh : tensor<2x32xf32>
// CHECK-NEXT:  %[[D:.*]] = tide.gelu %arg0 tanh : tensor<2x32xf32>
// CHECK-NEXT:  return %[[A]], %[[B]], %[[C]], %[[D]]
func.func @gelu(%x: tensor<2x32xf32>)
    -> (tensor<2x32xf32>, tensor<2x32xf32>, tensor<2x32xf32>, tensor<2x32xf32>) {
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.000000e+00> : tensor<f32>
  %half = arith.constant dense<5.000000e-01> : tensor<f32>
  %0 = tide.div %x, %sqrt2 : (tensor<2x32xf32>, tensor<f32>) -> tensor<2x32xf32>
  %1 = tide.erf %0 : tensor<2x32xf32>
  %2 = tide.add %1, %one : (tensor<2x32xf32>, tensor<f32>) -> tensor<2x32xf32>
  %3 = tide.mul %x, %2 : (tensor<2x32xf32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %4 = tide.mul %3, %half : (tensor<2x32xf32>, tensor<f32>) -> tensor<2x32xf32>

  %rs2 = arith.constant dense<0.707106769> : tensor<f32>
  %b0 = tide.mul %x, %half : (tensor<2x32xf32>, tensor<f32>) -> tensor<2x32xf32>
  %b1 = tide.mul %rs2, %x : (tensor<f32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %b2 = tide.erf %b1 : tensor<2x32xf32>
  %b3 = tide.add %one, %b2 : (tensor<f32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %b4 = tide.mul %b0, %b3 : (tensor<2x32xf32>, tensor<2x32xf32>) -> tensor<2x32xf32>

  %k = arith.constant dense<4.471500e-02> : tensor<f32>
  %s = arith.constant dense<0.797884583> : tensor<f32>
  %c2 = tide.mul %x, %x : (tensor<2x32xf32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %c3 = tide.mul %x, %c2 : (tensor<2x32xf32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %c4 = tide.mul %k, %c3 : (tensor<f32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %c5 = tide.add %x, %c4 : (tensor<2x32xf32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %c6 = tide.mul %s, %c5 : (tensor<f32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %c7 = tide.tanh %c6 : tensor<2x32xf32>
  %c8 = tide.add %one, %c7 : (tensor<f32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %c9 = tide.mul %x, %c8 : (tensor<2x32xf32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %c10 = tide.mul %half, %c9 : (tensor<f32>, tensor<2x32xf32>) -> tensor<2x32xf32>

  %d3 = tide.pow %x exponent = 3.000000e+00 : tensor<2x32xf32>
  %d4 = tide.mul %d3, %k : (tensor<2x32xf32>, tensor<f32>) -> tensor<2x32xf32>
  %d5 = tide.add %d4, %x : (tensor<2x32xf32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %d6 = tide.mul %d5, %s : (tensor<2x32xf32>, tensor<f32>) -> tensor<2x32xf32>
  %d7 = tide.tanh %d6 : tensor<2x32xf32>
  %d8 = tide.add %d7, %one : (tensor<2x32xf32>, tensor<f32>) -> tensor<2x32xf32>
  %d9 = tide.mul %half, %x : (tensor<f32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  %d10 = tide.mul %d9, %d8 : (tensor<2x32xf32>, tensor<2x32xf32>) -> tensor<2x32xf32>
  return %4, %b4, %c10, %d10 : tensor<2x32xf32>, tensor<2x32xf32>, tensor<2x32xf32>, tensor<2x32xf32>
}

// -----

// Not fused: an outer factor of 0.4, an erf argument x / 2, a tanh coefficient 0.05 instead of
// 0.044715, and the erf result also returned.
// CHECK-LABEL: func.func @gelu_refused
// CHECK-SAME:  gelu = 0 : i64, gelu_not_fused = 3 : i64
// CHECK-NOT:   tide.gelu
func.func @gelu_refused(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %two = arith.constant dense<2.000000e+00> : tensor<f32>
  %one = arith.constant dense<1.000000e+00> : tensor<f32>
  %half = arith.constant dense<5.000000e-01> : tensor<f32>
  %p4 = arith.constant dense<4.000000e-01> : tensor<f32>
  %0 = tide.div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = tide.erf %0 : tensor<4xf32>
  %2 = tide.add %1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = tide.mul %x, %2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // expected-remark @below {{tide-fuse-norms: gelu not fused: the outer factor is not 0.5}}
  %4 = tide.mul %3, %p4 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>

  %b0 = tide.div %x, %two : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %b1 = tide.erf %b0 : tensor<4xf32>
  %b2 = tide.add %b1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %b3 = tide.mul %x, %b2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // expected-remark @below {{tide-fuse-norms: gelu not fused: the erf argument is not x / sqrt(2)}}
  %b4 = tide.mul %b3, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>

  %k = arith.constant dense<5.000000e-02> : tensor<f32>
  %s = arith.constant dense<0.797884583> : tensor<f32>
  %c3 = tide.pow %x exponent = 3.000000e+00 : tensor<4xf32>
  %c4 = tide.mul %k, %c3 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %c5 = tide.add %x, %c4 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %c6 = tide.mul %s, %c5 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %c7 = tide.tanh %c6 : tensor<4xf32>
  %c8 = tide.add %one, %c7 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %c9 = tide.mul %x, %c8 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // expected-remark @below {{tide-fuse-norms: gelu not fused: the tanh argument is not sqrt(2 / pi) * (x + 0.044715 * x^3)}}
  %c10 = tide.mul %half, %c9 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>

  %d0 = tide.div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %d1 = tide.erf %d0 : tensor<4xf32>
  %d2 = tide.add %d1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %d3 = tide.mul %x, %d2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %d4 = tide.mul %d3, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4, %b4, %c10, %d4, %d1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
