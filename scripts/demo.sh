#!/usr/bin/env bash
# Starts citytwin with the demo city loaded, security on (API keys required) and listening on
# loopback; Ctrl-C stops it (gracefully). Each start makes a new admin key, prints it once and
# revokes the one the previous start made (its id, not the key, is kept in the data dir).
#   scripts/demo.sh [BINARY]     env: CITYTWIN_DEMO_DATA (default ./citytwin-data),
#                                     CITYTWIN_DEMO_LISTEN (default 127.0.0.1:1026)
set -euo pipefail
binary=${1:-build/release/citytwin}
data=${CITYTWIN_DEMO_DATA:-./citytwin-data}
listen=${CITYTWIN_DEMO_LISTEN:-127.0.0.1:1026}
url="http://${listen}"
here=$(cd "$(dirname "$0")" && pwd)

# The admin key is made offline, before the server takes the database lock.
key_id_file="$data/demo-admin-key-id"
if [ -f "$key_id_file" ]; then
  "$binary" keys revoke --data "$data" "$(cat "$key_id_file")" 2>/dev/null || true
fi
if ! key=$("$binary" keys create --data "$data" --role admin --tenant '*' --name 'make demo' 2>/dev/null); then
  echo "cannot create the demo admin key (is citytwin already running on $data?)" >&2
  exit 1
fi
key_id=${key#ct_}
echo "${key_id%%.*}" > "$key_id_file"

"$binary" serve --data "$data" --listen "$listen" --auth required &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM

for _ in $(seq 1 100); do
  if curl -sf "$url/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 $server 2>/dev/null; then echo "citytwin failed to start" >&2; exit 1; fi
  sleep 0.1
done
CITYTWIN_KEY="$key" /usr/bin/python3 "$here/demo_city.py" --load "$url"
# The demo city's U4SSC self-assessment report (docs/kpi.md), HTML in English.
report="$data/kpi-report-demo-2025.html"
if curl -sf -H "Authorization: Bearer $key" -o "$report" \
     "$url/kpi/v1/report?city=demo&period=2025&lang=en"; then
  echo "U4SSC self-assessment report of the demo city: $report"
fi

cat <<TXT

CityTwin demo city is running (data in $data), with API keys required.
Admin key for every tenant, shown only now (a new one is made at each start):

  export CITYTWIN_KEY=$key

Then try:
  curl -s -H "Authorization: Bearer \$CITYTWIN_KEY" '$url/ngsi-ld/v1/types'
  curl -s -H "Authorization: Bearer \$CITYTWIN_KEY" '$url/ngsi-ld/v1/entities?type=AirQualityObserved&q=pm25>15&options=keyValues&attrs=pm25,areaServed'
  curl -s -H "Authorization: Bearer \$CITYTWIN_KEY" -G '$url/ngsi-ld/v1/entities' --data-urlencode 'type=WasteContainer' \\
       --data-urlencode 'q=fillingLevel>=0.9' --data-urlencode 'georel=near;maxDistance==1000' --data-urlencode 'geometry=Point' \\
       --data-urlencode 'coordinates=[2.1734,41.3851]' --data-urlencode 'options=keyValues'
  curl -s -H "X-API-Key: \$CITYTWIN_KEY" '$url/ngsi-ld/v1/entities?type=ParkingSpot&q=status==%22free%22&count=true&limit=0' -D - -o /dev/null
  curl -s -H "X-API-Key: \$CITYTWIN_KEY" '$url/metrics' | grep citytwin_entities
  # U4SSC KPIs: the assessment (status against the city's targets, trends), the report as PDF
  curl -s -H "X-API-Key: \$CITYTWIN_KEY" '$url/kpi/v1/assessment?city=demo&period=2025' | head -c 600
  curl -s -H "X-API-Key: \$CITYTWIN_KEY" '$url/kpi/v1/comparison?cities=demo:north,demo:south&period=2025' | head -c 600
  curl -s -H "X-API-Key: \$CITYTWIN_KEY" '$url/kpi/v1/report?city=demo&period=2025&format=pdf&lang=fr' -o report-fr.pdf
  # A read-only key for a dashboard (admins only):
  curl -s -H "Authorization: Bearer \$CITYTWIN_KEY" -X POST '$url/citytwin/v1/keys' \\
       -H 'Content-Type: application/json' -d '{"role": "viewer", "name": "dashboard"}'

Without a key: $url/health and $url/version. Keys: citytwin keys list --data $data (server stopped).
Press Ctrl-C to stop.
TXT
wait $server
