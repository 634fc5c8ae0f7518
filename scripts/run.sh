#!/usr/bin/env bash
# Sets up, builds (Release) and runs the main job on its bundled default input.
# Extra arguments go to the program.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target omniroute-calendar-demo
exec build/release/examples/omniroute-calendar-demo "$@"
