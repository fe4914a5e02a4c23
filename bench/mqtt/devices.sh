#!/usr/bin/env bash
# Durable MQTT ingestion benchmark (issue #4; docs/performance.md, "Durable MQTT ingestion"):
# D simulated devices (bench/mqtt/deviceload.cpp, one connection each, QoS 1) publish
# UltraLight measures to CityTwin's built-in broker, which acknowledges each once it is
# durable in the entity and its history; in the same run the same load goes to Debian's
# Mosquitto (persistence false) with one subscriber of the devices' topics, the forwarding
# reference. Everything on 127.0.0.1.
#
#   bench/mqtt/devices.sh [BINARY]
#   env: DEVICES (10000), MESSAGES per device (20), WINDOW per device (8),
#        RATES: offered rates for the below-saturation latency runs ("20000 50000"),
#        MQTT_THREADS (citytwin --mqtt-threads, 1), CITYTWIN_ARGS (more `serve` options,
#        e.g. "--device-report-interval-ms 1000"), COMPACTIONS_AFTER (seconds: wait that long
#        after the runs, then print RocksDB's compaction CPU per column family from the LOG;
#        a sustained run: MESSAGES=180 RATES="" COMPACTIONS_AFTER=40)
# Prints Markdown table rows on stdout (paste into docs/performance.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "${1:-build/release/citytwin}")
devices=${DEVICES:-10000}
messages=${MESSAGES:-20}
window=${WINDOW:-8}
rates=${RATES-"20000 50000"}
threads=${MQTT_THREADS:-1}
work=$(mktemp -d /tmp/citytwin-devicebench.XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "not listening: $1" >&2; exit 1; }
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

g++ -O2 -std=c++20 "$here/deviceload.cpp" -o "$work/deviceload"

http_port=$(free_port)
ct_port=$(free_port)
"$binary" serve --data "$work/ct" --listen "127.0.0.1:$http_port" --auth off --log-level warn \
  --mqtt-listen "127.0.0.1:$ct_port" --mqtt-threads "$threads" ${CITYTWIN_ARGS:-} &
ct_pid=$!
pids+=("$ct_pid")
mq_port=$(free_port)
# No limit on the subscriber's queue (0): with a limit, a run longer than it lost messages once
# the subscriber fell behind the publishers.
cat > "$work/mosquitto.conf" <<CONF
listener $mq_port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_inflight_messages 64
log_dest none
CONF
mosquitto -c "$work/mosquitto.conf" &
mq_pid=$!
pids+=("$mq_pid")
wait_port "$http_port"
wait_port "$ct_port"
wait_port "$mq_port"
/usr/bin/python3 "$here/provision.py" "http://127.0.0.1:$http_port" "$devices"

row() {  # broker, offered, json
  local broker=$1 offered=$2 result=$3 rate p50 p99
  if [ "$broker" = mosquitto ]; then
    rate=$(field "$result" delivered_per_s)
    p50=$(field "$result" delivery_p50_ms)
    p99=$(field "$result" delivery_p99_ms)
  else
    rate=$(field "$result" acked_per_s)
    p50=$(field "$result" ack_p50_ms)
    p99=$(field "$result" ack_p99_ms)
  fi
  echo "| $devices | $((devices * messages)) | $window | $offered | $broker | $rate | $p50 | $p99 |" \
    "$(field "$result" server_cpu_us_per_measure) | $(load1) |"
}

echo "| devices | measures | window | offered/s | broker | measures/s | p50 ms | p99 ms | server CPU µs/measure | load (1 min) |"
echo "| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
common=(--devices "$devices" --messages "$messages" --window "$window")
# Saturation: every device keeps its window full (after a warm-up round of one measure each).
result=$("$work/deviceload" --port "$ct_port" "${common[@]}" --server-pid "$ct_pid")
row citytwin max "$result"
result=$("$work/deviceload" --port "$mq_port" "${common[@]}" --subscribe --server-pid "$mq_pid")
row mosquitto max "$result"
# Below saturation: the same devices at a fixed offered rate.
for rate in $rates; do
  result=$("$work/deviceload" --port "$ct_port" "${common[@]}" --rate "$rate" --server-pid "$ct_pid")
  row citytwin "$rate" "$result"
done
echo
if [ -n "${COMPACTIONS_AFTER:-}" ]; then
  sleep "$COMPACTIONS_AFTER"  # compactions go on after the devices stop
  echo "RocksDB compactions ${COMPACTIONS_AFTER} s after the runs:"
  echo
  /usr/bin/python3 "$here/../rocksdb_compactions.py" "$work/ct/rocksdb/LOG"
  echo
fi
echo "Peak RSS: CityTwin $(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$ct_pid/status) MiB."
# The last measure of one device is readable through the NGSI-LD API (what PUBACK promised).
curl -sf "http://127.0.0.1:$http_port/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:dev0?options=keyValues" \
  >"$work/dev0.json" || { echo "dev0 not readable" >&2; exit 1; }
