func.func @attention(%q: tensor<2x4x32x16xf32>, %k: tensor<2x4x48x16xf32>) {
  %0 = tide.attention %q, %q, %q scale = 0.25 chunks = [64, 64] : tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>
  %1 = tide.attention %q, %q, %q causal scale = 0.25 chunks = [16, 8] : tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>
  // Cross attention: 32 queries over 48 keys; chunks need not divide the lengths.
  %2 = tide.attention %q, %k, %k causal scale = 0.125 chunks = [7, 5] : tensor<2x4x32x16xf32>, tensor<2x4x48x16xf32>, tensor<2x4x48x16xf32>
  return
}
