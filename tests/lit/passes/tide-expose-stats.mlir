// RUN: tide-opt %s -tide-expose-stats | FileCheck %s

// Both ops gain their statistics results: layer_norm's mean and rstd are [2, 4] (the input
// [2, 4, 8] without the normalized axis), attention's log-sum-exp is [1, 2, 4]; the main results
// keep their uses.
// CHECK-LABEL: func.func @inference
// CHECK:      %[[Y:.*]], %{{.*}}:2 = tide.layer_norm %arg0, %arg1, %arg1 axis = -1 epsilon = 1.000000e-05 with_stats
// CHECK:      %[[O:.*]], %{{.*}} = tide.attention %arg2, %arg2, %arg2 scale = 5.000000e-01 chunks = [2, 2] with_lse
// CHECK:      return %[[Y]], %[[O]]
func.func @inference(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %q: tensor<1x2x4x8xf32>)
    -> (tensor<2x4x8xf32>, tensor<1x2x4x8xf32>) {
  %y = tide.layer_norm %x, %g, %g axis = -1 epsilon = 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>
  %o = tide.attention %q, %q, %q scale = 0.5 chunks = [2, 2] : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
  return %y, %o : tensor<2x4x8xf32>, tensor<1x2x4x8xf32>
}
