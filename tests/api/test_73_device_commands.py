"""Device commands (issue #4; docs/ingest.md "Commands"): a PATCH of a command attribute of a
device's entity is answered once the command is durably queued (`<cmd>_status` PENDING), then
sent to the device over MQTT (/{apikey}/{device_id}/cmd), fetched by HTTP polling (getCmd=1)
or pushed to the device's HTTP endpoint; the device's result sets `<cmd>_status` OK and
`<cmd>_info`. Offline devices with persistent sessions get their commands on reconnect, also
after kill -9 and restart; unanswered commands expire; bad results are counted and refused.
Real clients (mosquitto_pub, mosquitto_sub, requests, a local HTTP receiver), 127.0.0.1 only."""
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import V1, quote  # noqa: E402

HOST = "127.0.0.1"
WAIT = 20


def provision(server, groups, devices):
    if groups:
        response = requests.post(server.url + "/iot/services", json={"services": groups})
        assert response.status_code == 201, response.text
    response = requests.post(server.url + "/iot/devices", json={"devices": devices})
    assert response.status_code == 201, response.text


def entity(server, entity_id):
    response = requests.get(f"{server.url}{V1}/entities/{quote(entity_id)}")
    assert response.status_code == 200, response.text
    return response.json()


def value(server, entity_id, attribute):
    return entity(server, entity_id).get(attribute, {}).get("value")


def patch(server, entity_id, attribute, command_value):
    response = requests.patch(f"{server.url}{V1}/entities/{quote(entity_id)}/attrs/{attribute}",
                              json={"value": command_value})
    assert response.status_code == 204, response.text


def wait_for(server, entity_id, attribute, expected):
    deadline = time.monotonic() + WAIT
    seen = None
    while time.monotonic() < deadline:
        seen = value(server, entity_id, attribute)
        if seen == expected:
            return
        time.sleep(0.05)
    pytest.fail(f"{attribute} of {entity_id} is {seen!r}, expected {expected!r}")


def metric(server, name, labels):
    prefix = name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "} "
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix):])
    return 0.0


def pending(server):
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith("citytwin_ingest_commands_pending "):
            return float(line.split()[1])
    pytest.fail("no citytwin_ingest_commands_pending gauge")


def mqtt(server, tool, *args, version="mqttv311"):
    return [tool, "-h", HOST, "-p", str(server.mqtt_port), "-V", version, *args]


def publish(server, topic, payload, version="mqttv311"):
    return subprocess.run(mqtt(server, "mosquitto_pub", "-q", "1", "-t", topic, "-m", payload,
                               version=version), capture_output=True, text=True, timeout=WAIT)


def session_args(version):
    # MQTT 3.1.1: clean session 0; MQTT 5: clean start 0 and a session expiry interval.
    return ["-c"] + (["-x", "3600"] if version == "mqttv5" else [])


def persistent_subscribe(server, client_id, topic, version="mqttv311"):
    """Subscribes with a persistent session and disconnects: the broker keeps the session and
    queues QoS 1 messages for it while the device is offline."""
    out = subprocess.run(mqtt(server, "mosquitto_sub", *session_args(version), "-i", client_id,
                              "-q", "1", "-t", topic, "-E", version=version),
                         capture_output=True, text=True, timeout=WAIT)
    assert out.returncode == 0, out


def receive_one(server, client_id, topic, version="mqttv311"):
    """Reconnects the persistent session (subscribing again) and returns the first message."""
    out = subprocess.run(mqtt(server, "mosquitto_sub", *session_args(version), "-i", client_id,
                              "-q", "1", "-t", topic, "-C", "1", "-W", str(WAIT),
                              version=version),
                         capture_output=True, text=True, timeout=WAIT + 5)
    assert out.returncode == 0, out
    return out.stdout.strip()


