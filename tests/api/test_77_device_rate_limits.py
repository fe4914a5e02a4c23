"""Per-device rate limits of HTTP and CoAP measures (issue #4 "Per-device and per-connection
rate limits"; docs/ingest.md "Rate limits"), the shape of MQTT's: a device over its rate is
refused (HTTP 429 with Retry-After, CoAP 4.29 Too Many Requests with Max-Age, RFC 8516)
and nothing of the refused measure is written, while other devices go on; refusals are
counted in /metrics. Real clients (requests, libcoap's coap-client), 127.0.0.1 only.

The limit is one measure per second with a burst of one, and each test sends several
measures of one device back to back: the first is always accepted, and unless every request
took a full second at least one is refused. Which ones are refused is not asserted."""
import os
import sys
import tempfile

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ingest_metrics import ingest_outcomes  # noqa: E402
from ngsild import V1, quote  # noqa: E402
from test_74_coap import coap_post  # noqa: E402

MEASURES = 20


@pytest.fixture(scope="module")
def server():
    port_file = os.path.join(tempfile.mkdtemp(prefix="citytwin-rate-"), "coap-port")
    instance = CityTwinServer(extra_args=[
        "--http-device-rate-limit-per-s", "1", "--http-device-rate-burst", "1",
        "--coap-device-rate-limit-per-s", "1", "--coap-device-rate-burst", "1",
        "--coap-listen", "127.0.0.1:0", "--coap-port-file", port_file]).start()
    instance.coap_port = int(open(port_file).read().strip())
    group = {"apikey": "rk", "entity_type": "Thing", "resource": "/iot/json"}
    response = requests.post(instance.url + "/iot/services", json={"services": [group]})
    assert response.status_code == 201, response.text
    yield instance
    instance.cleanup()


def metric(server, name):
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def value(server, device):
    response = requests.get(f"{server.url}{V1}/entities/{quote('urn:ngsi-ld:Thing:' + device)}")
    assert response.status_code == 200, response.text
    return response.json()["t"]["value"]


def history(server, device):
    response = requests.get(
        f"{server.url}{V1}/temporal/entities/{quote('urn:ngsi-ld:Thing:' + device)}",
        params={"attrs": "t", "timerel": "after", "timeAt": "2000-01-01T00:00:00Z"})
    assert response.status_code == 200, response.text
    instances = response.json().get("t", [])
    return sorted(i["value"] for i in (instances if isinstance(instances, list) else [instances]))


def post_http(server, device, number):
    return requests.post(f"{server.url}/iot/json", params={"k": "rk", "i": device},
                         json={"t": number})


def test_http_device_over_its_rate_gets_429_with_retry_after(server):
    before = metric(server, "citytwin_http_device_rate_limited")
    before_outcomes = ingest_outcomes(server, "http", "rate_limited")
    accepted, refused = [], []
    for number in range(MEASURES):
        response = post_http(server, "chatty-http", number)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert response.json()["name"] == "TooManyRequests", response.text
            refused.append(number)
        else:
            assert response.status_code == 200, response.text
            accepted.append(number)
    assert accepted[0] == 0 and refused, (accepted, refused)
    # Another device has its own bucket.
    assert post_http(server, "calm-http", 7).status_code == 200
    assert value(server, "calm-http") == 7
    # Only accepted measures are written: the current value and the history.
    assert value(server, "chatty-http") == accepted[-1]
    assert history(server, "chatty-http") == accepted
    assert metric(server, "citytwin_http_device_rate_limited") - before == len(refused)
    assert ingest_outcomes(server, "http", "rate_limited") - before_outcomes == len(refused)


def test_coap_device_over_its_rate_gets_4_29_with_max_age(server):
    before = metric(server, "citytwin_coap_device_rate_limited")
    accepted, refused = [], []
    for number in range(MEASURES // 2):
        code, _, log = coap_post(server.coap_port, "iot/json?k=rk&i=chatty-coap",
                                 f'{{"t": {number}}}')
        if code == "4.29":
            # RFC 8516 section 4: Max-Age tells the device when it may retry.
            assert "Max-Age" in log, log
            refused.append(number)
        else:
            assert code == "2.04", log
            accepted.append(number)
    assert accepted[0] == 0 and refused, (accepted, refused)
    code, _, log = coap_post(server.coap_port, "iot/json?k=rk&i=calm-coap", '{"t": 3}')
    assert code == "2.04", log
    assert value(server, "chatty-coap") == accepted[-1]
    assert history(server, "chatty-coap") == accepted
    assert metric(server, "citytwin_coap_device_rate_limited") - before == len(refused)


def test_the_limit_is_per_transport(server):
    # A device refused over HTTP may still post over CoAP: each transport has its buckets.
    for number in range(3):
        post_http(server, "both", number)
    code, _, log = coap_post(server.coap_port, "iot/json?k=rk&i=both", '{"t": 99}')
    assert code == "2.04", log
    assert value(server, "both") == 99
