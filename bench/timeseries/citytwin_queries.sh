#!/usr/bin/env bash
# CityTwin's query figures of the issue #3 benchmark for several builds on the same data,
# without the peers: the load of bench/timeseries/run.sh (tsgen data through POST
# /temporal/entities, history compacted into chunks) with the first binary, a clean stop,
# then ROUNDS rounds in which each binary in turn serves that data directory and times the
# three queries (tsbench.py query citytwin: median wall ms and the server's CPU ms per
# query). Interleaving the binaries spreads the load of a shared machine over all of them;
# compare the CPU figures. 127.0.0.1 only.
#
#   bench/timeseries/citytwin_queries.sh BINARY [BINARY...]
#   env: TS_SENSORS (default 200), TS_POINTS (10000 per sensor), TS_THREADS (4 loaders),
#        TS_ROUNDS (3), TS_PAGE_SETS (page sizes to time in each round, each "AGGR:LAST"
#        entities per request for the aggregation and the last values; default: tsbench's)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { sed -n 2,13p "$0"; exit 2; }
binaries=()
for binary in "$@"; do binaries+=("$(realpath "$binary")"); done
sensors=${TS_SENSORS:-200}
points=${TS_POINTS:-10000}
threads=${TS_THREADS:-4}
rounds=${TS_ROUNDS:-3}
source "$here/lib.sh"
citytwin_alone citytwin-tsqueries
compacting_config
serve() { serve_citytwin "$1"; }
stop() { stop_citytwin; }

g++ -O2 -std=c++20 "$here/tsgen.cpp" -o "$work/tsgen"
"$work/tsgen" "$sensors" "$points" ngsi > "$work/data.ndjson"
serve "${binaries[0]}"
tsbench create-sensors "$port" "$sensors"
read -r loaded seconds < <(tsbench load-ngsi "$port" "$work/data.ndjson" "$threads")
wait_compacted
stop
echo "$sensors sensors x $points points ($loaded loaded in $seconds s)"
# Each binary (and each page set) gets a freshly started server: every run starts with the
# same cold caches.
for round in $(seq 1 "$rounds"); do
  for binary in "${binaries[@]}"; do
    for pages in ${TS_PAGE_SETS:-default}; do
      serve "$binary"
      echo "round $round $binary pages $pages (load average $(cut -d' ' -f1-3 /proc/loadavg))"
      if [ "$pages" = default ]; then
        tsbench query citytwin "$port" "$sensors" "$points" "$pid" | sed 's/^/  /'
      else
        TS_PAGE_AGGR=${pages%%:*} TS_PAGE_LAST=${pages##*:} \
          tsbench query citytwin "$port" "$sensors" "$points" "$pid" | sed 's/^/  /'
      fi
      stop
    done
  done
done
