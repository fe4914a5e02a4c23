"""Rate limits of the built-in broker (issue #4 "Per-device and per-connection rate limits";
docs/mqtt.md "Rate limits"): a device over its rate has its measures refused with MQTT 5
PUBACK 0x97 (Quota exceeded) while other devices go on; a connection over its PUBLISH rate
is read more slowly, so every message is still accepted and acknowledged. Both are counted
in /metrics. Real clients (mosquitto_pub), 127.0.0.1 only."""
import os
import subprocess
import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import V1, quote  # noqa: E402

WAIT = 60


@pytest.fixture(scope="module")
def server():
    # One measure per device per second with no burst above it; 50 PUBLISH per connection
    # per second with a burst of one.
    instance = CityTwinServer(extra_args=[
        "--mqtt-device-rate-limit-per-s", "1", "--mqtt-device-rate-burst", "1",
        "--mqtt-rate-limit-per-s", "50", "--mqtt-rate-burst", "1"]).start()
    group = {"apikey": "rate-key", "entity_type": "Thing", "resource": "/iot/json"}
    response = requests.post(instance.url + "/iot/services", json={"services": [group]})
    assert response.status_code == 201, response.text
    yield instance
    instance.cleanup()


def publish_lines(server, topic, lines):
    """Publishes each line as one QoS 1 message over one MQTT 5 connection."""
    done = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(server.mqtt_port),
                           "-V", "mqttv5", "-q", "1", "-l", "-t", topic],
                          input="\n".join(lines) + "\n", capture_output=True, text=True,
                          timeout=WAIT)
    return done.returncode, done.stdout + done.stderr


def metric(server, name):
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def value(server, device):
    response = requests.get(f"{server.url}{V1}/entities/{quote('urn:ngsi-ld:Thing:' + device)}")
    assert response.status_code == 200, response.text
    return response.json()["t"]["value"]


def test_a_device_over_its_rate_is_refused_and_others_go_on(server):
    before = metric(server, "citytwin_mqtt_device_rate_limited")
    code, output = publish_lines(server, "/rate-key/chatty/attrs",
                                 [f'{{"t": {i}}}' for i in range(10)])
    assert code == 0, output
    refused = output.count("Quota exceeded")
    assert refused >= 1, output
    assert metric(server, "citytwin_mqtt_device_rate_limited") - before == refused
    # The first measure was within the rate and stored; another device is not held back.
    assert value(server, "chatty") == 0
    assert publish_lines(server, "/rate-key/quiet/attrs", ['{"t": 7}'])[0] == 0
    assert value(server, "quiet") == 7


def test_a_connection_over_its_rate_is_slowed_down_not_refused(server):
    messages_in = 'citytwin_mqtt_messages{direction="in"}'
    before_in = metric(server, messages_in)
    before_held = metric(server, "citytwin_mqtt_connection_rate_limited")
    code, output = publish_lines(server, "plain/telemetry", [str(i) for i in range(20)])
    assert code == 0 and "failed" not in output, output
    assert metric(server, messages_in) - before_in == 20  # every one accepted
    assert metric(server, "citytwin_mqtt_connection_rate_limited") > before_held
