#!/usr/bin/env bash
# Refreshes the reference pages generated from the ODS (dialect ops, pass options) in docs/.
# A ctest test (docs-in-sync) fails when they are stale.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TIDEMARK_BUILD_DIR:-$root/build}"
cmake --build "$build" --target TideDocGen TidemarkPassesIncGen >/dev/null
cp "$build/compiler/dialect/TideDialect.md" "$root/docs/dialect.md"
cp "$build/passes/Passes.md" "$root/docs/passes-reference.md"
echo "docs/dialect.md and docs/passes-reference.md regenerated"
