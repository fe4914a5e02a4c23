#!/usr/bin/env bash
# Geo `near` queries of one type among a crowd of another type at one point (the situation
# `make bench` creates: its create step puts ~150,000 BenchCreate entities on one point inside
# the BenchSensor square). Loads 100,000 BenchSensor entities and 150,000 BenchCreate at
# [2.17, 41.39], then runs bench/wrk/geo_near.lua (random points of the square) at 4
# connections twice, and bench/wrk/geo_near_crowd.lua (at the crowd's point) once: queries/s,
# p50/p99 and the server's CPU per query. 127.0.0.1 only.
#
#   bench/geo_crowd.sh BINARY
set -euo pipefail
binary=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
start_citytwin "$binary"
/usr/bin/python3 "$here/load_entities.py" "$ct" 100000 >/dev/null
/usr/bin/python3 - "$ct" <<'PY'
import json, sys, urllib.request
url = sys.argv[1] + "/ngsi-ld/v1/entityOperations/upsert"
for batch_number in range(150):
    batch = [{"id": f"urn:ngsi-ld:BenchCreate:{batch_number}:{i}", "type": "BenchCreate",
              "temperature": {"type": "Property", "value": 21.5},
              "location": {"type": "GeoProperty",
                           "value": {"type": "Point", "coordinates": [2.17, 41.39]}}}
             for i in range(1000)]
    request = urllib.request.Request(url, data=json.dumps(batch).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
PY
ticks=$(getconf CLK_TCK)
for script in geo_near.lua geo_near.lua geo_near_crowd.lua; do
  before=$(cpu_ticks "$ct_pid")
  report=$(wrk -t2 -c4 -d10s --latency -s "$here/wrk/$script" "$ct")
  after=$(cpu_ticks "$ct_pid")
  requests=$(awk '/requests in/ {print $1}' <<<"$report")
  echo "$script: $(awk '/Requests\/sec/ {print $2}' <<<"$report") queries/s," \
    "p50 $(awk '$1 == "50%" {print $2}' <<<"$report"), p99 $(awk '$1 == "99%" {print $2}' <<<"$report")," \
    "server CPU $(awk -v a="$before" -v b="$after" -v n="$requests" -v t="$ticks" \
    'BEGIN{printf "%.2f", (b-a)/t*1e3/n}') ms/query"
done
