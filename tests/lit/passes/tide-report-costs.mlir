// RUN: tide-opt %s -split-input-file -tide-report-costs -o /dev/null 2>&1 | FileCheck %s

// Test 1: the example from the pass description.
//   matmul [8, 16] x [16, 4]: 2 * 8 * 4 * 16 = 1024 FLOPs; reads (128 + 64) * 4 = 768 B,
//   writes 32 * 4 = 128 B. relu: 32 FLOPs, 128 B each way.
//   Totals: 1056 FLOPs over 896 + 256 = 1152 B moved: 0.92 FLOPs/B.
// CHECK-LABEL: tide-report-costs @f
// CHECK-NEXT:   #0 tide.matmul: 1024 FLOPs, 768 B read, 128 B written
// CHECK-NEXT:   #1 tide.relu: 32 FLOPs, 128 B read, 128 B written
// CHECK-NEXT:   total: 2 ops, 1056 FLOPs, 896 B read, 256 B written, 0.92 FLOPs/B
func.func @f(%x: tensor<8x16xf32>, %w: tensor<16x4xf32>) -> tensor<8x4xf32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %1 = tide.relu %0 : tensor<8x4xf32>
  return %1 : tensor<8x4xf32>
}

// -----

// Test 2: a view costs nothing; a function with no tide ops reports zeros.
// CHECK-LABEL: tide-report-costs @views
// CHECK-NEXT:   #0 tide.reshape: 0 FLOPs, 0 B read, 0 B written
// CHECK-NEXT:   total: 1 ops, 0 FLOPs, 0 B read, 0 B written, 0.00 FLOPs/B
func.func @views(%x: tensor<8x16xf32>) -> tensor<128xf32> {
  %0 = tide.reshape %x : tensor<8x16xf32> -> tensor<128xf32>
  return %0 : tensor<128xf32>
}
