#!/usr/bin/env bash
# Builds bench_gemm, runs it and the NumPy+OpenBLAS peer on the same shapes, interleaved shape by
# shape (so both see the same machine load), and prints one table of median GFLOP/s, the ratio and
# the Highway target that ran.
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

run_peer() { # benchmark-name output
  local threads
  threads=$(sed 's/.*threads:\([0-9]*\).*/\1/' <<<"$1")
  # Only for this command: drop any core-type/L2 overrides so OpenBLAS detects the CPU itself.
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH="$OPENBLAS_DIR" \
    OPENBLAS_NUM_THREADS="$threads" /usr/bin/python3 "$REPO/bench/gemm/numpy_peer.py" \
    --repetitions "$REPETITIONS" "$1" >"$2"
}

run_tidemark() { # benchmark-name output
  "$BUILD_DIR/bench/gemm/bench_gemm" --benchmark_filter="^$1\$" \
    --benchmark_repetitions="$REPETITIONS" --benchmark_min_time=0.3 --benchmark_format=json \
    >"$2" 2>/dev/null
}

install_peer
build
mapfile -t BENCHMARKS < <("$BUILD_DIR/bench/gemm/bench_gemm" --benchmark_list_tests)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# Shape by shape, the two sides back to back, the order swapped every round, so that a change in
# the machine's load during the run does not favour either side.
for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS: ${#BENCHMARKS[@]} shapes, Tidemark and NumPy+OpenBLAS" >&2
  for i in "${!BENCHMARKS[@]}"; do
    name=${BENCHMARKS[$i]}
    printf -v i '%02d' "$i" # File names sort in benchmark order.
    if ((round % 2)); then
      run_tidemark "$name" "$OUT/tidemark-$round-$i.json"
      run_peer "$name" "$OUT/peer-$round-$i.json"
    else
      run_peer "$name" "$OUT/peer-$round-$i.json"
      run_tidemark "$name" "$OUT/tidemark-$round-$i.json"
    fi
  done
done
echo "machine: $(nproc) cores, load average $LOAD_BEFORE at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
/usr/bin/python3 "$REPO/bench/gemm/make_table.py" --tidemark "$OUT"/tidemark-*.json \
  --peer "$OUT"/peer-*.json
