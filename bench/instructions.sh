#!/usr/bin/env bash
# Instructions the server executes per request or per device measure, counted exactly with
# Callgrind: unlike CPU time, the count does not move with the machine's load, so two builds
# compare to a fraction of a percent (it leaves out the kernel's work and cache misses).
# The server runs under valgrind on a fresh data directory (127.0.0.1 only); counting starts
# after a warm-up and stops after the measured phase; the profile is kept for
# callgrind_annotate.
#
#   bench/instructions.sh http BINARY SCRIPT OUT [ENTITIES=2000]
#       wrk (1 thread, INSTR_CONNECTIONS connections, default 64) runs SCRIPT (bench/wrk/*.lua)
#       for 5 s of warm-up and INSTR_DURATION (20s) measured, after loading ENTITIES
#       BenchSensor entities.
#   bench/instructions.sh mqtt BINARY OUT [DEVICES=1000]
#       bench/mqtt/deviceload.cpp: DEVICES provisioned devices send UltraLight measures at
#       QoS 1 (3 each as warm-up, then INSTR_MESSAGES, default 6, each) at INSTR_RATE (300/s).
#   INSTR_SERVER_ARGS: more `serve` options for either mode.
#
# Prints the requests (or acknowledged measures) counted and the instructions per each; then
# `callgrind_annotate --inclusive=yes OUT.1` shows where they went (divide by the count).
set -euo pipefail
mode=$1
binary=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

port=$(free_port)
mqtt_port=$(free_port)
case "$mode" in
  http) out=$4; entities=${5:-2000}; mqtt=(--mqtt-listen off) ;;
  mqtt) out=$3; devices=${4:-1000}; mqtt=(--mqtt-listen "127.0.0.1:$mqtt_port" --mqtt-threads 1) ;;
  *) echo "mode: http or mqtt" >&2; exit 2 ;;
esac
ct="http://127.0.0.1:$port"
valgrind --tool=callgrind --callgrind-out-file="$out" --instr-atstart=no \
  "$binary" serve --data "$work/ct" --listen "127.0.0.1:$port" --log-level error --auth off \
  "${mqtt[@]}" ${INSTR_SERVER_ARGS:-} >"$work/server.log" 2>&1 &
pids+=($!)
valgrind_pid=$!
for _ in $(seq 1 600); do curl -sf "$ct/health" >/dev/null 2>&1 && break; sleep 0.2; done

if [[ "$mode" == http ]]; then
  script=$(realpath "$3")
  /usr/bin/python3 "$here/load_entities.py" "$ct" "$entities" >/dev/null
  callgrind_control -i on "$valgrind_pid" >/dev/null 2>&1
  wrk -t1 -c"${INSTR_CONNECTIONS:-64}" -d5s -s "$script" "$ct" >/dev/null
  callgrind_control -z "$valgrind_pid" >/dev/null 2>&1
  report=$(wrk -t1 -c"${INSTR_CONNECTIONS:-64}" -d"${INSTR_DURATION:-20s}" -s "$script" "$ct")
  callgrind_control -d "$valgrind_pid" >/dev/null 2>&1
  count=$(awk '/requests in/ {print $1}' <<<"$report")
  unit=request
else
  /usr/bin/python3 "$here/mqtt/provision.py" "$ct" "$devices"
  g++ -O2 -std=c++20 "$here/mqtt/deviceload.cpp" -o "$work/deviceload"
  load=("$work/deviceload" --port "$mqtt_port" --devices "$devices" --window 8
        --rate "${INSTR_RATE:-300}")
  callgrind_control -i on "$valgrind_pid" >/dev/null 2>&1
  "${load[@]}" --messages 3 >/dev/null
  callgrind_control -z "$valgrind_pid" >/dev/null 2>&1
  report=$("${load[@]}" --messages "${INSTR_MESSAGES:-6}")
  callgrind_control -d "$valgrind_pid" >/dev/null 2>&1
  count=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["acked"])' "$report")
  unit=measure
fi
total=$(awk '/^summary:/ {print $2}' "$out.1")
echo "$count ${unit}s, $(awk -v t="$total" -v n="$count" 'BEGIN{printf "%.0f", t/n}') instructions per $unit (profile: $out.1)"
