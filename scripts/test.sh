#!/usr/bin/env bash
# Sets up, builds every target once (in parallel) and runs every test: C++ through ctest, Python
# through pytest (registered in ctest), the packaging consumers and the format check; then the
# concurrent engine test under ThreadSanitizer, every C++ test under AddressSanitizer +
# UndefinedBehaviorSanitizer, and each libFuzzer target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci
# The thread-safe wrapper under ThreadSanitizer: one small binary, built in its own tree.
cmake --preset tsan >/dev/null
cmake --build --preset tsan
TSAN_OPTIONS="halt_on_error=1" build/tsan/tests/concurrent_engine_test
# Every C++ test again under AddressSanitizer + UndefinedBehaviorSanitizer (the queueing-theory
# runs, which only repeat the simulator's code at length, are left to the build above).
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan
# Each libFuzzer target for 60 s, two at a time, on its seed corpus (scripts/fuzz.sh).
scripts/fuzz.sh 60
