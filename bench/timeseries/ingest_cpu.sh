#!/usr/bin/env bash
# Server CPU per point of a bulk history load (issue #3), for several builds in turn: each
# round, each binary gets a fresh data directory, the tsgen sensors, and the same
# POST /temporal/entities load (tsbench.py load-ngsi, TS_THREADS clients), then compacts it
# (two compaction passes after the load). Prints one line per binary and round: points/s of
# the load, server CPU µs per point during the load, and including the compaction after it.
# CPU, not the wall rate, compares builds on a shared machine. 127.0.0.1 only.
#
#   bench/timeseries/ingest_cpu.sh BINARY [BINARY...]
#   env: TS_SENSORS (100), TS_POINTS (10000 per sensor), TS_THREADS (4), TS_ROUNDS (3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { sed -n 2,10p "$0"; exit 2; }
sensors=${TS_SENSORS:-100}
points=${TS_POINTS:-10000}
threads=${TS_THREADS:-4}
rounds=${TS_ROUNDS:-3}
work=$(mktemp -d /tmp/citytwin-tsingest.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
source "$here/lib.sh"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
g++ -O2 -std=c++20 "$here/tsgen.cpp" -o "$work/tsgen"
"$work/tsgen" "$sensors" "$points" ngsi > "$work/data.ndjson"
compacting_config
ticks=$(getconf CLK_TCK)
for round in $(seq 1 "$rounds"); do
  for binary in "$@"; do
    rm -rf "$work/ct"
    port=$(free_port)
    serve_citytwin "$binary"
    tsbench create-sensors "$port" "$sensors" >/dev/null
    start=$(cpu_ticks "$pid")
    read -r loaded seconds < <(tsbench load-ngsi "$port" "$work/data.ndjson" "$threads")
    after_load=$(cpu_ticks "$pid")
    wait_compacted
    after_compaction=$(cpu_ticks "$pid")
    awk -v b="$(basename "$binary")" -v r="$round" -v p="$loaded" -v s="$seconds" -v t0="$start" \
      -v t1="$after_load" -v t2="$after_compaction" -v hz="$ticks" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
      'BEGIN { printf "%s round %d: %d points, %.0f points/s, %.2f µs CPU/point loading, %.2f with compaction, load %s\n",
               b, r, p, p / s, (t1 - t0) * 1e6 / hz / p, (t2 - t0) * 1e6 / hz / p, l }'
    stop_citytwin
  done
done
