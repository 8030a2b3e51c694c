#!/usr/bin/env bash
# Builds accuracy_probe and prints the kernel accuracy audit against PyTorch float32 and float64
# (docs/kernels.md, "Accuracy against PyTorch"). Needs /usr/bin/python3 with torch and NumPy.
# Usage: bench/accuracy/run.sh [build-dir] [audit.py flags, e.g. --seed 2]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build"
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then # a first argument that is not a flag: the build dir
  build="$1"
  shift
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  echo "run.sh: $build is not a configured build directory (run scripts/setup.sh first)" >&2
  exit 1
fi
cmake --build "$build" -j2 --target accuracy_probe >/dev/null
exec /usr/bin/python3 "$root/bench/accuracy/audit.py" --probe "$build/bench/accuracy/accuracy_probe" "$@"
