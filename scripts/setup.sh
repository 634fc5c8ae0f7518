#!/usr/bin/env bash
# Installs what building and testing omniroute needs from Debian's archive, when it is missing.
# Runs apt-get as root (through sudo when not root). Idempotent and quiet when all is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git clang-format
  libabsl-dev libfmt-dev nlohmann-json3-dev tzdata libboost-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-dev python3-pytest
  python3-matplotlib  # examples/sim/plot_timeline.py
  libsqlite3-dev  # the SQL baseline of benchmarks/router_benchmark.cc, the CRM host's journal
  libcpp-httplib-dev  # examples/crm_host
  wrk  # examples/crm_host/load (by hand, not in CI)
  chromium  # tests/crm_host/test_dashboard.py drives it headless over the DevTools pipe
  clang-14 libfuzzer-14-dev  # the fuzz preset (scripts/fuzz.sh)
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
