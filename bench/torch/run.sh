#!/usr/bin/env bash
# Tidemark vs PyTorch 1.13 training steps (Adam, lr 1e-3, MSE head) on this machine, 2 threads:
# the small GPT (4 layers, d_model 256, 4 heads, d_ff 1024, seq 256, batch 8) and the 12-layer
# d768 GPT of issue #5 (12 heads, d_ff 3072, seq 512, batch 4). Configurations: torch eager,
# torch with torch.utils.checkpoint per block, Tidemark remat `none`, per-block (`regions` on a
# `--checkpoint per-block` model) and `budget` (50% of the `none` arena). Prints a markdown table:
# median step wall time, median step CPU time (all threads), peak resident growth.
# PyTorch gets its best settings on this 2-core machine (as bench/models/run.sh, chosen in
# docs/benchmarks.md): OpenBLAS with OpenMP threading (libopenblas0-openmp, forced with
# LD_LIBRARY_PATH; bench/models/torch_env.py fails the run unless the process really maps
# OpenBLAS), OPENBLAS_CORETYPE=SKYLAKEX (the AVX-512 kernels), ATEN_CPU_CAPABILITY=avx512,
# OMP_WAIT_POLICY=PASSIVE, torch.set_num_threads(2).
# Usage: bench/torch/run.sh [small|big|all] (default all); STEPS_SMALL / STEPS_BIG steps per
# configuration (default 3 and 3); TORCH=0 runs the Tidemark rows only. Needs /usr/bin/python3
# with torch (python3-torch).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${TIDEMARK_BUILD_DIR:-$root/build}"
which="${1:-all}"
cmake --build "$build" --target tide-run tide-models tidec >/dev/null
models="$build/tools/tide-models/tide-models"
tidec="$build/bin/tidec"
[ -x "$tidec" ] || tidec="$build/tools/tidec/tidec"
run="$build/tools/tide-run/tide-run"
py=/usr/bin/python3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SKYLAKEX}"
export ATEN_CPU_CAPABILITY="${ATEN_CPU_CAPABILITY:-avx512}"
blas_dir=/usr/lib/x86_64-linux-gnu/openblas-openmp
export LD_LIBRARY_PATH="$blas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# json FILE FIELD -> value
json() { "$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

row() { # label wall cpu bytes
  awk -v l="$1" -v w="$2" -v c="$3" -v b="$4" \
    'BEGIN { printf "| %s | %.3f s | %.3f s | %.0f MiB |\n", l, w, c, b / 1048576 }'
}

bench() { # name steps shape...
  local name=$1 steps=$2
  shift 2
  local shape=("$@") dims=()
  echo
  echo "### $name: ${shape[*]}, Adam, $steps steps, 2 threads"
  echo
  echo '| configuration | median step (wall) | median step (CPU, all threads) | peak RSS growth |'
  echo '|---|---|---|---|'
  local modes=(eager checkpoint)
  [ "${TORCH:-1}" = 0 ] && modes=()
  for mode in "${modes[@]}"; do
    "$py" "$root/bench/torch/torch_gpt_step.py" "${shape[@]}" --mode "$mode" --steps "$steps" \
      --threads 2 >"$work/torch-$mode.json"
    row "PyTorch 1.13 $mode$([ $mode = checkpoint ] && echo ' per block')" \
      "$(json "$work/torch-$mode.json" median_step_seconds)" \
      "$(json "$work/torch-$mode.json" median_step_cpu_seconds)" \
      "$(json "$work/torch-$mode.json" peak_growth_bytes)"
  done
  "$models" gpt "${shape[@]}" --output "$work/$name.mlir" --weights "$work/$name.safetensors"
  "$models" gpt "${shape[@]}" --checkpoint per-block --output "$work/$name-ckpt.mlir"
  local -a configs=("none|$name.mlir|--remat=none" "per-block|$name-ckpt.mlir|--remat=regions"
                    "budget 50%|$name.mlir|--remat=budget --budget=50%")
  for config in "${configs[@]}"; do
    IFS='|' read -r label model flags <<<"$config"
    # shellcheck disable=SC2086
    if ! "$tidec" "$work/$model" -o "$work/plan.tplan" --train=adam --lr=0.001 $flags \
        >"$work/tidec.txt" 2>&1; then
      echo "| Tidemark $label | tidec failed: $(tail -1 "$work/tidec.txt") | | |"
      continue
    fi
    "$run" "$work/plan.tplan" --steps "$steps" --threads 2 --weights "$work/$name.safetensors" \
      --weights-partial --report=json >"$work/run.json"
    row "Tidemark $label" "$(json "$work/run.json" median_step_seconds)" \
      "$(json "$work/run.json" median_step_cpu_seconds)" \
      "$(json "$work/run.json" step_peak_growth_bytes)"
    rm -f "$work/plan.tplan"
  done
}

if [ "${TORCH:-1}" != 0 ]; then
  "$py" "$root/bench/models/torch_env.py" check --threads 2 # fails unless OpenBLAS
else
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-);" \
    "load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
if [ "$which" = small ] || [ "$which" = all ]; then
  bench small "${STEPS_SMALL:-3}" --layers 4 --d-model 256 --heads 4 --d-ff 1024 --seq 256 --batch 8
fi
if [ "$which" = big ] || [ "$which" = all ]; then
  bench big "${STEPS_BIG:-3}" --layers 12 --d-model 768 --heads 12 --d-ff 3072 --seq 512 --batch 4
fi
