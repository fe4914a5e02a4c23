#!/usr/bin/env bash
# CoAP ingestion benchmark (issue #4): durable measures/s and latency of IoT Agent JSON
# measures posted as Confirmable CoAP requests (bench/coap/coapload.cpp, libcoap), against the
# same measures POSTed to /iot/json over HTTP (wrk, bench/coap/iot_json.lua), same server, same
# run. Both are answered only once the write is durable (fsync on), so both measure the
# ingestion pipeline plus the store's group commit; 1000 provisioned devices.
#
#   bench/coap/run.sh [BINARY]        (make bench-coap builds and installs wrk)
#   env: COAP_CLIENTS: concurrent clients per scenario (default "8 32 128");
#        COAP_CONFIRMABLE_RESPONSES: the server's --coap-confirmable-responses (default true);
#        COAP_MEASURES: measures per scenario (default 20000); HTTP_SECONDS (default 10)
# Prints a Markdown table on stdout (paste into docs/performance.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "${1:-build/release/citytwin}")
client_counts=${COAP_CLIENTS:-"8 32 128"}
measures=${COAP_MEASURES:-20000}
http_seconds=${HTTP_SECONDS:-10}
work=$(mktemp -d /tmp/citytwin-coapbench.XXXXXX)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

g++ -O2 -std=c++20 "$here/coapload.cpp" -o "$work/coapload" \
  $(pkg-config --cflags --libs libcoap-3-notls)

"$binary" serve --data "$work/db" --listen 127.0.0.1:0 --port-file "$work/port" --auth off \
  --log-level warn --mqtt-listen off --coap-listen 127.0.0.1:0 --coap-port-file "$work/coap-port" \
  --coap-confirmable-responses "${COAP_CONFIRMABLE_RESPONSES:-true}" &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && [ -s "$work/coap-port" ] && break; sleep 0.1; done
http_port=$(cat "$work/port")
coap_port=$(cat "$work/coap-port")
url="http://127.0.0.1:$http_port"

curl -sf -X POST "$url/iot/services" -H 'Content-Type: application/json' -d '{"services": [
  {"apikey": "bench", "resource": "/iot/json", "entity_type": "WeatherObserved",
   "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"},
                  {"object_id": "h", "name": "relativeHumidity", "type": "Number",
                   "expression": "h / 100"}]}]}' >/dev/null
devices=$(/usr/bin/python3 -c 'import json; print(json.dumps({"devices": [{"device_id": f"dev{i}"} for i in range(1000)]}))')
curl -sf -X POST "$url/iot/devices" -H 'Content-Type: application/json' -d "$devices" >/dev/null
"$work/coapload" "$coap_port" 4 100 bench 1000 >/dev/null  # warm-up

response_type=CON
[ "${COAP_CONFIRMABLE_RESPONSES:-true}" = "false" ] && response_type=NON
echo "| clients | transport | measures | measures/s | p50 ms | p99 ms | max ms |"
echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
for clients in $client_counts; do
  result=$("$work/coapload" "$coap_port" "$clients" $((measures / clients)) bench 1000)
  if [ "$(field "$result" refused)" != "0" ]; then echo "CoAP refusals: $result" >&2; fi
  echo "| $clients | CoAP (2.04 $response_type) | $(field "$result" measures) |" \
    "$(field "$result" measures_per_s) | $(field "$result" p50_ms) | $(field "$result" p99_ms) |" \
    "$(field "$result" max_ms) |"
  out=$(wrk -t2 -c"$clients" -d"${http_seconds}s" --latency -s "$here/iot_json.lua" "$url")
  rate=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  ms() { awk -v p="$1" '$1 == p { v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f", v }' <<<"$out"; }
  if grep -q "Non-2xx" <<<"$out"; then echo "HTTP errors: $(grep Non-2xx <<<"$out")" >&2; fi
  echo "| $clients | HTTP /iot/json (wrk) | $total | $rate | $(ms 50%) | $(ms 99%) |" \
    "$(awk '/Latency/ && NF >= 4 {print $4; exit}' <<<"$out") |"
done
