// RUN: tide-opt %s -split-input-file -tide-buffer-liveness -verify-diagnostics

func.func @checkpoint_left(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{tide.checkpoint regions must be inlined before memory planning (run -tide-autodiff for training or -tide-inline-checkpoints)}}
  %0 = tide.checkpoint -> (tensor<4xf32>) {
    %a = tide.relu %x : tensor<4xf32>
    tide.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

// Dynamic shapes are rejected by the function check every tool runs first (docs/dialect.md,
// "Limits"), at the op or argument that introduces them.
func.func @dynamic(%x: tensor<4xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{result #0 of 'tensor.cast' must have a static shape, got 'tensor<?xf32>'}}
  %0 = tensor.cast %x : tensor<4xf32> to tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// expected-error @+1 {{argument #0 of @dynamic_argument must have a static shape, got 'tensor<?xf32>'}}
func.func @dynamic_argument(%x: tensor<?xf32>) {
  return
}
