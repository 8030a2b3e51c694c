#!/usr/bin/env bash
# The main job: set-up and build (scripts/setup.sh), then take the example transformer block
# through the compiler and print what it will cost.
# (Until tidec lands (issue #6) this runs tide-opt: verify the model, then report its ops' costs.)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" >/dev/null
build="${TIDEMARK_BUILD_DIR:-$root/build}"
model="${1:-$root/examples/gpt_block.mlir}"
echo "== $model: verified and costed by tide-opt =="
"$build/bin/tide-opt" "$model" -tide-report-costs -o /dev/null
