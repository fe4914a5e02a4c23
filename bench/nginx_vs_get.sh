#!/usr/bin/env bash
# nginx (static 204, as in run.sh) and CityTwin GET by id, rates in the same minute:
#   bench/nginx_vs_get.sh BINARY...   (each: 10,000 entities, wrk -t2 -c64 -d10s, 127.0.0.1 only)
# NGINX_VS_SCRIPT: another request than GET by id (e.g. bench/wrk/patch_attribute.lua).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
start_nginx
sleep 0.5
rate() { wrk -t2 -c64 -d10s ${2:+-s $2} "$1" | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
script=$(realpath "${NGINX_VS_SCRIPT:-$here/wrk/get_entity.lua}")
name=$(basename "$script" .lua)
for binary in "$@"; do
  start_citytwin "$binary"
  /usr/bin/python3 "$here/load_entities.py" "$ct" 10000 >/dev/null
  wrk -t2 -c64 -d3s -s "$script" "$ct" >/dev/null
  echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg) nginx 204: $(rate http://127.0.0.1:$nginx_port/)/s"
  echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg) $(basename $binary) $name: $(rate $ct $script)/s"
  kill "$ct_pid"; wait "$ct_pid" 2>/dev/null || true
done
