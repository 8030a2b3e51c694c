// A causal attention written out (matmul, scale, masked_fill, softmax, matmul) after a
// decomposed layer norm, and an attention with a mask that is not causal (refused).
func.func @f(%x: tensor<1x2x4x8xf32>, %g: tensor<8xf32> {tide.param, tide.init = "ones"}, %b: tensor<8xf32> {tide.param, tide.init = "zeros"})
    -> (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) {
  %1 = tide.reduce_mean %x axes = [3] keep_dims : tensor<1x2x4x8xf32> -> tensor<1x2x4x1xf32>
  %2 = tide.sub %x, %1 : (tensor<1x2x4x8xf32>, tensor<1x2x4x1xf32>) -> tensor<1x2x4x8xf32>
  %3 = tide.pow %2 exponent = 2.000000e+00 : tensor<1x2x4x8xf32>
  %4 = tide.reduce_mean %3 axes = [3] keep_dims : tensor<1x2x4x8xf32> -> tensor<1x2x4x1xf32>
  %eps = arith.constant dense<9.99999974E-6> : tensor<f32>
  %5 = tide.add %4, %eps : (tensor<1x2x4x1xf32>, tensor<f32>) -> tensor<1x2x4x1xf32>
  %6 = tide.sqrt %5 : tensor<1x2x4x1xf32>
  %7 = tide.div %2, %6 : (tensor<1x2x4x8xf32>, tensor<1x2x4x1xf32>) -> tensor<1x2x4x8xf32>
  %8 = tide.mul %7, %g : (tensor<1x2x4x8xf32>, tensor<8xf32>) -> tensor<1x2x4x8xf32>
  %h = tide.add %8, %b : (tensor<1x2x4x8xf32>, tensor<8xf32>) -> tensor<1x2x4x8xf32>

  %kt = tide.transpose %h permutation = [0, 1, 3, 2] : tensor<1x2x4x8xf32> -> tensor<1x2x8x4xf32>
  %s = tide.matmul %h, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %c = arith.constant dense<0.353553385> : tensor<f32>
  %m = tide.mul %s, %c : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %maskf = arith.constant dense<[[0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %mask = tide.cast %maskf : tensor<4x4xf32> -> tensor<4x4xi32>
  %fill = arith.constant dense<-1.000000e+09> : tensor<f32>
  %w = tide.where %mask, %fill, %m : (tensor<4x4xi32>, tensor<f32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = tide.softmax %w axis = 3 : tensor<1x2x4x4xf32>
  %o = tide.matmul %p, %h : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>

  %kt2 = tide.transpose %x permutation = [0, 1, 3, 2] : tensor<1x2x4x8xf32> -> tensor<1x2x8x4xf32>
  %s2 = tide.matmul %x, %kt2 : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %bandf = arith.constant dense<[[0.0, 1.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0]]> : tensor<4x4xf32>
  %band = tide.cast %bandf : tensor<4x4xf32> -> tensor<4x4xi32>
  %w2 = tide.where %band, %fill, %s2 : (tensor<4x4xi32>, tensor<f32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p2 = tide.softmax %w2 axis = 3 : tensor<1x2x4x4xf32>
  %o2 = tide.matmul %p2, %x : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o, %o2 : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
}
