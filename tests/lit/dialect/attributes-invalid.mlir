// The discardable tide.* attributes tidec reads are type-checked by the dialect (each case used to
// pass tide-opt and then crash tidec, or fail as an internal error in the runtime's plan check).
// RUN: tide-opt %s -split-input-file -verify-diagnostics

// tidec used to segfault here.
// expected-error @+1 {{'tide.input_names' entry #0 must be a string, got 1 : i64}}
func.func @input_names_ints(%x: tensor<4xf32>) -> tensor<4xf32> attributes {tide.input_names = [1, 2]} {
  %y = tide.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// tidec used to end in "LLVM ERROR: out of memory".
// expected-error @+1 {{'tide.param_names' entry #0 must be a string, got ["a"]}}
func.func @param_names_nested(%x: tensor<4xf32>, %w: tensor<4xf32> {tide.param}, %b: tensor<4xf32> {tide.param}) -> tensor<4xf32> attributes {tide.param_names = [["a"], "b"]} {
  %y = tide.mul %x, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %z = tide.add %y, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %z : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.param_names' must be an array of strings, got "w"}}
func.func @param_names_not_array(%w: tensor<4xf32> {tide.param}) -> tensor<4xf32> attributes {tide.param_names = "w"} {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.param_names' names "a" twice}}
func.func @duplicate(%w: tensor<4xf32> {tide.param}, %b: tensor<4xf32> {tide.param}) -> tensor<4xf32> attributes {tide.param_names = ["a", "a"]} {
  %z = tide.add %w, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %z : tensor<4xf32>
}

// -----

// expected-error @+1 {{"a" is both an input name (tide.input_names) and a parameter name (tide.param_names); binding names must be unique}}
func.func @collision(%x: tensor<4xf32>, %w: tensor<4xf32> {tide.param}, %b: tensor<4xf32> {tide.param}) -> tensor<4xf32> attributes {tide.input_names = ["a"], tide.param_names = ["a", "b"]} {
  %y = tide.mul %x, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %z = tide.add %y, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %z : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.param_names' entry #0 must have 1 to 256 characters, got 0}}
func.func @empty_name(%w: tensor<4xf32> {tide.param}) -> tensor<4xf32> attributes {tide.param_names = [""]} {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.input_names' entry #0 "a b" has a character outside A-Z a-z 0-9 _ . - / : (byte 32)}}
func.func @space(%x: tensor<4xf32>) -> tensor<4xf32> attributes {tide.input_names = ["a b"]} {
  %y = tide.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.param_names' has 1 name(s) but @too_few has 2 parameter argument(s) (tide.param)}}
func.func @too_few(%w: tensor<4xf32> {tide.param}, %b: tensor<4xf32> {tide.param}) -> tensor<4xf32> attributes {tide.param_names = ["w"]} {
  %z = tide.add %w, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %z : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.input_names' has 2 name(s) but @too_many has 1 input argument(s) (neither tide.param nor tide.state)}}
func.func @too_many(%x: tensor<4xf32>) -> tensor<4xf32> attributes {tide.input_names = ["x", "y"]} {
  %y = tide.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.input_names' belongs on a func.func, not on 'builtin.module'}}
module attributes {tide.input_names = ["x"]} {
}

// -----

// expected-error @+1 {{'tide.updates' on result #0 must be the index of an argument of the function, got 3 : i64}}
func.func @updates_out_of_range(%w: tensor<4xf32> {tide.param}) -> (tensor<4xf32> {tide.updates = 3}) {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{unknown tide result attribute 'tide.update' on result #0; expected 'tide.updates' or 'tide.grad_of'}}
func.func @unknown_result_attr(%w: tensor<4xf32>) -> (tensor<4xf32> {tide.update = 0}) {
  %y = tide.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.optimizer' must be "sgd", "adam", "adamw" or "none", got 1 : i64}}
func.func @optimizer(%x: tensor<4xf32>) -> tensor<4xf32> attributes {tide.optimizer = 1} {
  %y = tide.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @arena_offsets(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tide.arena_offsets' must be an array<i64> with one offset >= -1 per result, got array<i64: 0, 64>}}
  %y = tide.relu %x {tide.arena_offsets = array<i64: 0, 64>} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'tide.arena' must be a dictionary, got "big"}}
func.func @arena(%x: tensor<4xf32>) -> tensor<4xf32> attributes {tide.arena = "big"} {
  %y = tide.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
