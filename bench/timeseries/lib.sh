# Shared by the time-series benchmark scripts (sourced, not run). Needs `here` (this folder)
# and, for the CityTwin helpers, `work` (a scratch directory) and `port`.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 600); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not ready: $1" >&2; exit 1; }
bytes_of() { du -sb "$1" | awk '{print $1}'; }
tsbench() { /usr/bin/python3 "$here/tsbench.py" "$@"; }

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
serve_citytwin() {
  "$1" serve --config "$work/citytwin.toml" --listen "127.0.0.1:$port" --mqtt-listen off \
    --data "$work/ct" --log-level warn --auth off &
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
