# Shared by the single-server benchmark scripts (sourced, not run): a CityTwin on a fresh
# data directory and a free 127.0.0.1 port, stopped and removed on exit.
pids=()
work=$(mktemp -d /tmp/citytwin-bench.XXXXXX)
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 1 600); do curl -sf "$1/health" >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "not ready: $1" >&2; exit 1; }
# User + system CPU of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# start_citytwin BINARY [serve options...]: sets ct (base URL) and ct_pid.
start_citytwin() {
  local binary=$1
  shift
  local port
  port=$(free_port)
  "$binary" serve --data "$work/ct" --listen "127.0.0.1:$port" --mqtt-listen off \
    --log-level error --auth off "$@" &
  ct_pid=$!
  pids+=("$ct_pid")
  ct="http://127.0.0.1:$port"
  wait_ready "$ct"
}

# start_nginx: Debian's nginx answering a static 204 on keep-alive connections (the upper bound
# for HTTP on this machine) on 127.0.0.1:$nginx_port.
start_nginx() {
  nginx_port=$(free_port)
  mkdir -p "$work/nginx"
  cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$nginx_port; location / { return 204; } }
}
CONF
  /usr/sbin/nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
  pids+=($!)
}
