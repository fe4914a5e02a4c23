# Shared by the time-series benchmark scripts (sourced, not run). Needs `here` (this folder)
# and, for the CityTwin helpers, `work` (a scratch directory) and `port`.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 600); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not ready: $1" >&2; exit 1; }
bytes_of() { du -sb "$1" | awk '{print $1}'; }
tsbench() { /usr/bin/python3 "$here/tsbench.py" "$@"; }

# For a run of CityTwin alone: a scratch `work` directory named after $1, and at exit the
# server (`pid`, once set) stopped and the directory removed; `port` a free one.
citytwin_alone() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  pid=
  trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT
  port=$(free_port)
}

# A CityTwin that compacts history into chunks as soon as it can (the queries then read
# chunks), on $work/ct and 127.0.0.1:$port; `pid` is its process. TS_PACK_BULK=false loads
# history as raw rows for the compactor instead of chunks written by the load itself.
compacting_config() {
  cat > "$work/citytwin.toml" <<CONF
[storage]
history_compact_after_s = 0
history_compact_interval_ms = 1000
${TS_PACK_BULK:+history_pack_bulk_appends = $TS_PACK_BULK}
CONF
}
# serve_citytwin BINARY [DATA_DIR, default $work/ct]
serve_citytwin() {
  "$1" serve --config "$work/citytwin.toml" --listen "127.0.0.1:$port" --mqtt-listen off \
    --data "${2:-$work/ct}" --log-level warn --auth off &
  pid=$!
  wait_http "http://127.0.0.1:$port/health"
}
stop_citytwin() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
passes() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^citytwin_history_compaction_passes / {print $2}'; }
# Waits for two compaction passes after now: the second starts after the load ended.
wait_compacted() {
  local target=$(( $(passes) + 2 ))
  while [ "$(passes)" -lt "$target" ]; do sleep 0.5; done
}

# Hourly and daily rollups for the benchmark's sensor type, raw history kept (no "keep").
set_rollup_rules() {
  curl -sf -X PUT "http://127.0.0.1:$port/citytwin/v1/retention" -H 'Content-Type: application/json' \
    -d '{"rules": [{"type": "TemperatureSensor", "rollups": ["PT1H", "P1D"]}]}'
}
# The first aligned query of each sensor builds its rollups from the chunks: one such query
# per page of 1,000 sensors. Prints "<wall s> <server CPU s>" of the build.
build_rollups() {
  local sensors=$1 cpu_before started offset
  cpu_before=$(cat /proc/$pid/task/*/schedstat | awk '{s += $1} END {print s}')
  started=$(date +%s.%N)
  for offset in $(seq 0 1000 $((sensors - 1))); do
    curl -sf "http://127.0.0.1:$port/ngsi-ld/v1/temporal/entities?type=TemperatureSensor&attrs=temperature&options=aggregatedValues&aggrMethods=max&aggrPeriodDuration=PT1H&timerel=between&timeAt=2026-01-01T00:00:00Z&endTimeAt=2026-01-01T01:00:00Z&limit=1000&offset=$offset" > /dev/null
  done
  awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f ", e - s}'
  cat /proc/$pid/task/*/schedstat | awk -v b="$cpu_before" '{s += $1} END {printf "%.1f\n", (s - b) / 1e9}'
}
