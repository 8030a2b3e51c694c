#!/usr/bin/env bash
# Builds the packing benchmark in build-pack-bench/ (or $BUILD_DIR) and prints one markdown table.
# Usage: bench/pack/run.sh [pack_bench flags, e.g. --time_limit=10 --data_dir=PATH]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$repo/build-pack-bench}"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
ninja -C "$build" -j2 pack_bench >/dev/null
exec "$build/bench/pack/pack_bench" "$@"
