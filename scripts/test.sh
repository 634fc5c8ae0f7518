#!/usr/bin/env bash
# Sets up, builds every target once (in parallel) and runs every test: C++ through ctest, Python
# through pytest (registered in ctest), the packaging consumers and the format check; then the
# concurrent engine test and the CRM host under ThreadSanitizer, every C++ test under
# AddressSanitizer + UndefinedBehaviorSanitizer, and each libFuzzer target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci
# The thread-safe wrapper under ThreadSanitizer, and the CRM host (HTTP workers, the clock and
# the committer around one engine) through its API tests; any report fails the run.
cmake --preset tsan >/dev/null
cmake --build --preset tsan
TSAN_OPTIONS="halt_on_error=1" build/tsan/tests/concurrent_engine_test
rm -rf build/tsan/reports
mkdir -p build/tsan/reports
TSAN_OPTIONS="halt_on_error=1 log_path=$PWD/build/tsan/reports/crm_host" \
  OMNIROUTE_CRM_HOST=build/tsan/examples/crm_host/omniroute-crm-host \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/crm_host/test_api.py
if compgen -G "build/tsan/reports/crm_host*" >/dev/null; then
  cat build/tsan/reports/crm_host* >&2
  echo "ThreadSanitizer reported on the CRM host" >&2
  exit 1
fi
# Every C++ test again under AddressSanitizer + UndefinedBehaviorSanitizer (the queueing-theory
# runs, which only repeat the simulator's code at length, are left to the build above).
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan
# Each libFuzzer target for 60 s, two at a time, on its seed corpus (scripts/fuzz.sh).
scripts/fuzz.sh 60
