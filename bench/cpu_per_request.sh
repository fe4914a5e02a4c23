#!/usr/bin/env bash
# Server CPU per request, the figure that varies least with the machine's load: starts CityTwin
# on a fresh data directory (127.0.0.1 only), loads ENTITIES BenchSensor entities, warms up,
# then runs wrk with SCRIPT (bench/wrk/*.lua) and divides the server's CPU time (user + system,
# /proc/PID/stat) by the requests wrk completed.
#
#   bench/cpu_per_request.sh BINARY SCRIPT [ENTITIES=10000]
#   env: CPU_CONNECTIONS (64), CPU_DURATION (10s), CPU_SERVER_ARGS (extra `serve` options),
#        CPU_PERF_OUTPUT (file: also record the server with perf for the measured run)
set -euo pipefail
binary=$(realpath "$1")
script=$(realpath "$2")
entities=${3:-10000}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
start_citytwin "$binary" ${CPU_SERVER_ARGS:-}
/usr/bin/python3 "$here/load_entities.py" "$ct" "$entities" >/dev/null
wrk -t2 -c"${CPU_CONNECTIONS:-64}" -d3s -s "$script" "$ct" >/dev/null
before=$(cpu_ticks "$ct_pid")
if [[ -n "${CPU_PERF_OUTPUT:-}" ]]; then
  perf record -F 999 -g -p "$ct_pid" -o "$CPU_PERF_OUTPUT" -- sleep 8 >/dev/null 2>&1 &
  pids+=($!)
fi
report=$(wrk -t2 -c"${CPU_CONNECTIONS:-64}" -d"${CPU_DURATION:-10s}" -s "$script" "$ct")
after=$(cpu_ticks "$ct_pid")
requests=$(awk '/requests in/ {print $1}' <<<"$report")
non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$report")
rate=$(awk '/Requests\/sec/ {print $2}' <<<"$report")
ticks=$(getconf CLK_TCK)
echo "$(basename "$script"): $rate requests/s, non-2xx ${non2xx:-0}," \
  "server CPU $(awk -v a="$before" -v b="$after" -v n="$requests" -v t="$ticks" \
  'BEGIN{printf "%.1f", (b-a)/t*1e6/n}') µs/request"
