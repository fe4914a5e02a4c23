"""SSRF protection (docs/security.md, "Outgoing requests"): with the default policy the server
refuses to send notifications to, or load @contexts from, loopback addresses, says why, and
never contacts them; an allowlist entry lets one receiver through. Every receiver here
listens on 127.0.0.1 and the refusals are checked by the receivers recording no request."""
import http.server
import json
import threading
import time

import pytest
import requests

from conftest import CityTwinServer

RETRIES = ["--notify-retry-initial-ms", "50", "--notify-retry-max-ms", "100",
           "--notify-max-attempts", "2", "--notify-timeout-ms", "1000"]


class Recorder:
    """HTTP server on 127.0.0.1 recording every request; GET answers an @context."""

    def __init__(self):
        self.requests = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get("Content-Length", 0))
                recorder.requests.append((self.command, self.path, self.rfile.read(length)))

            def do_GET(self):  # noqa: N802
                self._record()
                body = json.dumps({"@context": {"n": "https://example.org/n"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):  # noqa: N802
                self._record()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path, host="127.0.0.1"):
        return f"http://{host}:{self.port}{path}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def recorder():
    instance = Recorder()
    yield instance
    instance.stop()


@pytest.fixture
def strict_server():
    """A server with the default outbound policy: no loopback."""
    instance = CityTwinServer(extra_args=RETRIES, outbound_allow=None, log_level="info").start()
    yield instance
    instance.cleanup()


def subscription(uri):
    return {"type": "Subscription", "entities": [{"type": "Sensor"}],
            "notification": {"endpoint": {"uri": uri}}}


def sensor(entity_id):
    return {"id": entity_id, "type": "Sensor", "n": {"type": "Property", "value": 1}}


def eventually(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.1.2.3"])
def test_loopback_subscription_endpoint_is_refused_with_the_reason(strict_server, recorder,
                                                                   host):
    response = requests.post(strict_server.url + "/ngsi-ld/v1/subscriptions",
                             json=subscription(recorder.url("/notify", host)))
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert "loopback address" in detail
    assert "security.outbound_allow" in detail
    listed = requests.get(strict_server.url + "/ngsi-ld/v1/subscriptions").json()
    assert listed == []
    # Patching an existing subscription onto loopback is refused the same way (the first one
    # names an .invalid host, RFC 6761, and is never contacted: no entity matches).
    made = requests.post(strict_server.url + "/ngsi-ld/v1/subscriptions",
                         json=subscription("http://receiver.invalid/notify"))
    assert made.status_code == 201, made.text
    patched = requests.patch(strict_server.url + made.headers["Location"],
                             json={"notification": {"endpoint": {
                                 "uri": recorder.url("/notify", host)}}})
    assert patched.status_code == 400, patched.text
    assert "loopback address" in patched.json()["detail"]
    assert recorder.requests == []


def test_remote_context_on_loopback_is_refused_and_never_fetched(strict_server, recorder):
    body = sensor("urn:ngsi-ld:Sensor:ctx")
    body["@context"] = recorder.url("/context.jsonld")
    response = requests.post(strict_server.url + "/ngsi-ld/v1/entities", json=body,
                             headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 503, response.text
    assert "refused to connect to 127.0.0.1: it is a loopback address" in \
        response.json()["detail"]
    assert recorder.requests == []


def test_restored_subscription_to_loopback_fails_at_delivery_without_contact(recorder):
    """Host names are judged when resolved, at delivery: simulated here by a subscription
    made while loopback was allowed and delivered after a restart that forbids it."""
    permissive = CityTwinServer(extra_args=RETRIES).start()
    try:
        made = requests.post(permissive.url + "/ngsi-ld/v1/subscriptions",
                             json=subscription(recorder.url("/notify")))
        assert made.status_code == 201, made.text
        location = made.headers["Location"]
        permissive.stop()
        strict = CityTwinServer(data_dir=permissive.data_dir, extra_args=RETRIES,
                                outbound_allow=None, log_level="info").start()
        try:
            created = requests.post(strict.url + "/ngsi-ld/v1/entities",
                                    json=sensor("urn:ngsi-ld:Sensor:restored"))
            assert created.status_code == 201, created.text

            def failed_twice():
                got = requests.get(strict.url + location).json()
                return got["notification"].get("timesFailed", 0) >= 2

            eventually(failed_twice)
            got = requests.get(strict.url + location).json()
            assert got["notification"]["status"] == "failed"
            assert "refused to connect to 127.0.0.1: it is a loopback address" in strict.log()
            assert recorder.requests == []
        finally:
            strict.stop()
    finally:
        permissive.cleanup()


def test_a_host_port_allowlist_entry_lets_one_receiver_through(recorder):
    instance = CityTwinServer(extra_args=RETRIES,
                              outbound_allow=[f"127.0.0.1:{recorder.port}"]).start()
    try:
        made = requests.post(instance.url + "/ngsi-ld/v1/subscriptions",
                             json=subscription(recorder.url("/notify")))
        assert made.status_code == 201, made.text
        other = requests.post(instance.url + "/ngsi-ld/v1/subscriptions",
                              json=subscription(f"http://127.0.0.1:{recorder.port + 1}/n"))
        assert other.status_code == 400
        created = requests.post(instance.url + "/ngsi-ld/v1/entities",
                                json=sensor("urn:ngsi-ld:Sensor:allowed"))
        assert created.status_code == 201
        eventually(lambda: any(r[0] == "POST" for r in recorder.requests))
    finally:
        instance.cleanup()


def test_a_bad_allowlist_entry_refuses_to_start():
    instance = CityTwinServer(outbound_allow=["10.0.0.0/99"])
    with pytest.raises(RuntimeError, match="security.outbound_allow entry '10.0.0.0/99'"):
        instance.start(timeout=10)
    instance.cleanup()
