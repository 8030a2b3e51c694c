#!/usr/bin/env bash
# Packs buffer traces exported from Tidemark's own planned models: the 12-layer GPT training step
# (issue #5's model, Adam) with no recomputation, per-block checkpointing, and a 50% budget.
# Each trace is the buffer list tide-assign-arena packs (buffers-csv=...). Prints one table.
# Usage: bench/pack/model-traces.sh [pack_bench flags]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${TIDEMARK_BUILD_DIR:-$repo/build}"
"$repo/scripts/setup.sh" >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
models="$build/tools/tide-models/tide-models"
opt="$build/bin/tide-opt"
shape=(--layers 12 --d-model 768 --heads 12 --d-ff 3072 --seq 512 --batch 4)
"$models" gpt "${shape[@]}" --output "$work/gpt.mlir"
"$models" gpt "${shape[@]}" --checkpoint per-block --output "$work/gpt-ckpt.mlir"
trace() { # name model policy
  "$opt" "$2" -tide-autodiff=optimizer=adam -tide-remat="policy=$3" -tide-schedule \
    -tide-assign-arena="buffers-csv=$work/$1.csv" -o /dev/null
}
trace gpt12-none "$work/gpt.mlir" none
trace gpt12-per-block "$work/gpt-ckpt.mlir" regions
trace gpt12-budget50 "$work/gpt.mlir" budget=647233536
ninja -C "$build" -j2 pack_bench >/dev/null
"$build/bench/pack/pack_bench" --instances= --random_sizes= \
  --traces="$work/gpt12-none.csv,$work/gpt12-per-block.csv,$work/gpt12-budget50.csv" "$@"
