"""Fault injection (issue #7; docs/reliability.md): a remote @context server that hangs. A
local server on 127.0.0.1 accepts connections, reads the request and never answers. Requests
naming its context fail with 503 LdContextNotAvailable once the configured fetch timeout
(context.fetch_timeout_ms) has passed, with a detail that says so; requests that do not need
it are served meanwhile, even with several hanging downloads in flight; nothing is written by
a refused request; and once the context server answers again, the same requests succeed,
without a restart. /metrics counts the failed and successful downloads. 127.0.0.1 only."""
import json
import socket
import threading
import time

import pytest
import requests

from citytwin_server import CityTwinServer

V1 = "/ngsi-ld/v1"
FETCH_TIMEOUT_MS = 3000
HANGING_REQUESTS = 6
CONTEXT = {"@context": {"speed": "https://example.org/vocab/speed",
                        "Car": "https://example.org/vocab/Car"}}


class HangingContextServer:
    """Accepts every connection; while `hang` is set, reads and never answers (the sockets
    stay open), afterwards answers each request with CONTEXT."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.hang = True
        self.held = []
        self.requests = 0
        self.closed = False
        threading.Thread(target=self.serve, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/context.jsonld"

    def serve(self):
        while not self.closed:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.requests += 1
            if self.hang:
                self.held.append(conn)  # never answered, never closed until the end
                continue
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    @staticmethod
    def answer(conn):
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            body = json.dumps(CONTEXT).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/ld+json\r\n"
                         b"Content-Length: " + str(len(body)).encode() +
                         b"\r\nConnection: close\r\n\r\n" + body)

    def close(self):
        self.closed = True
        self.listener.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def setup(tmp_path):
    config = tmp_path / "citytwin.toml"
    config.write_text(f"[context]\nfetch_timeout_ms = {FETCH_TIMEOUT_MS}\n")
    (tmp_path / "data").mkdir()
    server = CityTwinServer(data_dir=str(tmp_path / "data"),
                            extra_args=["--config", str(config)]).start()
    hanging = HangingContextServer()
    yield server, hanging
    hanging.close()
    server.cleanup()


def downloads(server, outcome):
    prefix = f'citytwin_context_downloads_total{{outcome="{outcome}"}} '
    for line in requests.get(server.url + "/metrics", timeout=10).text.splitlines():
        if line.startswith(prefix):
            return int(line[len(prefix):])
    return 0


def link(url):
    return f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'


def create_car(server, hanging, n):
    return requests.post(f"{server.url}{V1}/entities", timeout=60,
                         json={"id": f"urn:ngsi-ld:Car:{n}", "type": "Car",
                               "speed": {"type": "Property", "value": n}},
                         headers={"Link": link(hanging.url)})


def test_hanging_context_server_times_out_clearly_stalls_nothing_and_recovers(setup):
    server, hanging = setup

    # One request alone: a clear 503 once the fetch timeout has passed, and nothing written.
    started = time.monotonic()
    response = create_car(server, hanging, 0)
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    problem = response.json()
    assert problem["type"].endswith("LdContextNotAvailable"), problem
    assert hanging.url in problem.get("detail", "") or "timed out" in problem.get("detail", "") \
        or "timeout" in problem.get("detail", "").lower(), problem
    # The loader waited the configured time; the client's own 60 s limit would catch a hang.
    assert elapsed >= FETCH_TIMEOUT_MS / 1000 * 0.9, elapsed
    print(f"\nhanging @context: 503 after {elapsed:.2f}s (timeout {FETCH_TIMEOUT_MS} ms): "
          f"{problem.get('detail')}")
    assert requests.get(f"{server.url}{V1}/entities/urn:ngsi-ld:Car:0",
                        timeout=10).status_code == 404

    # Several hanging downloads at once; other requests are answered while they wait.
    results = {}

    def hanging_request(n):
        results[n] = create_car(server, hanging, n).status_code

    threads = [threading.Thread(target=hanging_request, args=(n,))
               for n in range(1, HANGING_REQUESTS + 1)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while hanging.requests < 1 + HANGING_REQUESTS and time.monotonic() < deadline:
        time.sleep(0.01)
    served_while_hanging = []
    for n in range(5):
        assert requests.get(server.url + "/health", timeout=30).status_code == 200
        entity = {"id": f"urn:ngsi-ld:Thing:other{n}", "type": "Thing",
                  "v": {"type": "Property", "value": n}}
        assert requests.post(f"{server.url}{V1}/entities", json=entity,
                             timeout=30).status_code == 201
        got = requests.get(f"{server.url}{V1}/entities/urn:ngsi-ld:Thing:other{n}", timeout=30)
        assert got.status_code == 200 and got.json()["v"]["value"] == n
        served_while_hanging.append(len(results))
    # Every one of those was answered before any hanging request got its 503.
    assert served_while_hanging == [0] * 5, served_while_hanging
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results.values()) == [503] * HANGING_REQUESTS, results

    # Reads naming the context fail the same way, and do not take the server down.
    response = requests.get(f"{server.url}{V1}/entities", params={"type": "Car"},
                            headers={"Link": link(hanging.url)}, timeout=60)
    assert response.status_code == 503, response.text
    # The operator sees the failures in /metrics: one per download the hanging server saw.
    assert downloads(server, "failed") == hanging.requests >= 2
    assert downloads(server, "ok") == 0

    # The context server answers again: the same requests succeed, without a restart.
    hanging.hang = False
    response = create_car(server, hanging, 100)
    assert response.status_code == 201, response.text
    got = requests.get(f"{server.url}{V1}/entities/urn:ngsi-ld:Car:100", timeout=30)
    assert got.status_code == 200
    # Without the context the names are the full IRIs the context defines.
    assert got.json()["https://example.org/vocab/speed"]["value"] == 100
    listed = requests.get(f"{server.url}{V1}/entities", params={"type": "Car"},
                          headers={"Link": link(hanging.url)}, timeout=30)
    assert listed.status_code == 200 and [e["id"] for e in listed.json()] == ["urn:ngsi-ld:Car:100"]
    assert downloads(server, "ok") >= 1
    requests.get(server.url + "/health", timeout=10).raise_for_status()
