#!/usr/bin/env bash
# KPI benchmark (issue #8): all KPIs of a city with 10,000 sensors and a year of history
# (bench/kpi/kpi_bench.py says what is timed). 127.0.0.1 only.
#   bench/kpi/run.sh [BINARY]   env: KPI_SENSORS (10000), KPI_SAMPLES_PER_DAY (24), KPI_REPEAT (3)
# Prints a Markdown table (paste into docs/performance.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "${1:-build/release/citytwin}")
work=$(mktemp -d /tmp/citytwin-kpibench.XXXXXX)
server=""
cleanup() { [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# History compacted into chunks soon after it is written, as in a city running for a year.
cat > "$work/citytwin.toml" <<CONF
[storage]
history_compact_after_s = 0
history_compact_interval_ms = 1000
CONF
# Binaries with the built-in MQTT broker keep it off here (port 1883 is the demo's).
extra=()
if "$binary" serve --help 2>&1 | grep -q -- --mqtt-listen; then extra+=(--mqtt-listen off); fi
"$binary" serve --config "$work/citytwin.toml" --listen "127.0.0.1:$port" --data "$work/db" \
  --log-level warn --auth off "${extra[@]}" &
server=$!
for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
KPI_SERVER_PID=$server /usr/bin/python3 "$here/kpi_bench.py" "$port" "${KPI_SENSORS:-10000}" "${KPI_SAMPLES_PER_DAY:-24}" \
  "${KPI_REPEAT:-3}"
