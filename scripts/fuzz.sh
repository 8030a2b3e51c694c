#!/usr/bin/env bash
# A fuzzing campaign on one libFuzzer target (docs/hardening.md): builds the sanitizer + fuzzer
# tree (scripts/sanitize.sh --build-only, build-sanitize/), then fuzzes TARGET for SECONDS from
# its seeds and the campaign corpus kept in build-sanitize/tests/fuzz/work/campaign-TARGET/.
# Prints the CPU model, the executions run and the coverage reached; exits non-zero on a finding
# (crash, sanitizer report, leak, timeout, out-of-memory), whose input is saved under
# build-sanitize/tests/fuzz/work/campaign-TARGET/findings/.
#
# usage: scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags...]
#   TARGET: plan | safetensors | pack-csv | tidec
# Environment: TIDEMARK_SANITIZE_BUILD_DIR, TIDEMARK_JOBS (as scripts/sanitize.sh),
#   TIDEMARK_FUZZ_WORKERS (parallel fuzzing processes, default 1).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TIDEMARK_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
if [ $# -lt 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh plan|safetensors|pack-csv|tidec SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
target="$1"
seconds="$2"
shift 2
fuzz="$root/tests/fuzz"
case "$target" in
  plan)
    binary=fuzz_plan
    seeds=("$fuzz/corpus/plan" "$build/tests/fuzz/seeds/plan")
    flags=(-max_len=32768)
    ;;
  safetensors)
    binary=fuzz_safetensors
    seeds=("$fuzz/corpus/safetensors")
    flags=(-dict="$fuzz/dict/safetensors.dict")
    ;;
  pack-csv)
    binary=fuzz_pack_csv
    seeds=("$fuzz/corpus/pack-csv")
    flags=(-dict="$fuzz/dict/pack-csv.dict")
    ;;
  tidec)
    binary=fuzz_tidec
    seeds=("$fuzz/corpus/tidec")
    flags=(-dict="$fuzz/dict/tidec.dict" -max_len=8192)
    ;;
  *)
    echo "fuzz.sh: unknown target '$target' (plan, safetensors, pack-csv, tidec)" >&2
    exit 2
    ;;
esac

"$root/scripts/sanitize.sh" --build-only >/dev/null
executable="$(find "$build/tests/fuzz" -name "$binary" -type f -perm -u+x | head -n 1)"
if [ -z "$executable" ]; then
  echo "fuzz.sh: $binary was not built in $build (TIDEMARK_BUILD_COMPILER=OFF?)" >&2
  exit 2
fi
work="$build/tests/fuzz/work/campaign-$target"
mkdir -p "$work/corpus" "$work/findings"
touch "$work/.started"

# shellcheck disable=SC1091
source "$build/sanitizer-env.sh" # The sanitizers' run-time options (cmake/TidemarkSanitizers.cmake).
symbolizer="$(command -v llvm-symbolizer-19 || echo /usr/lib/llvm-19/bin/llvm-symbolizer)"
[ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"

echo "fuzz: target $target ($executable), $seconds s"
echo "fuzz: CPU $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores"
log="$work/last-run.log"
workers="${TIDEMARK_FUZZ_WORKERS:-1}"
parallel=()
[ "$workers" -gt 1 ] && parallel=(-fork="$workers" -ignore_crashes=0)
status=0
"$executable" "${flags[@]}" "${parallel[@]}" -max_total_time="$seconds" -timeout=25 \
  -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$work/findings/" "$@" \
  "$work/corpus" "${seeds[@]}" 2>&1 | tee "$log" | grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|==[0-9]+==ERROR|SUMMARY|fuzz_[a-z_]+ finding)' || true
status=${PIPESTATUS[0]}
executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
found=$(find "$work/findings" -type f -newer "$work/.started" | wc -l)
echo "fuzz: ${executions:-?} executions (${rate:-?}/s), ${coverage:-no coverage line}, corpus $(find "$work/corpus" -type f | wc -l) inputs"
if [ "$status" -ne 0 ] || [ "$found" -gt 0 ]; then
  echo "fuzz: FINDING (exit $status): $found new inputs in $work/findings (log: $log):" >&2
  find "$work/findings" -type f -newer "$work/.started" | head -n 5 >&2
  exit 1
fi
echo "fuzz: no finding"
