#!/usr/bin/env bash
# Fails when a C++ source of the project is not formatted as .clang-format says.
# Usage: scripts/check-format.sh [clang-format binary]
set -euo pipefail
cd "$(dirname "$0")/.."
formatter="${1:-clang-format}"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.h' '*.cc' | sort -u)
else
  mapfile -t files < <(find include src tests benchmarks examples bindings -name '*.h' -o -name '*.cc')
fi
existing=()
for file in "${files[@]}"; do [[ -f "$file" ]] && existing+=("$file"); done
"$formatter" --dry-run --Werror "${existing[@]}"
echo "clang-format: ${#existing[@]} files formatted"
