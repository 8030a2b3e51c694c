#!/usr/bin/env bash
# Rematerialization benchmark: the 12-layer GPT of issue #5 (d_model 768, 12 heads, d_ff 3072,
# seq 512, batch 4, Adam) planned with every policy, then a budget sweep. Prints markdown tables:
# planned arena (tide-assign-arena, default packer), its reduction from `none`, extra FLOPs
# (recomputation) as a share of the training step, and the wall time of all passes together.
# Usage: bench/remat/run.sh [--layers N ...tide-models options]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${TIDEMARK_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh" >/dev/null
models="$build/tools/tide-models/tide-models"
opt="$build/bin/tide-opt"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
shape=(--layers 12 --d-model 768 --heads 12 --d-ff 3072 --seq 512 --batch 4 "$@")
"$models" gpt "${shape[@]}" --output "$work/gpt.mlir"
"$models" gpt "${shape[@]}" --checkpoint per-block --output "$work/gpt-ckpt.mlir"

# plan MODEL POLICY -> "arena extra_flops total_flops seconds" (or "FAIL <message>")
plan() {
  local start end out
  start=$(date +%s.%N)
  if ! out=$("$opt" "$1" -mlir-print-op-on-diagnostic=false -tide-autodiff=optimizer=adam \
      -tide-remat="policy=$2" -tide-schedule -tide-assign-arena 2>"$work/err"); then
    echo "FAIL $(grep -o 'smallest arena.*' "$work/err" | head -1)"
    return
  fi
  end=$(date +%s.%N)
  local arena extra total
  arena=$(grep -o 'tide.arena = {[^}]*}' <<<"$out" | grep -o 'size = [0-9]*' | grep -o '[0-9]*')
  extra=$(grep -o 'extra_flops = [0-9]*' <<<"$out" | grep -o '[0-9]*$')
  total=$(grep -o 'total_flops = [0-9]*' <<<"$out" | grep -o '[0-9]*$')
  echo "$arena $extra $total $(echo "$end - $start" | bc)"
}

row() { # label model policy none_arena
  read -r arena extra total secs <<<"$(plan "$2" "$3")"
  if [ "$arena" = FAIL ]; then
    printf '| %s | `%s` | fails: %s | | | |\n' "$1" "$3" "$extra $total $secs"
    return
  fi
  awk -v l="$1" -v p="$3" -v a="$arena" -v n="$4" -v e="$extra" -v t="$total" -v s="$secs" \
    'BEGIN { printf "| %s | `%s` | %.1f MiB | %.1f%% | %.1f%% | %.2f s |\n", l, p, a / 1048576,
             100 * (1 - a / n), 100 * e / t, s }'
}

read -r none _ _ _ <<<"$(plan "$work/gpt.mlir" none)"
echo "GPT ${shape[*]}; none arena = $none B"
echo
echo '| plan | policy | arena | below none | extra FLOPs (of step) | all passes |'
echo '|---|---|---|---|---|---|'
row "no recomputation" "$work/gpt.mlir" none "$none"
row "per-block checkpoint" "$work/gpt-ckpt.mlir" regions "$none"
for n in 4 12; do row "segments" "$work/gpt.mlir" "segments=$n" "$none"; done
half=$((none / 2)); quarter=$((none / 4))
row "budget 50%" "$work/gpt.mlir" "budget=$half" "$none"
row "budget 25%" "$work/gpt.mlir" "budget=$quarter" "$none"
read -r seg12 _ _ _ <<<"$(plan "$work/gpt.mlir" segments=12)"
row "budget = segments=12 arena" "$work/gpt.mlir" "budget=$seg12" "$none"
read -r blocks _ _ _ <<<"$(plan "$work/gpt-ckpt.mlir" regions)"
row "budget = per-block arena" "$work/gpt-ckpt.mlir" "budget=$blocks" "$none"
echo
echo 'Budget sweep (same model, no checkpoint regions):'
echo
echo '| plan | policy | arena | below none | extra FLOPs (of step) | all passes |'
echo '|---|---|---|---|---|---|'
for pct in 90 80 70 60 50 40 30 25 22 20; do
  row "budget ${pct}%" "$work/gpt.mlir" "budget=$((none * pct / 100))" "$none"
done
