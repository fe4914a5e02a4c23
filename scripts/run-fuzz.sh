#!/usr/bin/env bash
# Runs every libFuzzer target of fuzz/ for a fixed time against a copy of its seed corpus and
# prints the executions per target. Used by `make fuzz` and `make fuzz-smoke`.
#
#   scripts/run-fuzz.sh SECONDS_PER_TARGET [BUILD_DIR] [TARGET...]
#
# The targets must be built (cmake --build BUILD_DIR --target fuzz_targets). The corpus copy
# and anything libFuzzer adds to it stay in BUILD_DIR/fuzz-work/<target>/ (the seeds in
# fuzz/corpus/ are never modified); a crashing input is saved as
# BUILD_DIR/fuzz-artifacts/<target>-crash-... and the script exits 1. Copy such an input into
# fuzz/corpus/<target>/ once the bug is fixed, as a regression seed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: run-fuzz.sh SECONDS_PER_TARGET [BUILD_DIR] [TARGET...]}
build_dir=${2:-build/fuzz}
shift $(( $# >= 2 ? 2 : 1 ))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

work="$build_dir/fuzz-work"
artifacts="$build_dir/fuzz-artifacts"
mkdir -p "$work" "$artifacts"
failed=()
summary=()
started=$SECONDS
for target in "${targets[@]}"; do
  binary="$build_dir/fuzz/$target"
  if [ ! -x "$binary" ]; then
    echo "run-fuzz: $binary is not built" >&2
    exit 2
  fi
  corpus="$work/$target"
  rm -rf "$corpus"
  mkdir -p "$corpus"
  cp fuzz/corpus/"$target"/* "$corpus"/
  log="$work/$target.log"
  echo "run-fuzz: $target for ${seconds}s"
  # -timeout: one input taking longer than 10 s is a hang and reported as a crash.
  # -rss_limit_mb: a single input allocating more is reported as out-of-memory.
  # A dictionary of the grammar's tokens, when the target has one, helps mutations reach past
  # the tokenizer.
  dict=()
  [ -f "fuzz/dict/$target.dict" ] && dict=(-dict="fuzz/dict/$target.dict")
  status=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$target-" "${dict[@]}" "$corpus" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  entries=$(find "$corpus" -type f | wc -l)
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    grep -E "ERROR|SUMMARY|fuzz invariant|Test unit written|==[0-9]+==" "$log" | head -20 || true
    result="CRASH (log: $log)"
  else
    result=ok
  fi
  summary+=("$(printf '%-22s %12s %10s %9s  %s' "$target" "${execs:-?}" "${per_second:-?}" \
    "$entries" "$result")")
done

echo
printf '%-22s %12s %10s %9s  %s\n' target executions exec/s corpus result
printf '%s\n' "${summary[@]}"
echo "run-fuzz: ${#targets[@]} targets, ${seconds}s each, $((SECONDS - started))s in all"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run-fuzz: crashes in ${failed[*]}; inputs in $artifacts/" >&2
  exit 1
fi
