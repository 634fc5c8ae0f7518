#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang-14, AddressSanitizer + UBSan) and runs each
# for a bounded time on a scratch copy of its seeds: fuzz/corpus/<target> and the seeds fuzz/make_seeds
# writes with the engine as it is now (journals and snapshots follow its format). The checked-in
# corpus never changes. Any crash, sanitizer report, invariant failure or timeout fails the run; the
# input that caused it stays in the scratch directory, named in the report.
#
#   scripts/fuzz.sh                    # every target for FUZZ_SECONDS (default 60) seconds
#   scripts/fuzz.sh 300                # five minutes each
#   scripts/fuzz.sh --long             # an hour each (FUZZ_LONG_SECONDS)
#   scripts/fuzz.sh 60 calendar journal   # only these targets
#
# Environment: FUZZ_JOBS targets at a time (default 2), FUZZ_WORK the scratch directory (default
# build/fuzz/runs, emptied first), FUZZ_TIMEOUT seconds one input may take (default 25).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
if [[ $# -gt 0 ]]; then
  case "$1" in
    --long) seconds="${FUZZ_LONG_SECONDS:-3600}" ;;
    *[!0-9]* | "")
      echo "usage: $0 [SECONDS | --long] [TARGET...]" >&2
      exit 2
      ;;
    *) seconds="$1" ;;
  esac
  shift
fi
all_targets=(config_json calendar journal snapshot engine_commands)
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=("${all_targets[@]}")
fi
for target in "${targets[@]}"; do
  if [[ ! -d "fuzz/corpus/$target" ]]; then
    echo "fuzz: unknown target '$target' (one of: ${all_targets[*]})" >&2
    exit 2
  fi
done
jobs="${FUZZ_JOBS:-2}"
timeout="${FUZZ_TIMEOUT:-25}"
work="${FUZZ_WORK:-build/fuzz/runs}"

scripts/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
failed=()
if ! build/fuzz/fuzz/make_seeds "$work/seeds" >"$work/make_seeds.log" 2>&1; then
  echo "fuzz: make_seeds failed (the checked-in seeds are used alone):" >&2
  tail -n 40 "$work/make_seeds.log" >&2
  failed+=(make_seeds)
fi

run_target() {
  local target="$1" dir="$work/$1"
  mkdir -p "$dir/corpus"
  cp -r "fuzz/corpus/$target/." "$dir/corpus/"
  if [[ -d "$work/seeds/$target" ]]; then
    cp -r "$work/seeds/$target/." "$dir/corpus/"
  fi
  local options=(-max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2560
                 -print_final_stats=1 -artifact_prefix="$dir/")
  if [[ -f "fuzz/$target.dict" ]]; then
    options+=(-dict="fuzz/$target.dict")
  fi
  local status=0
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "build/fuzz/fuzz/${target}_fuzzer" "${options[@]}" "$dir/corpus" >"$dir/log" 2>&1 || status=$?
  echo "$status" >"$dir/status"
}

echo "fuzz: ${targets[*]} for ${seconds} s each, ${jobs} at a time; work in $work"
for target in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do
    wait -n || true
  done
  run_target "$target" &
done
wait
for target in "${targets[@]}"; do
  if [[ "$(cat "$work/$target/status" 2>/dev/null)" != 0 ]]; then
    failed+=("$target")
  fi
done

printf '%-16s %10s %9s %8s  %s\n' target executions exec/s corpus result
for target in "${targets[@]}"; do
  log="$work/$target/log"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" 2>/dev/null | tail -n 1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" 2>/dev/null | tail -n 1)"
  corpus="$(find "$work/$target/corpus" -type f 2>/dev/null | wc -l)"
  result=ok
  if [[ " ${failed[*]} " == *" $target "* ]]; then
    result="FAILED: $(find "$work/$target" -maxdepth 1 -type f \
      \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | head -n 1)"
  fi
  printf '%-16s %10s %9s %8s  %s\n' "$target" "${runs:-?}" "${rate:-?}" "$corpus" "$result"
done

if ((${#failed[@]} > 0)); then
  for target in "${failed[@]}"; do
    [[ "$target" == make_seeds ]] && continue
    echo "--- $target (log: $work/$target/log)" >&2
    grep -m 1 -E 'omniroute fuzz invariant failed|ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error' \
      -A 24 "$work/$target/log" >&2 || tail -n 40 "$work/$target/log" >&2
  done
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no failure"
