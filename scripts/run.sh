#!/usr/bin/env bash
# Sets up, builds (Release) and runs the main job: the contact-centre simulator on its bundled
# default scenario (examples/data/default_scenario.json, a week of a mid-size centre).
# Extra arguments go to the program, e.g. --json, --timeline FILE.csv, --compare staff=0.9,1,1.1,
# or another scenario file.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target omniroute-sim
# The heap on huge pages: a quarter less time for a large scenario (README, Benchmarks).
export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1"
exec build/release/examples/sim/omniroute-sim "$@"
