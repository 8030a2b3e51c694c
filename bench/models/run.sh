#!/usr/bin/env bash
# Training-step benchmark of the tide-models families against PyTorch 1.13 eager, same machine,
# same run: the same model, the same safetensors weights (tide-models --weights) and inputs, AdamW
# (lr 1e-3, betas 0.9 0.999, eps 1e-8, weight decay 0.01) on both sides, no dropout, 2 threads.
#   gpt:   8 layers, d_model 512, 8 heads, d_ff 2048, seq 512, batch 4, vocab 50257 (GPT-2's),
#          token + learned position embeddings, LM head tied to the token embedding.
#   llama: 8 layers, d_model 512, 8 heads over 2 key/value heads (grouped-query), SwiGLU d_ff
#          1368, RoPE, RMSNorm, seq 512, batch 4, vocab 32000, untied LM head.
#   bert:  8 layers, d_model 512, 8 heads, d_ff 2048, seq 512, batch 4, vocab 30522, 2 token
#          types, key-padding mask, tied head: arena only (no PyTorch step here).
# Rounds interleave PyTorch and Tidemark (torch, tidemark, torch, tidemark, ...); each round is
# one process per side running STEPS steps, the first a warm-up that is not counted. Prints the
# environment line, a table of median step wall and CPU time with Tidemark / PyTorch, and the
# arena of every family planned with remat `none` and per-block (`--checkpoint per-block` model,
# `--remat=regions`).
# PyTorch gets its best settings (docs/benchmarks.md says how they were chosen): OpenBLAS with
# OpenMP threading (libopenblas0-openmp, forced with LD_LIBRARY_PATH, checked in /proc/PID/maps
# by torch_env.py, which fails the run otherwise), OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE (default
# SKYLAKEX: the AVX-512 kernels; 0.3.21 detects this Zen 4 as Cooperlake, whose SGEMM is the
# same), ATEN_CPU_CAPABILITY=avx512 (Debian's torch picks AVX2 for its own kernels unless told),
# OMP_WAIT_POLICY=PASSIVE, torch.set_num_threads(2), AdamW's multi-tensor (foreach) form.
# Environment: FAMILIES (default "gpt llama bert"), ROUNDS (default 4), STEPS (default 3),
# TORCH=0 (Tidemark rows only), TIDEMARK_BUILD_DIR (default build). Needs /usr/bin/python3 with
# torch (python3-torch) and OpenBLAS (scripts/setup.sh installs both).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${TIDEMARK_BUILD_DIR:-$root/build}"
families="${FAMILIES:-gpt llama bert}"
rounds="${ROUNDS:-4}"
steps="${STEPS:-3}"
py=/usr/bin/python3
here="$root/bench/models"
for f in $families; do
  case "$f" in gpt | llama | bert) ;; *)
    echo "bench/models: unknown family '$f' in FAMILIES (gpt, llama, bert)" >&2
    exit 2
    ;;
  esac
done
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ && "$steps" =~ ^[0-9]+$ && "$steps" -ge 2 ]]; then
  echo "bench/models: ROUNDS must be >= 1 and STEPS >= 2 (the first step is a warm-up)" >&2
  exit 2
fi
cmake --build "$build" --target tide-run tide-models tidec >/dev/null
models="$build/tools/tide-models/tide-models"
tidec="$build/bin/tidec"
[ -x "$tidec" ] || tidec="$build/tools/tidec/tidec"
run="$build/tools/tide-run/tide-run"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SKYLAKEX}"
export ATEN_CPU_CAPABILITY="${ATEN_CPU_CAPABILITY:-avx512}"
blas_dir=/usr/lib/x86_64-linux-gnu/openblas-openmp
torch_env=(env LD_LIBRARY_PATH="$blas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
if [ "${TORCH:-1}" != 0 ]; then
  "${torch_env[@]}" "$py" "$here/torch_env.py" check --threads 2 # fails unless OpenBLAS
else
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-);" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
fi

