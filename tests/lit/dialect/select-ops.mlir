// Round trip of tide.split, tide.where, tide.reduce_max and tide.cast (and the gradient op of
// reduce_max): the custom form parses, prints, and parses again to the same text; the generic
// form too.
// RUN: tide-opt %s -split-input-file | tide-opt -split-input-file | FileCheck %s
// RUN: tide-opt %s -split-input-file -mlir-print-op-generic | tide-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @split
func.func @split(%x: tensor<2x12xf32>) {
  // CHECK: %{{.*}}:3 = tide.split %{{.*}} axis = -1 sizes = [4, 4, 4] : tensor<2x12xf32> -> tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  %q, %k, %v = tide.split %x axis = -1 sizes = [4, 4, 4]
      : tensor<2x12xf32> -> tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  // CHECK: tide.split %{{.*}} axis = 0 sizes = [1, 1] : tensor<2x12xf32> -> tensor<1x12xf32>, tensor<1x12xf32>
  %a, %b = tide.split %x axis = 0 sizes = [1, 1] : tensor<2x12xf32> -> tensor<1x12xf32>, tensor<1x12xf32>
  // CHECK: tide.split %{{.*}} axis = 1 sizes = [12] : tensor<2x12xf32> -> tensor<2x12xf32>
  %c = tide.split %x axis = 1 sizes = [12] : tensor<2x12xf32> -> tensor<2x12xf32>
  return
}

// -----

// CHECK-LABEL: func @where
func.func @where(%m: tensor<4x1x8xi32>, %x: tensor<4x3x8xf32>, %y: tensor<f32>, %row: tensor<8xf32>) {
  // CHECK: tide.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x1x8xi32>, tensor<4x3x8xf32>, tensor<f32>) -> tensor<4x3x8xf32>
  %0 = tide.where %m, %x, %y : (tensor<4x1x8xi32>, tensor<4x3x8xf32>, tensor<f32>) -> tensor<4x3x8xf32>
  // The result may be larger than every value operand: the mask broadcasts them.
  // CHECK: tide.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x1x8xi32>, tensor<8xf32>, tensor<f32>) -> tensor<4x1x8xf32>
  %1 = tide.where %m, %row, %y : (tensor<4x1x8xi32>, tensor<8xf32>, tensor<f32>) -> tensor<4x1x8xf32>
  return
}

// -----

// CHECK-LABEL: func @reduce_max
func.func @reduce_max(%x: tensor<4x8xf32>, %d: tensor<4x1xf32>, %v: tensor<8xf32>) {
  // CHECK: tide.reduce_max %{{.*}} axis = -1 keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
  %0 = tide.reduce_max %x axis = -1 keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
  // CHECK: tide.reduce_max %{{.*}} axis = 0 : tensor<4x8xf32> -> tensor<8xf32>
  %1 = tide.reduce_max %x axis = 0 : tensor<4x8xf32> -> tensor<8xf32>
  // CHECK: tide.reduce_max %{{.*}} axis = 0 : tensor<8xf32> -> tensor<f32>
  %2 = tide.reduce_max %v axis = 0 : tensor<8xf32> -> tensor<f32>
  // CHECK: tide.reduce_max_grad %{{.*}}, %{{.*}} axis = 1 keep_dims : tensor<4x8xf32>, tensor<4x1xf32>
  %3 = tide.reduce_max_grad %x, %d axis = 1 keep_dims : tensor<4x8xf32>, tensor<4x1xf32>
  return
}

// -----

// CHECK-LABEL: func @cast
func.func @cast(%x: tensor<2x3xf32>, %i: tensor<6xi32>) {
  // CHECK: tide.cast %{{.*}} : tensor<2x3xf32> -> tensor<2x3xi32>
  %0 = tide.cast %x : tensor<2x3xf32> -> tensor<2x3xi32>
  // CHECK: tide.cast %{{.*}} : tensor<6xi32> -> tensor<6xf32>
  %1 = tide.cast %i : tensor<6xi32> -> tensor<6xf32>
  return
}
