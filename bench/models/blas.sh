#!/usr/bin/env bash
# How PyTorch's BLAS was chosen for bench/models and bench/torch: float32 torch.mm of
# SIZE = M,K,N (default 2048,512,2048, a d_model 512 MLP product over 2048 rows) with each
# Debian OpenBLAS 0.3.21 build (openblas-openmp, openblas-pthread: both must be installed for
# this comparison; scripts/setup.sh installs only the OpenMP one) and each OPENBLAS_CORETYPE
# ("" = OpenBLAS's own detection), ROUNDS interleaved rounds (default 5) of REPS products
# (default 30) on THREADS threads (default 1: CPU time then measures the kernel alone, which
# stays meaningful on a shared machine). Prints a markdown table: median over rounds of the
# GFLOP per CPU-second (process CPU time, the median call of each round) and of the wall
# GFLOP/s of each round's fastest call; the core OpenBLAS reports it runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
py=/usr/bin/python3
rounds="${ROUNDS:-5}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
export OMP_WAIT_POLICY=PASSIVE
for r in $(seq 1 "$rounds"); do
  for variant in openmp pthread; do
    dir=/usr/lib/x86_64-linux-gnu/openblas-$variant
    if [ ! -e "$dir/libblas.so.3" ]; then
      [ "$r" = 1 ] && echo "($dir missing: libopenblas0-$variant not installed, skipped)" >&2
      continue
    fi
    for core in "" SKYLAKEX COOPERLAKE ZEN HASWELL; do
      LD_LIBRARY_PATH="$dir" OPENBLAS_CORETYPE="$core" "$py" "$root/bench/models/torch_env.py" \
        gemm --threads "${THREADS:-1}" --size "${SIZE:-2048,512,2048}" --reps "${REPS:-30}" |
        "$py" -c 'import json, sys; d = json.load(sys.stdin); v, c = sys.argv[1:]
core = d["env"].split("(core ")[1].split(",")[0]
print(json.dumps({"variant": v, "coretype": c or "(detected)", "core": core,
                  "cpu": d["gflops_per_cpu_second"], "best": d["best_gflops"]}))' \
          "$variant" "$core" >>"$out"
    done
  done
done
"$py" - "$out" <<'EOF'
import collections, json, statistics, sys
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    d = json.loads(line)
    rows.setdefault((d["variant"], d["coretype"], d["core"]), []).append(d)
print("| OpenBLAS build | OPENBLAS_CORETYPE | core run | GFLOP per CPU-second "
      "| fastest call, GFLOP/s wall |")
print("|---|---|---|---|---|")
for (v, c, core), ds in rows.items():
    print(f"| openblas-{v} | {c} | {core} | {statistics.median(d['cpu'] for d in ds):.1f} | "
          f"{statistics.median(d['best'] for d in ds):.1f} |")
EOF
echo "(median over $rounds rounds; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg))"
