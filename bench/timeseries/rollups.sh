#!/usr/bin/env bash
# Rollups (docs/timeseries.md, "Rollups"): server CPU per aggregated query with and without
# hourly/daily rollups, on the time-series benchmark's data (tsgen.cpp), CityTwin only, and the
# bytes the rollups add on disk. 127.0.0.1 only.
#
#   bench/timeseries/rollups.sh [BINARY]
#   env: TS_SENSORS (default 200), TS_POINTS (10000 per sensor, one a minute), TS_THREADS (4),
#        ROLLUPS_BEFORE_LOAD=1 (set the rollup rule before the load: its ingest cost)
# Prints a Markdown report on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "${1:-build/release/citytwin}")
sensors=${TS_SENSORS:-200}
points=${TS_POINTS:-10000}
threads=${TS_THREADS:-4}
work=$(mktemp -d /tmp/citytwin-rollbench.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

source "$here/lib.sh"
port=$(free_port)
start() { serve_citytwin "$binary"; }
stop() { stop_citytwin; }

g++ -O2 -std=c++20 "$here/tsgen.cpp" -o "$work/tsgen"
"$work/tsgen" "$sensors" "$points" ngsi > "$work/data.ndjson"
compacting_config
start
tsbench create-sensors "$port" "$sensors"
# ROLLUPS_BEFORE_LOAD=1: the rule exists while the history is loaded, so every write also
# carries its dirty markers (the ingest cost of rollups) and the background pass builds them.
[ "${ROLLUPS_BEFORE_LOAD:-0}" = 1 ] && set_rollup_rules
read -r loaded load_seconds < <(tsbench load-ngsi "$port" "$work/data.ndjson" "$threads")
wait_compacted
stop
raw_bytes=$(bytes_of "$work/ct")
start
# The "without" figures are the raw history's: no rule while they are timed.
curl -sf -X PUT "http://127.0.0.1:$port/citytwin/v1/retention" -H 'Content-Type: application/json' \
  -d '{"rules": []}'
without=$(tsbench query citytwin-aligned "$port" "$sensors" "$points" "$pid")
set_rollup_rules
# The first aligned query of each sensor builds its rollups from the chunks (timed apart).
read -r build_seconds build_cpu < <(build_rollups "$sensors")
with=$(tsbench query citytwin-aligned "$port" "$sensors" "$points" "$pid")
stop
all_bytes=$(bytes_of "$work/ct")
# The store flushes every column family at a clean stop: the rollup rows are then in the SST
# files of the documents family, the only ones holding keys of the "rollup-rows" namespace.
rollup_bytes=$(/usr/bin/python3 - "$work/ct" <<'PY'
import os, sys
total = 0
for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        if name.endswith(".sst"):
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                if b"rollup-rows" in f.read():
                    total += os.path.getsize(path)
print(total)
PY
)

echo "### Rollups: $sensors sensors x $points points ($loaded loaded), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| query | without rollups: median ms / CPU ms | with rollups: median ms / CPU ms | periods (without / with) |"
echo "|---|---|---|---|"
paste <(echo "$without") <(echo "$with") | while read -r name ms check cpu _bytes _decoding _name2 ms2 check2 cpu2 _rest; do
  echo "| $name | $ms / $cpu | $ms2 / $cpu2 | $check / $check2 |"
done
echo
echo "Load: $loaded points in $load_seconds s ($(awk -v n="$loaded" -v s="$load_seconds" 'BEGIN {printf "%.0f", n / s}') points/s), rollup rule set $([ "${ROLLUPS_BEFORE_LOAD:-0}" = 1 ] && echo before || echo after) the load."
echo "First build of every sensor's rollups (from the compressed chunks): ${build_seconds} s wall, ${build_cpu} s server CPU."
echo "Rollup rows on disk (SST files of the documents family after a clean stop): $rollup_bytes bytes, $(awk -v b="$rollup_bytes" -v n="$loaded" 'BEGIN {printf "%.3f", b / n}') bytes per raw point; whole data directory $raw_bytes bytes before the rollups, $all_bytes after (RocksDB compactions in between move it too)."
