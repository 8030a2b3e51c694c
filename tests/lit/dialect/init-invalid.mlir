// tide.init on function arguments: each bad use is rejected at the argument it marks.
// RUN: tide-opt %s -split-input-file -verify-diagnostics

func.func @unknown_kind(%x: tensor<4xf32>,
                        // expected-error @+1 {{'tide.init' on argument #1: unknown initialisation 'xavier'; expected "zeros", "ones", "normal(MEAN, STD)" or "uniform(LOW, HIGH)"}}
                        %w: tensor<4xf32> {tide.param, tide.init = "xavier"}) -> tensor<4xf32> {
  %y = tide.mul %x, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.init' on argument #0: normal initialisation needs a finite std >= 0 (at most 1e30), got -0.020000 in 'normal(0, -0.02)'}}
func.func @negative_std(%w: tensor<4xf32> {tide.param, tide.init = "normal(0, -0.02)"}) -> tensor<4xf32> {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.init' on argument #0: normal initialisation needs a finite std >= 0 (at most 1e30), got nan in 'normal(0, nan)'}}
func.func @nan_std(%w: tensor<4xf32> {tide.param, tide.init = "normal(0, nan)"}) -> tensor<4xf32> {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.init' on argument #0: normal initialisation needs a finite mean of magnitude at most 1e30 in 'normal(inf, 1)'}}
func.func @infinite_mean(%w: tensor<4xf32> {tide.param, tide.init = "normal(inf, 1)"}) -> tensor<4xf32> {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A single number is not the short form of normal(0, STD): the syntax has one spelling.
// expected-error @+1 {{'tide.init' on argument #0: malformed initialisation 'normal(0.02)': normal takes two numbers, normal(MEAN, STD)}}
func.func @one_number(%w: tensor<4xf32> {tide.param, tide.init = "normal(0.02)"}) -> tensor<4xf32> {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.init' on argument #0: malformed initialisation 'uniform(-1, 1x)': uniform takes two numbers, uniform(LOW, HIGH)}}
func.func @bad_number(%w: tensor<4xf32> {tide.param, tide.init = "uniform(-1, 1x)"}) -> tensor<4xf32> {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.init' on argument #0: uniform initialisation needs low <= high in 'uniform(1, -1)'}}
func.func @reversed_bounds(%w: tensor<4xf32> {tide.param, tide.init = "uniform(1, -1)"}) -> tensor<4xf32> {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.init' on argument #0: unexpected text after the initialisation in 'ones ones'}}
func.func @trailing(%w: tensor<4xf32> {tide.param, tide.init = "ones ones"}) -> tensor<4xf32> {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.init' on argument #0 must be a string such as "normal(0, 0.02)", got 1.000000e+00 : f32}}
func.func @not_a_string(%w: tensor<4xf32> {tide.param, tide.init = 1.0 : f32}) -> tensor<4xf32> {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// An input is data, not a parameter: it has no initial value to describe.
// expected-error @+1 {{'tide.init' on argument #0, which is not a parameter: only tide.param arguments have an initialisation}}
func.func @on_input(%x: tensor<4xf32> {tide.init = "zeros"}, %w: tensor<4xf32> {tide.param}) -> tensor<4xf32> {
  %y = tide.mul %x, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
