// RUN: tide-opt %s -split-input-file -tide-autodiff -verify-diagnostics
// RUN: not tide-opt %s -split-input-file -tide-autodiff="optimizer=rmsprop" 2>&1 | FileCheck %s --check-prefix=OPT

// OPT: tide-autodiff: unknown optimizer 'rmsprop'; expected sgd, adam, adamw or none

func.func @not_scalar(%w: tensor<4xf32> {tide.param}) -> tensor<4xf32> {
  %r = tide.relu %w : tensor<4xf32>
  // expected-error @+1 {{tide-autodiff: the function must return exactly one scalar loss (a 0-d float tensor such as tensor<f32>), got ('tensor<4xf32>')}}
  return %r : tensor<4xf32>
}

// -----

func.func @two_results(%w: tensor<4xf32> {tide.param}) -> (tensor<f32>, tensor<f32>) {
  %l = tide.mse_loss %w, %w : tensor<4xf32>
  // expected-error @+1 {{tide-autodiff: the function must return exactly one scalar loss}}
  return %l, %l : tensor<f32>, tensor<f32>
}

// -----

// expected-error @+1 {{tide-autodiff: no argument of @no_params is marked tide.param; there is nothing to train}}
func.func @no_params(%x: tensor<4xf32>) -> tensor<f32> {
  %l = tide.mse_loss %x, %x : tensor<4xf32>
  return %l : tensor<f32>
}

// -----

func.func @independent_loss(%x: tensor<4xf32>, %w: tensor<4xf32> {tide.param}) -> tensor<f32> {
  %l = tide.mse_loss %x, %x : tensor<4xf32>
  // expected-error @+1 {{tide-autodiff: the loss does not depend on any tide.param argument}}
  return %l : tensor<f32>
}

// -----

func.func @no_rule(%x: tensor<4xf32>, %w: tensor<4xf32> {tide.param}) -> tensor<f32> {
  // expected-error @+1 {{'arith.addf' op has no gradient rule (TideGradientOpInterface); it lies on a path from a tide.param argument to the loss}}
  %a = arith.addf %x, %w : tensor<4xf32>
  %l = tide.mse_loss %a, %x : tensor<4xf32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{tide-autodiff: @twice is already a training step}}
func.func @twice(%w: tensor<4xf32> {tide.param}) -> tensor<f32> attributes {tide.optimizer = "sgd"} {
  %l = tide.mse_loss %w, %w : tensor<4xf32>
  return %l : tensor<f32>
}