LAMP = "urn:ngsi-ld:Streetlight:lamp1"
LAMP_UL = "urn:ngsi-ld:Streetlight:lamp2"
METER = "urn:ngsi-ld:Meter:meter1"


@pytest.fixture(scope="module")
def server():
    instance = CityTwinServer().start()
    assert instance.mqtt_port
    provision(instance, [{"apikey": "cmd-key", "entity_type": "Streetlight"},
                         {"apikey": "poll-key", "resource": "/iot/json", "entity_type": "Meter"}],
              [{"device_id": "lamp1", "apikey": "cmd-key", "entity_name": LAMP,
                "transport": "MQTT", "commands": [{"name": "switch", "type": "command"}]},
               {"device_id": "lamp2", "apikey": "cmd-key", "entity_name": LAMP_UL,
                "transport": "MQTT", "protocol": "PDI-IoTA-UltraLight",
                "commands": [{"name": "dim", "type": "command"}]},
               {"device_id": "meter1", "apikey": "poll-key", "entity_name": METER,
                "transport": "HTTP", "commands": [{"name": "reset", "type": "command"}]}])
    yield instance
    instance.cleanup()


def test_provisioned_commands_become_attributes(server):
    lamp = entity(server, LAMP)
    assert lamp["switch"]["value"] == ""
    assert lamp["switch_status"]["value"] == "UNKNOWN"
    assert lamp["switch_info"]["value"] == ""


def test_mqtt_command_round_trip(server):
    persistent_subscribe(server, "lamp1-device", "/cmd-key/lamp1/cmd")
    patch(server, LAMP, "switch", "on")
    # Answered once durably queued: the status is already PENDING.
    assert value(server, LAMP, "switch_status") == "PENDING"
    assert json.loads(receive_one(server, "lamp1-device", "/cmd-key/lamp1/cmd")) == {"switch": "on"}
    result = publish(server, "/json/cmd-key/lamp1/cmdexe", '{"switch": "switched on"}')
    assert result.returncode == 0, result
    # The QoS 1 PUBACK came once the result was durable.
    assert value(server, LAMP, "switch_status") == "OK"
    assert value(server, LAMP, "switch_info") == "switched on"


def test_mqtt5_offline_device_gets_the_command_on_reconnect(server):
    persistent_subscribe(server, "lamp1-v5", "/cmd-key/lamp1/cmd", version="mqttv5")
    patch(server, LAMP, "switch", "off")  # the device is offline now
    received = receive_one(server, "lamp1-v5", "/cmd-key/lamp1/cmd", version="mqttv5")
    assert json.loads(received) == {"switch": "off"}
    assert publish(server, "/cmd-key/lamp1/cmdexe", '{"switch": "off now"}',
                   version="mqttv5").returncode == 0
    assert value(server, LAMP, "switch_info") == "off now"


def test_ultralight_command_round_trip(server):
    persistent_subscribe(server, "lamp2-device", "/cmd-key/lamp2/cmd")
    patch(server, LAMP_UL, "dim", {"level": 40})
    assert receive_one(server, "lamp2-device", "/cmd-key/lamp2/cmd") == "lamp2@dim|level=40"
    assert publish(server, "/ul/cmd-key/lamp2/cmdexe", "lamp2@dim|dimmed").returncode == 0
    assert value(server, LAMP_UL, "dim_status") == "OK"
    assert value(server, LAMP_UL, "dim_info") == "dimmed"


def test_http_polling_round_trip(server):
    poll = {"k": "poll-key", "i": "meter1", "getCmd": "1"}
    assert requests.get(server.url + "/iot/json", params=poll).json() == {}
    patch(server, METER, "reset", {"counter": 0})
    assert value(server, METER, "reset_status") == "PENDING"
    response = requests.get(server.url + "/iot/json", params=poll)
    assert response.status_code == 200, response.text
    assert response.json() == {"reset": {"counter": 0}}
    assert value(server, METER, "reset_status") == "DELIVERED"
    assert requests.get(server.url + "/iot/json", params=poll).json() == {}  # fetched once
    response = requests.post(server.url + "/iot/json/commands",
                             params={"k": "poll-key", "i": "meter1"}, json={"reset": "done"})
    assert response.status_code == 200, response.text
    assert value(server, METER, "reset_status") == "OK"
    assert value(server, METER, "reset_info") == "done"


