#!/usr/bin/env bash
# Budget-search scaling benchmark (issue 9): `tidec --train=adam --remat=budget --budget=50%` on
# chains of N forward ops (an add, N - 2 tanh, a reduce_sum, each on a 1024-float tensor; the
# training step has about 2.6 N ops). Prints the CPU model, then a markdown table per N: the
# median over the rounds of tidec's wall time, its CPU time (user + sys) and the tide-remat
# pass's wall time (from tidec's report), with the extra FLOPs and the arena of the last round.
# The 50% budget makes tidec plan the remat=none arena first; that is included in its times.
# Usage: bench/remat/chain.sh [--sizes "1000 2000 5000 10000"] [--rounds 3] [--budget 50%]
#                             [--tidec PATH]   (e.g. a tidec built from an older commit)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${TIDEMARK_BUILD_DIR:-$root/build}"
sizes="1000 2000 5000 10000"
rounds=3
budget="50%"
tidec=""
while [ $# -gt 0 ]; do
  case "$1" in
  --sizes) sizes="$2"; shift 2 ;;
  --rounds) rounds="$2"; shift 2 ;;
  --budget) budget="$2"; shift 2 ;;
  --tidec) tidec="$2"; shift 2 ;;
  *) echo "chain.sh: unknown option '$1' (see the usage in the script)" >&2; exit 1 ;;
  esac
done
if [ -z "$tidec" ]; then
  "$root/scripts/setup.sh" >/dev/null
  tidec="$build/bin/tidec"
fi
[ -x "$tidec" ] || { echo "chain.sh: no tidec at $tidec" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# chain N FILE: the chain model of N >= 3 forward ops.
chain() {
  local n=$1 t="tensor<1024xf32>"
  {
    echo "func.func @chain(%x: $t, %w: $t {tide.param}) -> tensor<f32> {"
    echo "  %v0 = tide.add %x, %w : ($t, $t) -> $t"
    for ((i = 1; i <= n - 2; i++)); do echo "  %v$i = tide.tanh %v$((i - 1)) : $t"; done
    echo "  %l = tide.reduce_sum %v$((n - 2)) axes = [0] : $t -> tensor<f32>"
    echo "  return %l : tensor<f32>"
    echo "}"
  } >"$2"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "CPU: $(lscpu | grep 'Model name' | sed 's/Model name: *//'), $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tidec: $tidec; budget $budget; median of $rounds rounds"
echo
echo '| forward ops | kernel steps | tidec wall | tidec CPU | tide-remat pass | extra FLOPs (of step) | arena / budget |'
echo '|---|---|---|---|---|---|---|'
TIMEFORMAT='%R %U %S'
for n in $sizes; do
  chain "$n" "$work/chain.mlir"
  : >"$work/wall"; : >"$work/cpu"; : >"$work/pass"
  for ((r = 0; r < rounds; r++)); do
    { time "$tidec" "$work/chain.mlir" -o "$work/chain.tplan" --train=adam --remat=budget \
        --budget="$budget" >"$work/report" 2>&1; } 2>"$work/time" ||
      { echo "chain.sh: tidec failed on $n ops:" >&2; cat "$work/report" >&2; exit 1; }
    read -r wall user sys <"$work/time"
    echo "$wall" >>"$work/wall"
    echo "$user + $sys" | bc >>"$work/cpu"
    grep -E '^ +tide-remat ' "$work/report" | awk '{ print $2 / 1000 }' >>"$work/pass"
  done
  steps=$(grep -o '[0-9]* kernel steps' "$work/report" | grep -o '^[0-9]*')
  extra=$(grep -E '^ +recomputation' "$work/report" | grep -o '([0-9.]*%' | tr -d '(')
  arena=$(grep -E '^ +arena  ' "$work/report" | awk '{ printf "%.2f", $2 / 1048576 }')
  limit=$(grep -E '^ +arena budget' "$work/report" | awk '{ printf "%.2f", $3 / 1048576 }')
  printf '| %s | %s | %.2f s | %.2f s | %.2f s | %s | %s / %s MiB |\n' "$n" "$steps" \
    "$(median <"$work/wall")" "$(median <"$work/cpu")" "$(median <"$work/pass")" "$extra" \
    "$arena" "$limit"
done