shape_of() {
  case "$1" in
  gpt) echo --layers 8 --d-model 512 --heads 8 --seq 512 --batch 4 --vocab 50257 --tie-weights ;;
  llama) echo --layers 8 --d-model 512 --heads 8 --kv-heads 2 --seq 512 --batch 4 --vocab 32000 ;;
  bert) echo --layers 8 --d-model 512 --heads 8 --seq 512 --batch 4 --vocab 30522 --type-vocab 2 \
    --padding-mask --tie-weights ;;
  esac
}
adamw=(--train=adamw --lr=0.001 --weight-decay=0.01)

for family in $families; do
  d="$work/$family"
  mkdir -p "$d"
  read -r -a shape <<<"$(shape_of "$family")"
  "$models" "$family" "${shape[@]}" --output "$d/model.mlir" --weights "$d/init.safetensors"
  "$models" "$family" "${shape[@]}" --checkpoint per-block --output "$d/ckpt.mlir"
  "$tidec" "$d/model.mlir" -o "$d/none.tplan" "${adamw[@]}" --remat=none --report=json \
    --report-file="$d/none.report.json"
  "$tidec" "$d/ckpt.mlir" -o "$d/ckpt.tplan" "${adamw[@]}" --remat=regions --report=json \
    --report-file="$d/ckpt.report.json"
  "$py" - "$d" <<'EOF'
import json, sys
d = sys.argv[1]
arena = {k: json.load(open(f"{d}/{f}.report.json"))["arena_bytes"]
         for k, f in (("none", "none"), ("per_block", "ckpt"))}
json.dump(arena, open(f"{d}/arena.json", "w"))
EOF
  rm -f "$d/ckpt.tplan"
  [ "$family" = bert ] && continue
  # The same inputs for both: token ids and next-token labels, uniform over the vocabulary.
  "$py" - "$d/inputs.safetensors" "${shape[@]}" <<EOF
import sys
sys.path.insert(0, "$root/tests/e2e/torch")
import numpy as np, safetensors_io
a = sys.argv[2:]
opt = {a[i]: a[i + 1] for i in range(0, len(a) - 1, 2) if a[i + 1][:2] != "--"}
b, t, v = int(opt["--batch"]), int(opt["--seq"]), int(opt["--vocab"])
rng = np.random.default_rng(2026)
safetensors_io.write(sys.argv[1], {"tokens": rng.integers(0, v, (b, t)).astype(np.int32),
                                   "labels": rng.integers(0, v, (b * t,)).astype(np.int32)})
EOF
  kv=()
  [ "$family" = llama ] && kv=(--kv-heads 2)
  for r in $(seq 1 "$rounds"); do
    if [ "${TORCH:-1}" != 0 ]; then
      "${torch_env[@]}" "$py" "$here/torch_step.py" --family "$family" --layers 8 --heads 8 \
        "${kv[@]}" --weights "$d/init.safetensors" --inputs "$d/inputs.safetensors" \
        --steps "$steps" --threads 2 --lr 0.001 --weight-decay 0.01 --foreach \
        >"$d/round-$r.torch.json"
    fi
    "$run" "$d/none.tplan" --steps "$steps" --threads 2 --weights "$d/init.safetensors" \
      --weights-partial --inputs "$d/inputs.safetensors" --report=json >"$d/round-$r.tide.json"
  done
  # Same model, weights and optimizer: the first losses must agree (a mismatch means the two
  # sides do not run the same step, and the timing would compare different work).
  if [ "${TORCH:-1}" != 0 ]; then
    "$py" - "$d/round-1.torch.json" "$d/round-1.tide.json" <<'EOF'
import json, sys
t, m = (json.load(open(p))["losses"] for p in sys.argv[1:])
for i, (a, b) in enumerate(zip(t, m)):
    if abs(a - b) > 1e-3 * abs(a):
        sys.exit(f"bench/models: step {i + 1} loss: PyTorch {a} vs Tidemark {b}: not the same step")
EOF
  fi
done

echo
echo "$rounds interleaved rounds of $steps steps per side (first step of each process not" \
  "counted); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# shellcheck disable=SC2086
"$py" "$here/summarize.py" "$work" $families