def test_bad_command_results_are_counted_and_refused(server):
    before = metric(server, "citytwin_ingest_command_results_total",
                    {"transport": "mqtt", "outcome": "invalid"})
    for topic, payload in (("/cmd-key/lamp1/cmdexe", '{"switch": '),         # malformed JSON
                           ("/cmd-key/lamp1/cmdexe", '{"nosuch": 1}'),       # not its command
                           ("/ul/cmd-key/lamp2/cmdexe", "other@dim|x"),      # another device
                           ("/ul/cmd-key/lamp2/cmdexe", "no separator"),     # not UltraLight
                           ("/cmd-key/ghost/cmdexe", '{"switch": 1}')):      # unknown device
        out = publish(server, topic, payload, version="mqttv5")
        assert out.returncode != 0 or "fail" in (out.stdout + out.stderr).lower(), (topic, out)
    after = metric(server, "citytwin_ingest_command_results_total",
                   {"transport": "mqtt", "outcome": "invalid"})
    assert after >= before + 5
    response = requests.post(server.url + "/iot/json/commands",
                             params={"k": "poll-key", "i": "meter1"}, data="[1, 2]")
    assert response.status_code == 400, response.text
    response = requests.get(server.url + "/iot/json", params={"k": "poll-key", "i": "meter1"})
    assert response.status_code == 400, response.text  # getCmd=1 missing
    requests.get(server.url + "/health").raise_for_status()
    assert value(server, LAMP, "switch_status") == "OK"  # nothing was written


