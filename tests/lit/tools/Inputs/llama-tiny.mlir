// A tiny Llama-style step: token embeddings (gather), rms_norm, rope, dropout and a linear layer in
// one checkpoint region, then the fused LM head loss tied to the embedding table.
func.func @llama_tiny(%ids: tensor<2x3xi32>, %labels: tensor<6xi32>,
                      %wte: tensor<16x8xf32> {tide.param, tide.init = "normal(0, 0.02)"},
                      %g: tensor<8xf32> {tide.param, tide.init = "ones"},
                      %w: tensor<8x8xf32> {tide.param, tide.init = "normal(0, 0.02)"}) -> tensor<f32> {
  %c = tide.checkpoint -> (tensor<6x8xf32>) {
    %e = tide.gather %wte, %ids : tensor<16x8xf32>, tensor<2x3xi32>
    %n = tide.rms_norm %e, %g axis = -1 epsilon = 1.0e-05 : tensor<2x3x8xf32>, tensor<8xf32>
    %q = tide.reshape %n : tensor<2x3x8xf32> -> tensor<2x3x2x4xf32>
    %r = tide.rope %q bthd base = 10000.0 rot_dim = 4 offset = 0 : tensor<2x3x2x4xf32>
    %rr = tide.reshape %r : tensor<2x3x2x4xf32> -> tensor<6x8xf32>
    %d = tide.dropout %rr p = 0.1 site = 0 : tensor<6x8xf32>
    %m = tide.matmul %d, %w : (tensor<6x8xf32>, tensor<8x8xf32>) -> tensor<6x8xf32>
    tide.yield %m : tensor<6x8xf32>
  }
  %l = tide.lm_head_loss %c, %wte, %labels ignore_index = -100 chunks = [4, 4]
      : tensor<6x8xf32>, tensor<16x8xf32>, tensor<6xi32>
  return %l : tensor<f32>
}
