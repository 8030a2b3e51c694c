// Rematerialization and liveness of the ops real models are made of: an embedding lookup, RMS
// norm, rotary embedding, dropout and a linear layer inside one checkpoint region, then the fused
// LM head loss with its weight tied to the embedding table.
// RUN: tide-opt %s -tide-autodiff=optimizer=sgd -tide-remat="policy=regions print-stats=true" 2>%t.regions | FileCheck %s --check-prefix=REGIONS
// RUN: FileCheck %s --check-prefix=REGIONS-LOG < %t.regions
// RUN: tide-opt %s -tide-autodiff=optimizer=sgd -tide-remat="policy=none print-stats=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: tide-opt %s -tide-autodiff=optimizer=sgd -tide-remat="policy=regions" -tide-schedule -tide-buffer-liveness="print=true" -tide-assign-arena -o /dev/null 2>&1 | FileCheck %s --check-prefix=LIVE

// Test 1 (regions): the backward reads three interior values of the region: the gather's %e and
// rms_norm's rstd (rms_norm_grad), and the dropout's output (the dW = d^T dm matmul). All of
// them are recomputed right before the backward needs them: gather (0 FLOPs), rms_norm
// (4 * 48 + 3 * 6 = 210), the two reshapes (views, 0), rope (3 per rotated element: 6 * 2 * 4
// rotated = 144) and dropout (2 * 48 = 96): 6 ops, 450 extra FLOPs. The recomputed dropout
// keeps site 0, so it regenerates the forward's mask (its stream is keyed by the site, the
// plan's seed and the step; nothing is stored), and dropout_grad applies that same mask.
// rope's backward is the inverse rotation of the gradient: it saves nothing.
// REGIONS-LABEL: func.func @llama_tiny
// REGIONS:      %[[E:.*]] = tide.gather %arg2, %arg0 {tide.checkpoint_region = 0 : i64}
// REGIONS:      tide.rms_norm %[[E]], %arg3 axis = -1 epsilon = 1.000000e-05 with_rstd {tide.checkpoint_region = 0 : i64}
// REGIONS:      tide.dropout %{{.*}} p = 1.000000e-01 site = 0 {tide.checkpoint_region = 0 : i64}
// REGIONS:      %{{.*}}, %[[LSE:.*]] = tide.lm_head_loss %{{.*}}, %arg2, %arg1 ignore_index = -100 chunks = [4, 4] with_lse
// REGIONS:      tide.lm_head_loss_grad %{{.*}}, %arg2, %arg1, %[[LSE]], %{{.*}} ignore_index = -100 chunks = [4, 4]
// REGIONS:      %[[E2:.*]] = tide.gather %arg2, %arg0 {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS-NEXT: %{{.*}}, %[[RSTD2:.*]] = tide.rms_norm %[[E2]], %arg3 {{.*}} tide.recomputed
// REGIONS-NEXT: tide.reshape {{.*}} tide.recomputed
// REGIONS-NEXT: tide.rope {{.*}} offset = 0 {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS-NEXT: tide.reshape {{.*}} tide.recomputed
// REGIONS-NEXT: %[[D2:.*]] = tide.dropout %{{.*}} p = 1.000000e-01 site = 0 {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS-NEXT: tide.matmul %[[D2]], %{{.*}} transpose_lhs
// REGIONS:      tide.dropout_grad %{{.*}} p = 1.000000e-01 site = 0 :
// REGIONS:      tide.rope %{{.*}} offset = 0 inverse :
// REGIONS:      tide.rms_norm_grad %[[E2]], %arg3, %[[RSTD2]], %{{.*}} axis = -1
// REGIONS:      tide.gather_grad %arg0, %{{.*}} : tensor<2x3xi32>, tensor<2x3x8xf32> -> tensor<16x8xf32>
// REGIONS-LOG:  tide-remat @llama_tiny policy regions
// REGIONS-LOG:  ops recomputed: 6, extra FLOPs: 450
// NONE:         tide-remat @llama_tiny policy none
// NONE:         ops recomputed: 0, extra FLOPs: 0

// Test 2 (liveness of the regions plan): the fused head never materializes the [6, 16] logits
// (384 B) or their gradient: its training form keeps only the per-row log-sum-exp, 6 floats
// (24 B); the only 16-row buffers are the weight gradients (16 x 8 x 4 = 512 B). rope, dropout
// and their backward work in place through the reshape views (one storage group each way), and
// the recomputed forward chain shares one group as the original does.
// LIVE-LABEL:   tide-buffer-liveness @llama_tiny
// LIVE-NOT:     384 B
// LIVE:         %lse: tide.lm_head_loss 24 B
// LIVE:         tide.rope 192 B, group [[G:[0-9]+]], in place over
// LIVE-NEXT:    tide.reshape 192 B, group [[G]], view of
// LIVE-NEXT:    tide.dropout 192 B, group [[G]], in place over
// LIVE:         %d_weight: tide.lm_head_loss_grad 512 B
// LIVE:         tide.dropout_grad 192 B, group [[B:[0-9]+]], in place over
// LIVE-NEXT:    tide.reshape 192 B, group [[B]], view of
// LIVE-NEXT:    tide.rope 192 B, group [[B]], in place over
// LIVE:         tide.gather_grad 512 B
// LIVE-NOT:     384 B
func.func @llama_tiny(%ids: tensor<2x3xi32>, %labels: tensor<6xi32>,
                      %wte: tensor<16x8xf32> {tide.param}, %g: tensor<8xf32> {tide.param},
                      %w: tensor<8x8xf32> {tide.param}) -> tensor<f32> {
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
