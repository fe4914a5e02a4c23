#!/usr/bin/env bash
# MQTT forwarding benchmark (issue #4): CityTwin's built-in broker against Debian's Mosquitto,
# both on 127.0.0.1 in the same run, driven by the same load generator (bench/mqtt/mqttload.cpp):
# publishers -> broker -> one subscriber of bench/#, no persistence on either side.
# Ingestion is not wired into the broker yet, so this measures forwarding only.
#
#   bench/mqtt/run.sh [BINARY]        (make bench-mqtt installs mosquitto and builds)
#   env: MQTT_SCENARIOS: "publishers:messages_each:qos:window" items (default below)
#        MQTT_PERSISTENT=1: the subscriber has a persistent session (clean session 0); CityTwin
#        then journals every QoS 1 message to disk before the publisher's PUBACK, Mosquitto
#        (persistence false) keeps it in memory
# Prints a Markdown table on stdout (paste into docs/performance.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "${1:-build/release/citytwin}")
scenarios=${MQTT_SCENARIOS:-"10:20000:1:16 100:2000:1:16 2000:50:1:4 10:20000:0:16"}
payload=64
work=$(mktemp -d /tmp/citytwin-mqttbench.XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "not listening: $1" >&2; exit 1; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

g++ -O2 -std=c++20 "$here/mqttload.cpp" -o "$work/mqttload" -lpthread

# Same limits on both brokers: 64 unacknowledged messages towards the subscriber, a queue
# large enough that no message is dropped.
ct_port=$(free_port)
"$binary" serve --data "$work/ct" --listen "127.0.0.1:0" --auth off --log-level warn \
  --mqtt-listen "127.0.0.1:$ct_port" --mqtt-session-queue-limit 1000000 &
ct_pid=$!
pids+=("$ct_pid")
mq_port=$(free_port)
cat > "$work/mosquitto.conf" <<CONF
listener $mq_port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 1000000
max_inflight_messages 64
log_dest none
CONF
mosquitto -c "$work/mosquitto.conf" &
mq_pid=$!
pids+=("$mq_pid")
wait_port "$ct_port"
wait_port "$mq_port"

echo "| publishers | messages | QoS | window | broker | messages/s | p50 ms | p99 ms |"
echo "| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |"
for scenario in $scenarios; do
  IFS=: read -r publishers each qos window <<<"$scenario"
  for broker in citytwin mosquitto; do
    port=$ct_port
    [ "$broker" = mosquitto ] && port=$mq_port
    if [ -n "${MQTT_PERSISTENT:-}" ]; then
      # A clean connect discards the previous scenario's session (and the messages it still
      # owed, which would be delivered again as duplicates).
      mosquitto_sub -h 127.0.0.1 -p "$port" -i bench-sub -t bench/none -E >/dev/null
    fi
    result=$("$work/mqttload" "$port" "$publishers" "$each" "$qos" "$window" "$payload" \
      ${MQTT_PERSISTENT:+persistent})
    if [ "$(field "$result" received)" != "$(field "$result" expected)" ]; then
      echo "$broker lost messages: $result" >&2
    fi
    echo "| $publishers | $((publishers * each)) | $qos | $window | $broker |" \
      "$(field "$result" messages_per_s) | $(field "$result" p50_ms) | $(field "$result" p99_ms) |"
  done
done
echo
echo "Peak RSS: CityTwin $(peak_rss_mib "$ct_pid") MiB (whole server), Mosquitto $(peak_rss_mib "$mq_pid") MiB."
