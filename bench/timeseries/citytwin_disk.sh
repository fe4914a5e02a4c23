#!/usr/bin/env bash
# CityTwin's bytes on disk per point for the issue #3 benchmark data, without the peers: the
# load of bench/timeseries/run.sh (tsgen data through POST /temporal/entities, history
# compacted into chunks), a clean stop, then history_chunk_bench --measure on the database
# (flush + forced bottommost RocksDB compaction of `history` and `history_chunks`, and what
# each chunk section costs per sample). 127.0.0.1 only.
#
#   bench/timeseries/citytwin_disk.sh [BINARY] [HISTORY_CHUNK_BENCH]
#   env: TS_SENSORS (default 200), TS_POINTS (10000 per sensor), TS_THREADS (4 loaders),
#        TS_KEEP=1 keeps the data directory (its path is printed) for a closer look
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "${1:-build/release/citytwin}")
measure=$(realpath "${2:-build/release/src/store/history_chunk_bench}")
sensors=${TS_SENSORS:-200}
points=${TS_POINTS:-10000}
threads=${TS_THREADS:-4}
work=$(mktemp -d /tmp/citytwin-tsdisk.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null || true
  if [ "${TS_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

source "$here/lib.sh"

g++ -O2 -std=c++20 "$here/tsgen.cpp" -o "$work/tsgen"
"$work/tsgen" "$sensors" "$points" ngsi > "$work/data.ndjson"
total=$((sensors * points))
port=$(free_port)
compacting_config
serve_citytwin "$binary"
tsbench create-sensors "$port" "$sensors"
before=$(bytes_of "$work/ct")
read -r loaded seconds < <(tsbench load-ngsi "$port" "$work/data.ndjson" "$threads")
wait_compacted
stop_citytwin
after=$(bytes_of "$work/ct")
ls -l "$work/ct/rocksdb" | awk '$5 > 1000000 {printf "  %s %d bytes\n", $9, $5}'  # the large files
echo "citytwin $("$binary" --version | awk '{print $2}'): $sensors sensors x $points points = $total ($loaded loaded in ${seconds} s); load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v b="$((after - before))" -v p="$total" 'BEGIN {printf "data directory after a clean stop, minus before the load: %d bytes = %.2f B/point\n", b, b / p}'
"$measure" --measure "$work/ct/rocksdb"
