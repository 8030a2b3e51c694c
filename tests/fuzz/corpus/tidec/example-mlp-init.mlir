// A two-layer MLP classifier: 32 samples of 64 features, a hidden layer of 128 ReLU units and
// 10 classes, trained with softmax cross-entropy. Parameters carry `tide.param` and their
// initialisation `tide.init` (weights normal(0, 0.02), biases zeros, as the builder's `linear`).
func.func @mlp(%x: tensor<32x64xf32>, %labels: tensor<32xi32>,
               %w1: tensor<64x128xf32> {tide.param, tide.init = "normal(0, 0.02)"},
               %b1: tensor<128xf32> {tide.param, tide.init = "zeros"},
               %w2: tensor<128x10xf32> {tide.param, tide.init = "normal(0, 0.02)"},
               %b2: tensor<10xf32> {tide.param, tide.init = "zeros"})
    -> tensor<f32> {
  %h0 = tide.matmul %x, %w1 : (tensor<32x64xf32>, tensor<64x128xf32>) -> tensor<32x128xf32>
  %h1 = tide.add %h0, %b1 : (tensor<32x128xf32>, tensor<128xf32>) -> tensor<32x128xf32>
  %h = tide.relu %h1 : tensor<32x128xf32>
  %l0 = tide.matmul %h, %w2 : (tensor<32x128xf32>, tensor<128x10xf32>) -> tensor<32x10xf32>
  %logits = tide.add %l0, %b2 : (tensor<32x10xf32>, tensor<10xf32>) -> tensor<32x10xf32>
  %loss = tide.softmax_cross_entropy %logits, %labels : tensor<32x10xf32>, tensor<32xi32>
  return %loss : tensor<f32>
}
