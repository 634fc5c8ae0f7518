#!/usr/bin/env bash
# Builds the release programs (library, benchmarks, simulator, CRM host) into build/pgo with
# link-time and profile-guided optimisation. An instrumented build of the simulator first runs the
# bundled scenarios, which record where the engine spends its time; the same tree is then rebuilt
# optimised by that record. Arguments name the targets to build (default: all).
#
# Run it again after changing a source: a profile of other sources does not match (GCC refuses it).
# The preset quiets two warnings that GCC 12 raises only when it optimises across files at link time,
# in libstdc++'s string code inlined into nlohmann::json's and ours (sizes it cannot bound there).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
dir=build/pgo
if [[ -d $dir ]]; then
  find "$dir" -name '*.gcda' -delete
fi
cmake --preset pgo -DOMNIROUTE_PGO=generate >/dev/null
cmake --build --preset pgo --target omniroute-sim
for scenario in examples/data/default_scenario.json examples/data/large_centre_day.json; do
  "$dir/examples/sim/omniroute-sim" "$scenario" >/dev/null
done
cmake --preset pgo -DOMNIROUTE_PGO=use >/dev/null
if (($#)); then
  cmake --build --preset pgo --target "$@"
else
  cmake --build --preset pgo
fi
