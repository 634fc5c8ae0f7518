#!/usr/bin/env bash
# Measures the CRM host with wrk on loopback, journal on (WAL, synchronous=FULL): one read
# (GET /api/queues) and one write (POST /api/items, each a new item). Not part of CI.
#
#   examples/crm_host/load/run_load.sh [HOST_BINARY] [DURATION_SECONDS] [CONNECTIONS]
#
# Starts the host on a free port with a scratch data directory and the bundled configuration,
# runs `wrk --latency` against each endpoint and prints wrk's reports (requests/s, latency
# percentiles including p99, non-2xx answers).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="${1:-${here}/../../../build/ci/examples/crm_host/omniroute-crm-host}"
duration="${2:-10}"
connections="${3:-16}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[[ -x "${binary}" ]] || { echo "no host program at ${binary}" >&2; exit 1; }

scratch="$(mktemp -d)"
token="load-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
host_pid=""
cleanup() {
  if [[ -n "${host_pid}" ]]; then
    kill "${host_pid}" 2>/dev/null || true
    wait "${host_pid}" 2>/dev/null || true
  fi
  rm -rf "${scratch}"
}
trap cleanup EXIT

OMNIROUTE_TOKENS="${token} supervisor" "${binary}" --port 0 --data "${scratch}/data" \
  >"${scratch}/stdout" 2>"${scratch}/stderr" &
host_pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "${scratch}/stdout" 2>/dev/null && break
  sleep 0.1
done
url="$(sed -n 's/^listening on //p' "${scratch}/stdout")"
[[ -n "${url}" ]] || { echo "the host did not start:" >&2; cat "${scratch}/stderr" >&2; exit 1; }

echo "== host: ${binary}; ${connections} connections, ${duration}s each, journal on"
echo "== read: GET /api/queues"
wrk --latency -t2 -c"${connections}" -d"${duration}s" \
  -H "Authorization: Bearer ${token}" "${url}/api/queues"
echo "== write: POST /api/items (a new item per request)"
OMNIROUTE_LOAD_TOKEN="${token}" wrk --latency -t2 -c"${connections}" -d"${duration}s" \
  -s "${here}/post_items.lua" "${url}/api/items"
echo "== journal after the run (every acknowledged write is a row)"
python3 - "${url}" "${token}" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1] + "/api/health",
                                 headers={"Authorization": "Bearer " + sys.argv[2]})
print(urllib.request.urlopen(request).read().decode())
PY
