#!/usr/bin/env bash
# Builds bench_gemm, runs it and the NumPy+OpenBLAS peer on the same shapes in alternating rounds
# (so both see the same machine load), and prints one table of median GFLOP/s, the ratio and the
# Highway target that ran.
# Usage: bench/gemm/run.sh   (env: BUILD_DIR, ROUNDS=3 rounds x REPETITIONS=3 samples per shape)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build-bench}
ROUNDS=${ROUNDS:-3}
REPETITIONS=${REPETITIONS:-3}
OPENBLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-pthread
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

install_peer() {
  local packages=(python3-numpy libopenblas0-pthread python3-threadpoolctl)
  if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null ||
      { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null; }
  fi
}

build() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DTIDEMARK_BUILD_COMPILER=OFF -DTIDEMARK_BUILD_TESTS=OFF >/dev/null
  fi
  ninja -C "$BUILD_DIR" -j2 bench_gemm >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
}

run_peer() { # threads bench_gemm-json output: the shapes bench_gemm ran on that many threads
  # Only for this command: drop any core-type/L2 overrides so OpenBLAS detects the CPU itself.
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH="$OPENBLAS_DIR" \
    OPENBLAS_NUM_THREADS="$1" /usr/bin/python3 "$REPO/bench/gemm/numpy_peer.py" \
    --bench-json "$2" --threads "$1" --repetitions "$REPETITIONS" >"$3"
}

install_peer
build
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS: bench_gemm, then NumPy+OpenBLAS" >&2
  "$BUILD_DIR/bench/gemm/bench_gemm" --benchmark_repetitions="$REPETITIONS" \
    --benchmark_min_time=0.3 --benchmark_format=json >"$OUT/tidemark-$round.json" 2>/dev/null
  run_peer 2 "$OUT/tidemark-$round.json" "$OUT/peer2-$round.json"
  run_peer 1 "$OUT/tidemark-$round.json" "$OUT/peer1-$round.json"
done
echo "machine: $(nproc) cores, load average $LOAD_BEFORE at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
/usr/bin/python3 "$REPO/bench/gemm/make_table.py" --tidemark "$OUT"/tidemark-*.json \
  --peer "$OUT"/peer2-*.json "$OUT"/peer1-*.json
