"""Operational endpoints, HTTP limits and lifecycle of the real binary."""
import os
import socket
import subprocess
import time

import requests


def test_health_reports_live_and_ready(server):
    response = requests.get(server.url + "/health")
    assert response.status_code == 200
    assert response.json()["ready"] is True


def test_version_names_the_product_and_api(server):
    body = requests.get(server.url + "/version").json()
    assert body["citytwin"]
    assert body["ngsi-ld"] == "1.8.1"


def test_metrics_exposes_request_counters_in_prometheus_format(server):
    requests.get(server.url + "/health")
    text = requests.get(server.url + "/metrics").text
    assert "# TYPE citytwin_http_requests_total counter" in text
    assert 'citytwin_http_requests_total{route="/health",method="GET",status="200"}' in text
    assert "citytwin_http_request_duration_seconds_bucket" in text


def test_metrics_exposes_storage_and_allocator_memory(server):
    text = requests.get(server.url + "/metrics").text
    samples = {}
    for line in text.splitlines():
        if line.startswith(("citytwin_storage_memory_bytes{", "citytwin_allocator_bytes{")):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    for component in ("memtables", "pinned_memtables", "block_cache", "pinned_blocks",
                      "table_readers"):
        assert f'citytwin_storage_memory_bytes{{component="{component}"}}' in samples
    allocated = [(k, v) for k, v in samples.items() if 'state="allocated"' in k]
    assert len(allocated) == 1
    # A running server has a heap: jemalloc (the release binary) reports its live bytes.
    # Sanitizer builds replace malloc, and glibc's statistics then stay at zero.
    name, value = allocated[0]
    if 'allocator="jemalloc"' in name:
        assert value > 0


def test_entity_read_cache_reports_its_size_and_follows_writes(server):
    """GET by id goes through the entity read cache: a read fills it (its size shows in
    /metrics) and a PATCH acknowledged afterwards is seen by the next GET."""
    entity = {"id": "urn:ngsi-ld:Sensor:cache1", "type": "Sensor",
              "temperature": {"type": "Property", "value": 1}}
    url = server.url + "/ngsi-ld/v1/entities"
    assert requests.post(url, json=entity).status_code == 201
    for value in (2, 3, 4):
        assert requests.get(f"{url}/{entity['id']}").status_code == 200
        patch = requests.patch(f"{url}/{entity['id']}/attrs",
                               json={"temperature": {"type": "Property", "value": value}})
        assert patch.status_code == 204
        body = requests.get(f"{url}/{entity['id']}", params={"options": "keyValues"}).json()
        assert body["temperature"] == value
    text = requests.get(server.url + "/metrics").text
    line = next(l for l in text.splitlines()
                if l.startswith('citytwin_storage_memory_bytes{component="entity_cache"}'))
    assert float(line.rsplit(" ", 1)[1]) > 0
    assert requests.delete(f"{url}/{entity['id']}").status_code == 204
    assert requests.get(f"{url}/{entity['id']}").status_code == 404


def test_unknown_path_is_problem_details_404(server):
    response = requests.get(server.url + "/no/such/thing")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
    assert body["status"] == 404


def test_wrong_method_is_405_with_allow(server):
    response = requests.delete(server.url + "/health")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_over_long_url_is_414(server):
    response = requests.get(server.url + "/health?x=" + "a" * 9000)
    assert response.status_code in (414, 431)


def test_oversized_headers_are_431(server):
    response = requests.get(server.url + "/health", headers={"X-Big": "b" * 20000})
    assert response.status_code == 431


def test_garbage_request_line_gets_400_and_close(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        data = sock.recv(4096)
        assert data.startswith(b"HTTP/1.1 400")


def test_slow_client_is_disconnected(tmp_path):
    from citytwin_server import CityTwinServer
    slow = CityTwinServer(extra_args=["--request-timeout-ms", "300"]).start()
    try:
        with socket.create_connection(("127.0.0.1", slow.port), timeout=5) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finishes the headers
            started = time.monotonic()
            sock.settimeout(65)
            assert sock.recv(4096) == b""  # closed by the server
            assert time.monotonic() - started < 64
    finally:
        slow.cleanup()


def test_sigterm_shuts_down_cleanly(fresh_server):
    assert fresh_server.stop() == 0


def test_cli_version_and_help():
    binary = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("citytwin ")
    help_text = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True,
                               check=True).stdout
    for flag in ("--data", "--listen", "--config", "--log-level"):
        assert flag in help_text


def test_bad_config_file_is_a_clear_error(tmp_path):
    binary = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
    config = tmp_path / "citytwin.toml"
    config.write_text('lisen = "127.0.0.1:1"\n')
    out = subprocess.run([binary, "serve", "--config", str(config)], capture_output=True,
                         text=True)
    assert out.returncode == 2
    assert "unknown key 'lisen'" in out.stderr


def test_config_file_sets_listen_address(tmp_path):
    from citytwin_server import CityTwinServer
    config = tmp_path / "citytwin.toml"
    config.write_text('log_level = "warn"\n[http]\nmax_body_bytes = 100\n')
    instance = CityTwinServer(extra_args=["--config", str(config)]).start()
    try:
        response = requests.post(instance.url + "/health", data="x" * 1000)
        assert response.status_code == 413
    finally:
        instance.cleanup()
