// tide.init round-trips on parameters in every accepted spelling (spaces, exponents).
// RUN: tide-opt %s | tide-opt | FileCheck %s

// CHECK-LABEL: func.func @inits
// CHECK-SAME: {tide.init = "zeros", tide.param}
// CHECK-SAME: {tide.init = "ones", tide.param}
// CHECK-SAME: {tide.init = "normal(0, 0.02)", tide.param}
// CHECK-SAME: {tide.init = " normal( 1.5e-1 ,2 ) ", tide.param}
// CHECK-SAME: {tide.init = "uniform(-0.1, 0.1)", tide.param}
// CHECK-SAME: {tide.init = "normal(0, 0)", tide.param}
func.func @inits(%a: tensor<4xf32> {tide.param, tide.init = "zeros"},
                 %b: tensor<4xf32> {tide.param, tide.init = "ones"},
                 %c: tensor<4xf32> {tide.param, tide.init = "normal(0, 0.02)"},
                 %d: tensor<4xf32> {tide.param, tide.init = " normal( 1.5e-1 ,2 ) "},
                 %e: tensor<4xf32> {tide.param, tide.init = "uniform(-0.1, 0.1)"},
                 %f: tensor<4xf32> {tide.param, tide.init = "normal(0, 0)"}) -> tensor<4xf32> {
  %0 = tide.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = tide.add %0, %c : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = tide.add %1, %d : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = tide.add %2, %e : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = tide.add %3, %f : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}
