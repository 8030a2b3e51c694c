#!/usr/bin/env bash
# The main job: set-up and build (scripts/setup.sh), then compile the example GPT (2 layers, from
# tide-models) for Adam training with rematerialization under a memory budget, print tidec's
# report, and train a few steps of the plan with tide-run from the same initial weights.
# Usage: scripts/run-example.sh [BUDGET]   (default 60%: of the arena without recomputation)
# Environment: TIDEMARK_BUILD_DIR (default build), TIDEMARK_EXAMPLE_DIR (keep the model, plan,
# weights and timeline here instead of a temporary directory).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" >/dev/null
build="${TIDEMARK_BUILD_DIR:-$root/build}"
budget="${1:-60%}"
if [ -n "${TIDEMARK_EXAMPLE_DIR:-}" ]; then
  work="$TIDEMARK_EXAMPLE_DIR"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi

echo "== 1. the model: a 2-layer GPT (d_model 128, 4 heads, seq 64, batch 4, vocab 256) =="
"$build/tools/tide-models/tide-models" gpt --layers 2 --d-model 128 --heads 4 --seq 64 --batch 4 \
  --vocab 256 --checkpoint per-block --output "$work/gpt.mlir" --weights "$work/gpt.safetensors"
echo "$work/gpt.mlir, initial weights $work/gpt.safetensors"

echo "== 2. tidec: Adam training step, remat=budget with an arena budget of $budget =="
"$build/bin/tidec" "$work/gpt.mlir" -o "$work/gpt.tplan" --train=adam --lr=1e-3 \
  --remat=budget --budget="$budget" --weights="$work/gpt.safetensors" --run-threads=2 \
  --timeline="$work/gpt-arena.svg"

echo "== 3. tide-run: 5 training steps on 2 threads (seeded random tokens) =="
"$build/tools/tide-run/tide-run" "$work/gpt.tplan" --steps 5 --threads 2 --seed 1
