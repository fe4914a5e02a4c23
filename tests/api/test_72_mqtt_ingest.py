"""Devices in over MQTT (issue #4; docs/ingest.md "MQTT"): measurements published on the IoT
Agent topics of the built-in broker land in the twin (current state and history) before the
QoS 1 PUBACK, JSON and UltraLight, whole and per attribute; bad or unknown ones are refused
and write nothing; other topics are plain MQTT, forwarded. Real clients (mosquitto_pub,
mosquitto_sub), 127.0.0.1 only."""
import os
import subprocess
import sys
import time

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import V1, quote  # noqa: E402

HOST = "127.0.0.1"
WAIT = 10


@pytest.fixture(scope="module")
def server():
    instance = CityTwinServer().start()
    assert instance.mqtt_port
    group = {"apikey": "mq-key", "entity_type": "WeatherObserved", "resource": "/iot/json",
             "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"},
                            {"object_id": "h", "name": "humidity", "type": "Number"}]}
    response = requests.post(instance.url + "/iot/services", json={"services": [group]})
    assert response.status_code == 201, response.text
    response = requests.post(instance.url + "/iot/devices", json={"devices": [
        {"device_id": "ws1", "entity_name": "urn:ngsi-ld:WeatherObserved:ws1",
         "entity_type": "WeatherObserved", "transport": "MQTT"}]})
    assert response.status_code == 201, response.text
    yield instance
    instance.cleanup()


def publish(server, topic, payload, version="mqttv311"):
    return subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(server.mqtt_port), "-V",
                           version, "-q", "1", "-t", topic, "-m", payload],
                          capture_output=True, text=True, timeout=WAIT)


def current(server, entity_id, attribute):
    response = requests.get(f"{server.url}{V1}/entities/{quote(entity_id)}")
    assert response.status_code == 200, response.text
    return response.json().get(attribute, {}).get("value")


def history(server, entity_id, attribute):
    response = requests.get(f"{server.url}{V1}/temporal/entities/{quote(entity_id)}",
                            params={"attrs": attribute, "options": "temporalValues",
                                    "timeproperty": "modifiedAt"})
    assert response.status_code == 200, response.text
    return [value for value, _ in response.json().get(attribute, {}).get("values", [])]


def outcomes(server, outcome):
    prefix = f'citytwin_ingest_measurements_total{{transport="mqtt",outcome="{outcome}"}} '
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith(prefix):
            return int(line[len(prefix):])
    return 0


ENTITY = "urn:ngsi-ld:WeatherObserved:ws1"


def test_json_and_ultralight_measures_are_durable_before_the_puback(server):
    # mosquitto_pub -q 1 exits once the PUBACK arrives: the value is readable right then.
    assert publish(server, "/mq-key/ws1/attrs", '{"t": 21.5, "h": 40}').returncode == 0
    assert current(server, ENTITY, "temperature") == 21.5
    assert publish(server, "/ul/mq-key/ws1/attrs", "t|22.5|h|41").returncode == 0
    assert current(server, ENTITY, "temperature") == 22.5
    assert publish(server, "json/mq-key/ws1/attrs/t", "23.5").returncode == 0
    assert current(server, ENTITY, "temperature") == 23.5
    assert publish(server, "/mq-key/ws1/attrs", "t|24.5", version="mqttv5").returncode == 0
    assert history(server, ENTITY, "temperature")[-4:] == [21.5, 22.5, 23.5, 24.5]
    assert current(server, ENTITY, "humidity") == 41
    assert outcomes(server, "accepted") >= 4


def test_measures_reach_subscribers_of_the_device_topics_too(server):
    sub = subprocess.Popen(["mosquitto_sub", "-h", HOST, "-p", str(server.mqtt_port), "-C", "1",
                            "-W", str(WAIT), "-t", "/mq-key/+/attrs"],
                           stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + WAIT
    received = None
    while received is None and time.monotonic() < deadline:
        assert publish(server, "/mq-key/ws1/attrs", '{"t": 30}').returncode == 0
        try:
            received, _ = sub.communicate(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
    assert received is not None and received.strip() == '{"t": 30}'


def test_bad_and_unknown_measures_are_refused_and_write_nothing(server):
    before = history(server, ENTITY, "temperature")
    refused = ("invalid", "unknown_device")
    rejected = sum(outcomes(server, o) for o in refused)
    for topic, payload in (("/mq-key/ws1/attrs", '{"t": '),          # malformed JSON
                           ("/ul/mq-key/ws1/attrs", "t|1|h"),        # odd UltraLight fields
                           ("/no-such-key/ws1/attrs", '{"t": 1}')):  # unknown apikey
        out = publish(server, topic, payload, version="mqttv5")
        # MQTT 5: a PUBACK with an error reason code, which mosquitto_pub reports.
        assert out.returncode != 0 or "fail" in (out.stdout + out.stderr).lower(), (topic, out)
    assert history(server, ENTITY, "temperature") == before
    after = sum(outcomes(server, o) for o in refused)
    assert after >= rejected + 3
    requests.get(server.url + "/health").raise_for_status()


def test_unknown_devices_of_a_group_are_autoprovisioned(server):
    # IoT Agent groups autoprovision unless they say "autoprovision": false.
    assert publish(server, "/mq-key/ws9/attrs", '{"t": 9}').returncode == 0
    assert current(server, "urn:ngsi-ld:WeatherObserved:ws9", "temperature") == 9


def test_other_topics_are_plain_mqtt(server):
    assert publish(server, "city/lights/on", "yes").returncode == 0
    assert publish(server, "/mq-key/ws1/data", "not a measure").returncode == 0
