#!/usr/bin/env bash
# Sets up, builds every target once (in parallel) and runs every test: C++ through ctest, Python
# through pytest (registered in ctest), the packaging consumers and the format check.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci
