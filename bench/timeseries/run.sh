#!/usr/bin/env bash
# Time-series benchmark (issue #3): the same deterministic sensor data (bench/timeseries/
# tsgen.cpp) loaded into CityTwin, InfluxDB 1.x and VictoriaMetrics (Debian packages) on this
# machine in the same run, then the same three queries timed on each. 127.0.0.1 only.
#
#   bench/timeseries/run.sh [BINARY]     (make bench-timeseries builds and installs the peers)
#   env: TS_SENSORS (default 1000), TS_POINTS (10000 per sensor), TS_THREADS (4 loaders)
# Prints a Markdown report on stdout (paste into docs/performance.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "${1:-build/release/citytwin}")
sensors=${TS_SENSORS:-1000}
points=${TS_POINTS:-10000}
threads=${TS_THREADS:-4}
work=$(mktemp -d /tmp/citytwin-tsbench.XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

source "$here/lib.sh"
# Stops a server cleanly (each flushes what it buffers), so its directory then holds all.
stop() { kill -TERM "$1"; wait "$1" 2>/dev/null || true; }

g++ -O2 -std=c++20 "$here/tsgen.cpp" -o "$work/tsgen"
"$work/tsgen" "$sensors" "$points" lp > "$work/data.lp"
"$work/tsgen" "$sensors" "$points" ngsi > "$work/data.ndjson"
total=$((sensors * points))

# Each system is loaded alone (its ingest rate and disk are its own), then stopped cleanly;
# the queries come after, with all of them running at once and asked in turn, query by query
# (tsbench.py query-interleaved): on a shared or throttled machine the speed moves by 20-50 %
# within minutes, and asking one system minutes after another compared the machine's moods.

# --- CityTwin ------------------------------------------------------------------------------
port=$(free_port)
ct_port=$port
# History is compacted into chunks as soon as it is written (the default waits 10 minutes),
# so the queries and the disk figure are those of compacted history.
compacting_config
serve_citytwin "$binary"
ct_pid=$pid
pids+=($ct_pid)
# The sensors exist as entities first (their current state), as in a city; only the history
# load is timed.
tsbench create-sensors "$ct_port" "$sensors"
ct_before=$(bytes_of "$work/ct")
read -r ct_points ct_seconds < <(tsbench load-ngsi "$ct_port" "$work/data.ndjson" "$threads")
# Two more completed passes: the second started after the load, so everything is in chunks.
compact_start=$(date +%s.%N)
wait_compacted
ct_compact_seconds=$(awk -v s="$compact_start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
stop "$ct_pid"
ct_bytes=$(( $(bytes_of "$work/ct") - ct_before ))
# The same queries once the type keeps hourly and daily rollups (docs/timeseries.md,
# "Rollups"), on a copy of the same data: a city that turns them on. Disk figures are without.
rollups=${TS_ROLLUPS:-1}
[ "$rollups" = 1 ] && cp -a "$work/ct" "$work/ct-rollups"

# --- InfluxDB 1.x ----------------------------------------------------------------------------
influx_port=$(free_port)
mkdir -p "$work/influx"
cat > "$work/influx/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$(free_port)"
[meta]
  dir = "$work/influx/meta"
[data]
  dir = "$work/influx/data"
  wal-dir = "$work/influx/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$influx_port"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
serve_influx() {
  influxd -config "$work/influx/influxdb.conf" >> "$work/influx/log" 2>&1 &
  influx_pid=$!
  pids+=($influx_pid)
  wait_http "http://127.0.0.1:$influx_port/ping"
}
serve_influx
curl -s -XPOST "http://127.0.0.1:$influx_port/query" --data-urlencode "q=CREATE DATABASE bench" >/dev/null
read -r influx_points influx_seconds < <(tsbench load-lp "$influx_port" "/write?db=bench&precision=s" "$work/data.lp" "$threads")
stop "$influx_pid"
influx_bytes=$(bytes_of "$work/influx")

# --- VictoriaMetrics -------------------------------------------------------------------------
vm_port=$(free_port)
# Its response cache off (TS_VM_CACHE=1 keeps it): each query is asked five times and the
# median reported, and with the cache four of the five are answered from it, a cache lookup
# rather than the query (CityTwin keeps no answers; its newest-sample cache and rollups are
# data it maintains on write).
vm_cache=(-search.disableCache)
[ "${TS_VM_CACHE:-0}" = 1 ] && vm_cache=()
serve_vm() {
  victoria-metrics -storageDataPath "$work/vm" -httpListenAddr "127.0.0.1:$vm_port" \
    -retentionPeriod 5y -loggerLevel ERROR "${vm_cache[@]}" >> "$work/vm.log" 2>&1 &
  vm_pid=$!
  pids+=($vm_pid)
  wait_http "http://127.0.0.1:$vm_port/health"
}
serve_vm
read -r vm_points vm_seconds < <(tsbench load-lp "$vm_port" "/write?precision=s" "$work/data.lp" "$threads")
curl -s "http://127.0.0.1:$vm_port/internal/force_flush" >/dev/null
stop "$vm_pid"
vm_bytes=$(bytes_of "$work/vm")

# --- the queries, every system running ------------------------------------------------------
# Everything is in chunks now: CityTwin's default settings, no compaction pass each second.
: > "$work/citytwin.toml"
port=$ct_port
serve_citytwin "$binary"
ct_pid=$pid
pids+=($ct_pid)
systems=("citytwin=citytwin:$ct_port:$ct_pid")
if [ "$rollups" = 1 ]; then
  port=$(free_port)
  ct_rollup_port=$port
  serve_citytwin "$binary" "$work/ct-rollups"
  ct_rollup_pid=$pid
  pids+=($ct_rollup_pid)
  set_rollup_rules
  read -r ct_rollup_seconds ct_rollup_cpu < <(build_rollups "$sensors")
  systems+=("rollups=citytwin:$ct_rollup_port:$ct_rollup_pid")
fi
serve_influx
serve_vm
systems+=("influxdb=influxdb:$influx_port:$influx_pid" "vm=victoriametrics:$vm_port:$vm_pid")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
queries=$(tsbench query-interleaved "$sensors" "$points" "${systems[@]}")
of() { awk -v label="$1" '$1 == label {$1 = ""; sub(/^ /, ""); print}' <<< "$queries"; }
ct_queries=$(of citytwin)
[ "$rollups" = 1 ] && ct_rollup_queries=$(of rollups)
influx_queries=$(of influxdb)
vm_queries=$(of vm)

# --- report ---------------------------------------------------------------------------------
rate() { awk -v p="$1" -v s="$2" 'BEGIN {printf "%.0f", p / s}'; }
per_point() { awk -v b="$1" -v p="$2" 'BEGIN {printf "%.3f", b / p}'; }
echo "Time series: $sensors sensors x $points points = $total points, $threads loader threads, $(nproc) cores; citytwin $("$binary" --version | awk '{print $2}'), $(influxd version 2>/dev/null | head -1), VictoriaMetrics $(dpkg-query -W -f='${Version}' victoria-metrics) (response cache $([ ${#vm_cache[@]} -eq 0 ] && echo on || echo off))."
echo
echo "| system | points loaded | ingest points/s | bytes on disk per point |"
echo "|---|---|---|---|"
echo "| citytwin (POST /temporal/entities; chunks after ${ct_compact_seconds} s of compaction) | $ct_points | $(rate "$ct_points" "$ct_seconds") | $(per_point "$ct_bytes" "$total") |"
echo "| InfluxDB (line protocol) | $influx_points | $(rate "$influx_points" "$influx_seconds") | $(per_point "$influx_bytes" "$total") |"
echo "| VictoriaMetrics (line protocol) | $vm_points | $(rate "$vm_points" "$vm_seconds") | $(per_point "$vm_bytes" "$total") |"
echo
echo "Load average before the queries: $load_before. The queries were asked with all ${#systems[@]} servers running, each query of each in turn (one unmeasured round first, then ${TS_REPEAT:-5} rounds, the order turning each round)."
echo
cell() { awk '{printf "%s / %s (%s)", $2, $4, $3}' <<< "$1"; }
echo "| query (median of ${TS_REPEAT:-5}: wall ms to the whole answer / server CPU ms per query) | citytwin | citytwin, rollups | InfluxDB | VictoriaMetrics |"
echo "|---|---|---|---|---|"
for k in 1 2 3; do
  line() { sed -n "${k}p" <<< "$1"; }
  rolled="-"
  [ -n "${ct_rollup_queries:-}" ] && rolled=$(cell "$(line "$ct_rollup_queries")")
  echo "| $(line "$ct_queries" | cut -d' ' -f1) | $(cell "$(line "$ct_queries")") | $rolled | $(cell "$(line "$influx_queries")") | $(cell "$(line "$vm_queries")") |"
done
echo
sizes() { awk '{printf "%s%s %s B / %s ms", (NR > 1 ? "; " : ""), $1, $5, $6}' <<< "$1"; }
echo "Answers (bytes of the last repetition) and the client's JSON decoding of them (median ms; not in the wall times): citytwin: $(sizes "$ct_queries"). InfluxDB: $(sizes "$influx_queries"). VictoriaMetrics: $(sizes "$vm_queries")."
echo
[ -n "${ct_rollup_queries:-}" ] && echo "Rollups: the rule set after the load; building every sensor's rows from the chunks took ${ct_rollup_seconds} s (${ct_rollup_cpu} s of server CPU). Only aggregations aligned to whole hours or days use them (the one-sensor daily average here is not: its range ends mid-day)."
echo
echo "(In parentheses: what each answer held, periods or values: a check that all systems answered the same question. CPU: the server process's threads' run time during the repetitions, divided by their number. Bytes: the data directory after a clean stop, CityTwin's minus its size before the history load.)"
