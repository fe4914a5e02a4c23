#!/usr/bin/env bash
# Starts citytwin with the demo city loaded; Ctrl-C stops it (gracefully).
#   scripts/demo.sh [BINARY]     env: CITYTWIN_DEMO_DATA (default ./citytwin-data),
#                                     CITYTWIN_DEMO_LISTEN (default 127.0.0.1:1026)
set -euo pipefail
binary=${1:-build/release/citytwin}
data=${CITYTWIN_DEMO_DATA:-./citytwin-data}
listen=${CITYTWIN_DEMO_LISTEN:-127.0.0.1:1026}
url="http://${listen}"
here=$(cd "$(dirname "$0")" && pwd)

"$binary" serve --data "$data" --listen "$listen" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM

for _ in $(seq 1 100); do
  if curl -sf "$url/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 $server 2>/dev/null; then echo "citytwin failed to start" >&2; exit 1; fi
  sleep 0.1
done
/usr/bin/python3 "$here/demo_city.py" --load "$url"

cat <<TXT

CityTwin demo city is running (data in $data). Try:
  curl -s '$url/ngsi-ld/v1/types'
  curl -s '$url/ngsi-ld/v1/entities?type=AirQualityObserved&q=pm25>15&options=keyValues&attrs=pm25,areaServed'
  curl -s -G '$url/ngsi-ld/v1/entities' --data-urlencode 'type=WasteContainer' --data-urlencode 'q=fillingLevel>=0.9' \\
       --data-urlencode 'georel=near;maxDistance==1000' --data-urlencode 'geometry=Point' \\
       --data-urlencode 'coordinates=[2.1734,41.3851]' --data-urlencode 'options=keyValues'
  curl -s '$url/ngsi-ld/v1/entities?type=ParkingSpot&q=status==%22free%22&count=true&limit=0' -D - -o /dev/null
  curl -s '$url/metrics' | grep citytwin_entities
Health: $url/health   Metrics: $url/metrics   Version: $url/version
Press Ctrl-C to stop.
TXT
wait $server
