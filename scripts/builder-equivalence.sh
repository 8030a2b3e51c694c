#!/usr/bin/env bash
# Checks that two tide-models binaries (e.g. the text-printing builder of main and the builder that
# builds through the dialect) emit the same models: for every model family and option set below,
# the IR is identical after both are printed by the same tide-opt, the --weights files are
# byte-identical, tidec's memory report (text and JSON, without the pass timings and source
# lines) is identical, and the plans tidec compiles from the printed IR are byte-identical.
#
#   scripts/builder-equivalence.sh OLD_TIDE_MODELS NEW_TIDE_MODELS TIDE_OPT TIDEC
#
# Exit status 0 when every case matches; each mismatch is printed with its diff.
set -u
old=$1 new=$2 opt=$3 tidec=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
small="--layers 2 --d-model 32 --heads 4 --seq 16 --batch 2"
cases=(
  "gpt $small"
  "gpt $small --vocab 50"
  "gpt $small --vocab 50 --tie-weights"
  "gpt $small --vocab 50 --dropout 0.1"
  "gpt $small --vocab 50 --tie-weights --dropout 0.1 --checkpoint per-block"
  "gpt $small --vocab 50 --inference"
  "gpt $small --inference"
  "gpt $small --checkpoint per-block"
  "llama $small --vocab 64"
  "llama $small --vocab 64 --kv-heads 2"
  "llama $small --vocab 64 --kv-heads 1 --tie-weights --checkpoint per-block"
  "llama $small --vocab 64 --kv-heads 2 --inference"
  "bert $small --vocab 64"
  "bert $small --vocab 64 --padding-mask"
  "bert $small --vocab 64 --padding-mask --type-vocab 2 --dropout 0.1 --checkpoint per-block"
  "bert $small --vocab 64 --padding-mask --inference"
  "gpt --vocab 256 --dropout 0.1 --tie-weights"
  "llama --kv-heads 2"
  "bert --padding-mask --dropout 0.1"
  "mlp"
  "mlp --hidden 32,16 --activation gelu --checkpoint per-block"
  "mlp --hidden 32 --vocab 0"
  "mlp --hidden 32,16 --inference"
)
# tidec's report without what differs by construction: pass timings, and the source lines of
# the raw files (the old builder wrapped the signature over several lines), which the plan's step
# names carry, so its byte size too (the plans of the printed files are compared byte for byte).
normalize() {
  sed -E -e '/^time per pass:/,$d' -e '/"seconds":/d' -e 's/model\.mlir:[0-9]+/model.mlir:L/g' \
    -e 's/\([0-9]+ plan bytes\)/(N plan bytes)/' -e 's/"plan_bytes": [0-9]+/"plan_bytes": N/' "$1"
}
failures=0
for i in "${!cases[@]}"; do
  args=${cases[$i]}
  ok=1
  for side in old new; do
    bin=${!side}
    dir=$work/$side
    rm -rf "$dir" && mkdir -p "$dir"
    # shellcheck disable=SC2086
    "$bin" $args --seed 7 --output "$dir/model.mlir" --weights "$dir/weights.safetensors" ||
      { echo "FAIL [$args]: $side tide-models failed"; ok=0; continue; }
    "$opt" "$dir/model.mlir" > "$dir/printed.mlir" ||
      { echo "FAIL [$args]: tide-opt rejects the $side model"; ok=0; continue; }
    train=--train=sgd
    [[ $args == *--inference* ]] && train=
    # The raw output (its memory report) and the tide-opt-printed one (its plan, byte for byte);
    # relative paths, so that the reports name the same files.
    for format in text json; do
      # shellcheck disable=SC2086
      (cd "$dir" && "$tidec" model.mlir -o model.tplan $train --report=$format \
        --weights=weights.safetensors > report.raw.$format 2>&1) ||
        { echo "FAIL [$args]: tidec ($format) fails on the $side model"; ok=0; }
      normalize "$dir/report.raw.$format" > "$dir/report.$format"
    done
    # shellcheck disable=SC2086
    (cd "$dir" && "$tidec" printed.mlir -o printed.tplan $train \
      --weights=weights.safetensors > /dev/null 2>&1) ||
      { echo "FAIL [$args]: tidec fails on the printed $side model"; ok=0; }
  done
  if ((ok)); then
    diff "$work/old/printed.mlir" "$work/new/printed.mlir" > "$work/diff" ||
      { echo "FAIL [$args]: the IR differs"; head -20 "$work/diff"; ok=0; }
    cmp "$work/old/weights.safetensors" "$work/new/weights.safetensors" ||
      { echo "FAIL [$args]: the weights differ"; ok=0; }
    cmp "$work/old/printed.tplan" "$work/new/printed.tplan" ||
      { echo "FAIL [$args]: the plans differ"; ok=0; }
    for format in text json; do
      diff "$work/old/report.$format" "$work/new/report.$format" > "$work/diff" ||
        { echo "FAIL [$args]: the $format memory report differs"; head -20 "$work/diff"; ok=0; }
    done
  fi
  if ((ok)); then
    echo "same [$args]: $(grep -c ' = ' "$work/new/printed.mlir") op lines," \
      "$(wc -c < "$work/new/weights.safetensors") weight bytes," \
      "$(grep -m1 -o 'arena  *[0-9]* B' "$work/new/report.text")"
  else
    failures=$((failures + 1))
  fi
done
echo "${#cases[@]} cases, $failures failed"
exit $((failures > 0))
