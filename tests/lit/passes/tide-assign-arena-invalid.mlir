// RUN: tide-opt %s -split-input-file -tide-assign-arena="capacity=1000" -verify-diagnostics
// RUN: not tide-opt %s -tide-assign-arena="algorithm=first-fit" 2>&1 | FileCheck %s --check-prefix=ALGO
// RUN: not tide-opt %s -tide-assign-arena="alignment=48" 2>&1 | FileCheck %s --check-prefix=ALIGN

// ALGO: tide-assign-arena: unknown algorithm 'first-fit'; choose one of: naive, greedy-size, best-fit, exact, default
// ALIGN: tide-assign-arena: alignment must be a power of two, got 48

// Two 512 B values live together need 1024 B: a capacity of 1000 cannot be met.
// expected-error @+1 {{tide-assign-arena: cannot fit the buffers in the capacity of 1000 bytes: the smallest arena found by 'default' is 1024 bytes (LOAD, the lower bound, is 1024 bytes)}}
func.func @too_small(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<f32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.matmul %x, %w transpose_rhs : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %2 = tide.add %0, %1 : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %3 = tide.mse_loss %2, %x : tensor<8x16xf32>
  return %3 : tensor<f32>
}
