#!/usr/bin/env bash
# The whole test suite: set-up and build (scripts/setup.sh), then every ctest test (unit, lit,
# end-to-end, formatting). Prints ctest's summary; exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
build="${TIDEMARK_BUILD_DIR:-$root/build}"
ctest --test-dir "$build" --output-on-failure -j "${TIDEMARK_JOBS:-$(nproc)}"
