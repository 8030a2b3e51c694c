#!/usr/bin/env bash
# Installs the Debian packages Tidemark needs (only the missing ones), configures and builds.
# Idempotent: on a machine that already has everything it only runs an incremental build.
# Environment: TIDEMARK_BUILD_DIR (default build), TIDEMARK_CMAKE_ARGS (extra configure flags),
#              TIDEMARK_JOBS (default: number of cores), TIDEMARK_SETUP_FOR=sanitize (used by
#              scripts/sanitize.sh and scripts/fuzz.sh: also install clang-19, libFuzzer and the
#              sanitizer runtimes, and build nothing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TIDEMARK_BUILD_DIR:-$root/build}"
jobs="${TIDEMARK_JOBS:-$(nproc)}"

packages=(
  cmake ninja-build g++ python3 lld ccache clang-format
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools
  libhwy-dev libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libflatbuffers-dev flatbuffers-compiler
  # The runtime's safetensors reader/writer parses its JSON header with nlohmann/json: well kept,
  # header-only (nothing to link), so the runtime-only build needs it too.
  nlohmann-json3-dev
  # The end-to-end checks against PyTorch (tests/e2e/torch, bench/torch); Debian's torch is seen
  # by /usr/bin/python3 only.
  python3-torch python3-numpy
  # The ONNX importer (compiler/onnx, docs/onnx.md) parses, checks and shape-infers models with
  # Debian's ONNX C++ library and protobuf, so no protobuf parsing is written by hand;
  # python3-onnx builds the small hand-made models of its tests (torch.onnx.export makes the
  # others) and libonnx-testdata holds ONNX's backend node tests.
  libonnx-dev libprotobuf-dev protobuf-compiler python3-onnx libonnx-testdata
  # PyTorch's BLAS for those comparisons and benchmarks. Debian's torch links libblas.so.3, which
  # without an OpenBLAS package is the netlib reference BLAS (unblocked loops: a crippled peer).
  # The OpenMP build shares torch's own OpenMP (libgomp) thread pool instead of starting a second
  # pool of spinning pthreads (docs/benchmarks.md); bench/models/torch_env.py checks it is loaded.
  libopenblas0-openmp
)
# The sanitizer and fuzzing build (scripts/sanitize.sh, docs/hardening.md) compiles with clang-19.
if [ "${TIDEMARK_SETUP_FOR:-}" = sanitize ]; then
  packages+=(clang-19 libfuzzer-19-dev libclang-rt-19-dev llvm-19)
fi
# A runtime-only build (-DTIDEMARK_BUILD_COMPILER=OFF) needs no LLVM, MLIR, Abseil or ONNX.
if [[ "${TIDEMARK_CMAKE_ARGS:-}" == *TIDEMARK_BUILD_COMPILER=OFF* ]]; then
  kept=()
  for p in "${packages[@]}"; do
    case "$p" in
    llvm-* | libmlir-* | mlir-* | libabsl-dev | libonnx-* | libprotobuf-dev | protobuf-compiler | \
      python3-onnx) ;;
    *) kept+=("$p") ;;
    esac
  done
  packages=("${kept[@]}")
fi
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

[ "${TIDEMARK_SETUP_FOR:-}" = sanitize ] && exit 0

if [ ! -f "$build/build.ninja" ]; then
  # shellcheck disable=SC2086
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${TIDEMARK_CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$build" -j "$jobs"
