#!/usr/bin/env bash
# Aggregate scan rate of CityTwin through the temporal API (issue #3's "aggregate scans"):
# the tsgen data of bench/timeseries/run.sh loaded through POST /temporal/entities and
# compacted, then every sensor's whole history aggregated, page by page (1,000 sensors per
# request): per UTC day (answered from the chunks' per-day statistics), per hour (every point
# decoded, 24 periods a day written), and per day from 00:30 (every point decoded: no chunk
# lies within one such period, few periods written). Reports the server's CPU per round and
# the points the window held per second of that CPU (points/s per core). 127.0.0.1 only.
#
#   bench/timeseries/scan_rate.sh [BINARY]
#   env: TS_SENSORS (default 1000), TS_POINTS (10000 per sensor), TS_THREADS (4 loaders),
#        TS_ROUNDS (3 rounds per query after one unmeasured), TS_METHOD (max)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "${1:-build/release/citytwin}")
sensors=${TS_SENSORS:-1000}
points=${TS_POINTS:-10000}
threads=${TS_THREADS:-4}
rounds=${TS_ROUNDS:-3}
method=${TS_METHOD:-max}
source "$here/lib.sh"
citytwin_alone citytwin-tsscan
compacting_config
g++ -O2 -std=c++20 "$here/tsgen.cpp" -o "$work/tsgen"
"$work/tsgen" "$sensors" "$points" ngsi > "$work/data.ndjson"
serve_citytwin "$binary"
tsbench create-sensors "$port" "$sensors"
tsbench load-ngsi "$port" "$work/data.ndjson" "$threads" > /dev/null
wait_compacted
rm -f "$work/data.ndjson"

# tsgen writes one point per minute from 2026-01-01T00:00:00Z: the window holds them all.
days=$(( (points + 1439) / 1440 ))
end=$(date -u -d "2026-01-01 + $days days" +%Y-%m-%dT00:00:00Z)
cpu_ms() { awk '{print ($14 + $15) * 1000 / '"$(getconf CLK_TCK)"'}' "/proc/$pid/stat"; }
scan() {  # period start -> one round over every page; prints CPU ms and wall ms
  local c0 c1 t0 t1 offset
  c0=$(cpu_ms); t0=$(date +%s%N)
  for ((offset = 0; offset < sensors; offset += 1000)); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/ngsi-ld/v1/temporal/entities?type=TemperatureSensor&attrs=temperature&limit=1000&offset=$offset&options=aggregatedValues&aggrMethods=$method&aggrPeriodDuration=$1&timerel=between&timeAt=2026-01-01T$2Z&endTimeAt=$end"
  done
  t1=$(date +%s%N); c1=$(cpu_ms)
  echo "$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.0f", b - a}') $(( (t1 - t0) / 1000000 ))"
}
total=$((sensors * points))
echo "Scan rate: $sensors sensors x $points points = $total points, $method per period over the whole history, $(nproc) cores; $("$binary" --version 2>/dev/null | head -1)."
echo
echo "| periods | round | server CPU ms | wall ms | points/s per core of CPU |"
echo "|---|---|---|---|---|"
for periods in "P1D 00:00:00" "PT1H 00:00:00" "P1D 00:30:00"; do
  read -r period start <<< "$periods"
  # From 00:30 the window misses the first 30 points of each sensor.
  covered=$total
  [ "$start" = 00:00:00 ] || covered=$((sensors * (points - 30)))
  scan "$period" "$start" > /dev/null  # unmeasured: caches
  for ((round = 1; round <= rounds; round++)); do
    read -r cpu wall < <(scan "$period" "$start")
    rate=$(awk -v n="$covered" -v ms="$cpu" 'BEGIN {printf "%.1f million", (ms > 0 ? n / ms / 1000 : 0)}')
    echo "| $period from $start | $round | $cpu | $wall | $rate |"
  done
done
