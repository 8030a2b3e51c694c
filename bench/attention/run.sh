#!/usr/bin/env bash
# Builds bench_attention and prints the chunked-vs-naive attention table (docs/kernels-attention.md).
# Usage: bench/attention/run.sh [build-dir] [extra bench_attention flags...]
# Defaults: batch 1, 8 heads, head dim 64, T = 1024, 4096, 8192, causal and not, 2 threads.
# Grouped-query case of the docs: bench/attention/run.sh --heads 32 --kv-heads 8 --dim 64,128 --seq 1024,2048
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build-attention"
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then # a first argument that is not a flag: the build dir
  build="$1"
  shift
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTIDEMARK_BUILD_COMPILER=OFF >/dev/null 2>&1
fi
if ! log="$(ninja -C "$build" -j2 bench_attention 2>&1)"; then
  echo "$log" >&2
  exit 1
fi
exec "$build/bench/attention/bench_attention" --threads 2 --heads 8 --dim 64 --seq 1024,4096,8192 "$@"
