#!/usr/bin/env bash
# The whole test suite: set-up and build (scripts/setup.sh), then every ctest test (unit, lit,
# end-to-end, formatting), then the sanitizer suite (scripts/sanitize.sh: the tests under
# ASan + UBSan, and the fuzz smoke runs; docs/hardening.md). Prints ctest's summaries; exits
# non-zero on any failure. TIDEMARK_TEST_SANITIZE=0 skips the sanitizer suite.
# The sanitizer suite here is the runtime-only configuration (-DTIDEMARK_BUILD_COMPILER=OFF: the
# runtime tests, the plan and safetensors fuzzers), because the instrumented compiler build takes
# most of CI's time on two cores; TIDEMARK_TEST_SANITIZE=full runs the whole project under the
# sanitizers (what scripts/sanitize.sh does by itself).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
build="${TIDEMARK_BUILD_DIR:-$root/build}"
ctest --test-dir "$build" --output-on-failure -j "${TIDEMARK_JOBS:-$(nproc)}"
case "${TIDEMARK_TEST_SANITIZE:-runtime}" in
  0) ;;
  full) "$root/scripts/sanitize.sh" ;;
  *)
    TIDEMARK_SANITIZE_BUILD_DIR="${TIDEMARK_SANITIZE_BUILD_DIR:-$root/build-sanitize-rt}" \
      TIDEMARK_SANITIZE_CMAKE_ARGS="-DTIDEMARK_BUILD_COMPILER=OFF ${TIDEMARK_SANITIZE_CMAKE_ARGS:-}" \
      "$root/scripts/sanitize.sh"
    ;;
esac
