#!/usr/bin/env bash
# CityTwin benchmark: NGSI-LD operations side by side with nginx (static 204, keep-alive) on
# the same machine in the same run. Everything talks to 127.0.0.1 only.
#
#   bench/run.sh [BINARY]          (make bench builds Release and installs nginx + wrk first)
#   env: BENCH_DURATION (default 10s), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
#        BENCH_ENTITIES (100000), BENCH_MILLION (1: also load 1M entities for RSS/restart)
# Prints a Markdown report on stdout (paste into docs/performance.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "${1:-build/release/citytwin}")
duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
entities=${BENCH_ENTITIES:-100000}
million=${BENCH_MILLION:-1}
source "$here/lib.sh"  # work, pids, cleanup, free_port, wait_ready
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# wrk's latency line "50%  1.23ms" -> milliseconds.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f", v}'; }

# run_wrk NAME URL [SCRIPT] -> one Markdown table row
run_wrk() {
  local name=$1 url=$2 script=${3:-}
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency ${script:+-s "$here/wrk/$script"} "$url")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)
  errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")
  echo "| $name | $rps | $p50 | $p99 | ${errors:-0} |"
}

# --- nginx: the upper bound for HTTP on this machine --------------------------------------
start_nginx

# --- citytwin with the benchmark data set -------------------------------------------------
ct_port=$(free_port)
"$binary" serve --data "$work/ct" --listen "127.0.0.1:$ct_port" --mqtt-listen off --log-level warn --auth off &
ct_pid=$!
pids+=($ct_pid)
ct="http://127.0.0.1:$ct_port"
wait_ready "$ct"
sleep 0.5
load_line=$(/usr/bin/python3 "$here/load_entities.py" "$ct" "$entities")

echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo
echo "citytwin $("$binary" --version | awk '{print $2}'), wrk -t$threads -c$connections -d$duration, $entities BenchSensor entities preloaded ($load_line)."
echo
echo "Throughput at saturation ($connections connections):"
echo
echo "| operation | requests/s | p50 ms | p99 ms | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: |"
run_wrk "nginx static 204 (upper bound)" "http://127.0.0.1:$nginx_port/"
run_wrk "GET entity by id" "$ct" get_entity.lua
run_wrk "PATCH one attribute (fsync per ack)" "$ct" patch_attribute.lua
run_wrk "POST create entity (fsync per ack)" "$ct" create_entity.lua
saved_connections=$connections
connections=8
run_wrk "batch upsert of 1000 entities (8 connections)" "$ct" batch_upsert.lua
connections=$saved_connections
selective="type=BenchSensor&q=temperature%3E39.99&limit=100"
dense="type=BenchSensor&q=temperature%3E20%3Bstatus%3D%3D%22ok%22&limit=20"
CT_QUERY=$selective run_wrk "query type + q, selective (temperature>39.99, ~0.03%)" "$ct" query.lua
CT_QUERY=$dense run_wrk "query type + q, dense (temperature>20;status==\"ok\", first page)" "$ct" query.lua
run_wrk "geo near;maxDistance==200 m (about 125 of $entities points)" "$ct" geo_near.lua

# Latency as a client sees it when the server is not saturated: 4 connections, 1 wrk thread.
saved_connections=$connections; saved_threads=$threads
connections=4; threads=1
echo
echo "Latency under moderate load (4 connections):"
echo
echo "| operation | requests/s | p50 ms | p99 ms | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: |"
run_wrk "nginx static 204" "http://127.0.0.1:$nginx_port/"
run_wrk "GET entity by id" "$ct" get_entity.lua
run_wrk "PATCH one attribute (fsync per ack)" "$ct" patch_attribute.lua
CT_QUERY=$selective run_wrk "query type + q, selective" "$ct" query.lua
CT_QUERY=$dense run_wrk "query type + q, dense" "$ct" query.lua
run_wrk "geo near;maxDistance==200 m" "$ct" geo_near.lua
connections=$saved_connections; threads=$saved_threads

# A write is acknowledged only after its WAL fsync, and one fsync serves every write pending
# at that moment: with C connections at most C writes share one, so the durable write rate is
# bounded by C / fsync latency. More connections show how far group commit scales.
saved_connections=$connections
connections=256
echo
echo "Durable writes with more concurrent clients (256 connections):"
echo
echo "| operation | requests/s | p50 ms | p99 ms | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: |"
run_wrk "nginx static 204" "http://127.0.0.1:$nginx_port/"
run_wrk "PATCH one attribute (fsync per ack)" "$ct" patch_attribute.lua
connections=$saved_connections
echo
fsync_line=$(/usr/bin/python3 - "$work/fsync-probe" <<'PY'
import os, statistics, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
times = []
for _ in range(300):
    started = time.perf_counter()
    os.write(fd, b"x" * 4096)
    os.fdatasync(fd)
    times.append((time.perf_counter() - started) * 1000)
os.close(fd)
times.sort()
print(f"median {statistics.median(times):.3f} ms, p90 {times[269]:.3f} ms, p99 {times[296]:.3f} ms")
PY
)
rm -f "$work/fsync-probe"
echo "A 4 KiB append + fdatasync on this disk (what a WAL commit costs, 300 samples): $fsync_line."
echo
echo "citytwin RSS after the run with $entities entities: $(rss_mib $ct_pid) MiB."
kill -TERM $ct_pid; wait $ct_pid 2>/dev/null || true

# --- one million entities: RSS and restart time -------------------------------------------
if [ "$million" = "1" ]; then
  port=$(free_port)
  "$binary" serve --data "$work/million" --listen "127.0.0.1:$port" --mqtt-listen off --log-level warn --auth off &
  pid=$!
  wait_ready "http://127.0.0.1:$port"
  line=$(/usr/bin/python3 "$here/load_entities.py" "http://127.0.0.1:$port" 1000000)
  curl -s "http://127.0.0.1:$port/ngsi-ld/v1/entities?type=BenchSensor&q=temperature%3E39.99&limit=5" >/dev/null
  rss_loaded=$(rss_mib $pid)
  kill -TERM $pid; wait $pid 2>/dev/null || true
  started=$(date +%s.%N)
  "$binary" serve --data "$work/million" --listen "127.0.0.1:$port" --mqtt-listen off --log-level warn --auth off &
  pid=$!
  pids+=($pid)
  wait_ready "http://127.0.0.1:$port"
  ready=$(date +%s.%N)
  count=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/ngsi-ld/v1/entities?type=BenchSensor&count=true&limit=0" | awk -F': ' 'tolower($1)=="ngsild-results-count" {print $2}' | tr -d '\r')
  curl -s "http://127.0.0.1:$port/ngsi-ld/v1/entities?type=BenchSensor&q=temperature%3E39.99&limit=5" >/dev/null
  echo
  echo "1,000,000 entities: $line; RSS $rss_loaded MiB after loading; restart to ready in $(awk -v a="$started" -v b="$ready" 'BEGIN {printf "%.2f", b-a}') s (count after restart: $count); RSS $(rss_mib $pid) MiB after restart and a query; on disk $(du -sm "$work/million" | cut -f1) MiB."
  kill -TERM $pid; wait $pid 2>/dev/null || true
fi