class Receiver(http.server.BaseHTTPRequestHandler):
    requests_seen = []
    answer = (200, b'{"ping": "pong"}')

    def do_POST(self):  # noqa: N802 (http.server naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Receiver.requests_seen.append((self.path, dict(self.headers), body))
        status, payload = Receiver.answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    httpd = http.server.HTTPServer((HOST, 0), Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Receiver.requests_seen = []
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_http_push_round_trip(server, receiver):
    endpoint = f"http://{HOST}:{receiver.server_address[1]}/device/cmd"
    provision(server, [], [{"device_id": "push1", "apikey": "poll-key", "transport": "HTTP",
                            "entity_name": "urn:ngsi-ld:Meter:push1", "endpoint": endpoint,
                            "commands": [{"name": "ping", "type": "command"}]}])
    patch(server, "urn:ngsi-ld:Meter:push1", "ping", "hello")
    wait_for(server, "urn:ngsi-ld:Meter:push1", "ping_status", "OK")
    assert value(server, "urn:ngsi-ld:Meter:push1", "ping_info") == "pong"
    path, headers, body = Receiver.requests_seen[-1]
    assert path == "/device/cmd"
    assert json.loads(body) == {"ping": "hello"}
    assert headers.get("Fiware-ServicePath") == "/"
    # A device that answers with an error: status ERROR, the reason in _info.
    Receiver.answer = (500, b"broken")
    try:
        patch(server, "urn:ngsi-ld:Meter:push1", "ping", "again")
        wait_for(server, "urn:ngsi-ld:Meter:push1", "ping_status", "ERROR")
        assert "500" in value(server, "urn:ngsi-ld:Meter:push1", "ping_info")
    finally:
        Receiver.answer = (200, b'{"ping": "pong"}')


def test_unanswered_commands_expire():
    instance = CityTwinServer(extra_args=["--command-expiry-s", "1"]).start()
    try:
        provision(instance, [{"apikey": "exp-key", "resource": "/iot/json"}],
                  [{"device_id": "slow1", "apikey": "exp-key", "transport": "HTTP",
                    "entity_name": "urn:ngsi-ld:Thing:slow1",
                    "commands": [{"name": "wake", "type": "command"}]}])
        patch(instance, "urn:ngsi-ld:Thing:slow1", "wake", "now")
        assert pending(instance) in (0, 1)  # 0 once it expired already
        wait_for(instance, "urn:ngsi-ld:Thing:slow1", "wake_status", "EXPIRED")
        assert pending(instance) == 0
        poll = {"k": "exp-key", "i": "slow1", "getCmd": "1"}
        assert requests.get(instance.url + "/iot/json", params=poll).json() == {}
    finally:
        instance.cleanup()


def test_queued_commands_survive_kill_and_restart():
    instance = CityTwinServer().start()
    try:
        provision(instance, [{"apikey": "rk", "resource": "/iot/json"}],
                  [{"device_id": "valve1", "apikey": "rk", "transport": "MQTT",
                    "entity_name": "urn:ngsi-ld:Valve:valve1",
                    "commands": [{"name": "open", "type": "command"}]},
                   {"device_id": "pump1", "apikey": "rk", "transport": "HTTP",
                    "entity_name": "urn:ngsi-ld:Pump:pump1",
                    "commands": [{"name": "stop", "type": "command"}]}])
        persistent_subscribe(instance, "valve1-device", "/rk/valve1/cmd")
        patch(instance, "urn:ngsi-ld:Valve:valve1", "open", 75)
        patch(instance, "urn:ngsi-ld:Pump:pump1", "stop", "now")
        instance.kill()  # SIGKILL: only what was durable survives
        instance.start()
        assert value(instance, "urn:ngsi-ld:Valve:valve1", "open_status") == "PENDING"
        # The broker's sessions ended with the process: the device subscribes again and gets
        # the command queued before the crash.
        received = receive_one(instance, "valve1-device", "/rk/valve1/cmd")
        assert json.loads(received) == {"open": 75}
        poll = {"k": "rk", "i": "pump1", "getCmd": "1"}
        assert requests.get(instance.url + "/iot/json", params=poll).json() == {"stop": "now"}
        assert publish(instance, "/rk/valve1/cmdexe", '{"open": "opened"}').returncode == 0
        assert value(instance, "urn:ngsi-ld:Valve:valve1", "open_status") == "OK"
    finally:
        instance.cleanup()


def test_commands_in_a_tenant_and_service_path(server):
    headers = {"Fiware-Service": "lights", "Fiware-ServicePath": "/north"}
    response = requests.post(server.url + "/iot/services", headers=headers, json={"services": [
        {"apikey": "tenant-key", "resource": "/iot/d", "entity_type": "Streetlight",
         "commands": [{"name": "blink", "type": "command"}]}]})
    assert response.status_code == 201, response.text
    response = requests.post(server.url + "/iot/devices", headers=headers, json={"devices": [
        {"device_id": "n1", "transport": "HTTP", "protocol": "PDI-IoTA-UltraLight"}]})
    assert response.status_code == 201, response.text
    entity_url = f"{server.url}{V1}/entities/{quote('urn:ngsi-ld:Streetlight:n1')}"
    tenant = {"NGSILD-Tenant": "lights"}
    response = requests.get(entity_url, headers=tenant)
    assert response.status_code == 200, response.text
    assert response.json()["blink_status"]["value"] == "UNKNOWN"  # the group's command
    assert response.json()["scope"] == "/north"
    response = requests.patch(entity_url + "/attrs/blink", headers=tenant, json={"value": 3})
    assert response.status_code == 204, response.text
    response = requests.get(server.url + "/iot/d", params={"k": "tenant-key", "i": "n1",
                                                           "getCmd": "1"})
    assert response.status_code == 200, response.text
    assert response.text == "n1@blink|3"
    response = requests.post(server.url + "/iot/d/commands", params={"k": "tenant-key", "i": "n1"},
                             data="n1@blink|blinked")
    assert response.status_code == 200, response.text
    attrs = requests.get(entity_url, headers=tenant).json()
    assert attrs["blink_status"]["value"] == "OK"
    assert attrs["blink_info"]["value"] == "blinked"


def test_measures_posted_with_getcmd_fetch_the_commands(server):
    params = {"k": "poll-key", "i": "meter1", "getCmd": "1"}
    patch(server, METER, "reset", "again")
    response = requests.post(server.url + "/iot/json", params=params, json={"count": 7})
    assert response.status_code == 200, response.text
    assert response.json() == {"reset": "again"}
    assert value(server, METER, "count") == 7
    assert value(server, METER, "reset_status") == "DELIVERED"
    # A device without commands gets an empty answer, its measure written.
    response = requests.post(server.url + "/iot/json", params={"k": "poll-key", "i": "plain1",
                                                               "getCmd": "1"}, json={"count": 1})
    assert response.status_code == 200, response.text
    assert response.json() == {}


def cli_key(data_dir, role, tenant):
    out = subprocess.run([os.environ.get("CITYTWIN_BIN", "citytwin"), "keys", "create", "--data",
                          data_dir, "--role", role, "--tenant", tenant],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_with_keys_commands_need_writers_of_the_devices_tenant():
    data_dir = tempfile.mkdtemp(prefix="citytwin-commands-sec-")
    try:
        db = os.path.join(data_dir, "db")
        admin_b = cli_key(db, "admin", "b")
        editor_a = cli_key(db, "editor", "a")
        editor_b = cli_key(db, "editor", "b")
        viewer_b = cli_key(db, "viewer", "b")
        instance = CityTwinServer(data_dir=data_dir, auth=True).start()
        try:
            def headers(key):
                return {"X-API-Key": key, "Fiware-Service": "b"}

            response = requests.post(instance.url + "/iot/services", headers=headers(admin_b),
                                     json={"services": [{"apikey": "kb", "resource": "/iot/json"}]})
            assert response.status_code == 201, response.text
            response = requests.post(instance.url + "/iot/devices", headers=headers(admin_b),
                                     json={"devices": [{
                                         "device_id": "v1", "transport": "HTTP",
                                         "entity_name": "urn:ngsi-ld:Valve:v1",
                                         "commands": [{"name": "shut", "type": "command"}]}]})
            assert response.status_code == 201, response.text
            url = f"{instance.url}{V1}/entities/{quote('urn:ngsi-ld:Valve:v1')}/attrs/shut"
            tenant = {"NGSILD-Tenant": "b"}
            response = requests.patch(url, json={"value": 1},
                                      headers={"X-API-Key": viewer_b, **tenant})
            assert response.status_code == 403, response.text  # a viewer cannot command
            response = requests.patch(url, json={"value": 1},
                                      headers={"X-API-Key": editor_b, **tenant})
            assert response.status_code == 204, response.text
            poll = {"k": "kb", "i": "v1", "getCmd": "1"}
            # A key of tenant a cannot fetch (or answer) b's commands through b's apikey.
            response = requests.get(instance.url + "/iot/json", params=poll,
                                    headers={"X-API-Key": editor_a, "Fiware-Service": "a"})
            assert response.status_code == 403, response.text
            response = requests.post(instance.url + "/iot/json/commands",
                                     params={"k": "kb", "i": "v1"}, json={"shut": "x"},
                                     headers={"X-API-Key": editor_a, "Fiware-Service": "a"})
            assert response.status_code == 403, response.text
            assert requests.get(instance.url + "/iot/json", params=poll).status_code == 401
            response = requests.get(instance.url + "/iot/json", params=poll,
                                    headers=headers(editor_b))
            assert response.status_code == 200, response.text
            assert response.json() == {"shut": 1}
        finally:
            instance.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
