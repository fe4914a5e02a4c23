"""The device role over HTTP and CoAP (issue #6, "Devices: per-device or per-group credentials
for MQTT, HTTP and CoAP" and "a device may only publish for itself and read its own commands";
docs/security.md, "Device credentials"): a credential made with POST /iot/credentials is
presented as HTTP Basic on the device routes, or as key=<username>:<password> over CoAP and
CoAP over DTLS (the real libcoap client). It writes measures, polls commands and posts
command results for its own device (a group credential: any device of its apikey) in its own
tenant; another device, apikey or tenant is 403 / 4.03, every other route 403, a bad password
401 / 4.01. API keys keep working. 127.0.0.1 only."""
import base64
import os
import subprocess
import sys
import tempfile

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import V1, quote  # noqa: E402
from test_74_coap import coap_post, free_udp_port, self_signed  # noqa: E402

BINARY = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
CITY = "city"
METER = "urn:ngsi-ld:Meter:s1"


def basic(username, password, tenant=None):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    if tenant is not None:
        headers["Fiware-Service"] = tenant
    return headers


class Devices:
    """A server with auth on, CoAP and CoAP over DTLS, two groups of tenant `city`, a device
    credential (s1), a group credential (gateway) and one of another tenant (foreign)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="citytwin-devrole-")
        self.cert, key = self_signed(self.dir, "server")
        self.dtls_port = free_udp_port()
        port_file = os.path.join(self.dir, "coap-port")
        self.server = CityTwinServer(auth=True, extra_args=[
            "--coap-listen", "127.0.0.1:0", "--coap-port-file", port_file,
            "--coap-dtls-listen", f"127.0.0.1:{self.dtls_port}", "--coap-dtls-cert",
            self.cert, "--coap-dtls-key", key])
        made = subprocess.run([BINARY, "keys", "create", "--data",
                               os.path.join(self.server.data_dir, "db"), "--role", "admin",
                               "--tenant", "*"], capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        self.admin = made.stdout.strip()
        self.server.start()
        self.coap_port = int(open(port_file).read().strip())
        self.call("POST", "/iot/services", json={"services": [
            {"apikey": "dk", "resource": "/iot/json", "entity_type": "Meter"},
            {"apikey": "du", "resource": "/iot/d", "entity_type": "Meter"}]}, expect=201)
        self.call("POST", "/iot/devices", json={"devices": [
            {"device_id": "s1", "apikey": "dk", "entity_name": METER, "transport": "HTTP",
             "commands": [{"name": "reset", "type": "command"}]},
            {"device_id": "s2", "apikey": "dk", "entity_name": "urn:ngsi-ld:Meter:s2",
             "transport": "HTTP", "commands": [{"name": "reset", "type": "command"}]}]},
            expect=201)
        self.passwords = {
            "s1": self.credential(apikey="dk", device_id="s1"),
            "gateway": self.credential(apikey="dk", username="gateway"),
            "foreign": self.credential(tenant="elsewhere", apikey="dk", device_id="s1",
                                       username="foreign"),
        }
        self.editor = self.call("POST", "/citytwin/v1/keys", tenant=None, expect=201, json={
            "role": "editor", "tenant": CITY})["key"]

    def call(self, method, path, tenant=CITY, key=None, expect=None, **kwargs):
        headers = {"X-API-Key": key or self.admin}
        if tenant is not None:
            headers["NGSILD-Tenant"] = tenant
        response = requests.request(method, self.server.url + path, headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response.json() if response.content else None

    def credential(self, tenant=CITY, **body):
        return self.call("POST", "/iot/credentials", tenant=tenant, json=body,
                         expect=201)["password"]

    def login(self, username):
        return username, self.passwords[username]

    def measure(self, login, device="s1", apikey="dk", value=1, tenant=None, path="/iot/json"):
        return requests.post(self.server.url + path, params={"k": apikey, "i": device},
                             json={"v": value}, headers=basic(*login, tenant=tenant))

    def value(self, device):
        entity_id = "urn:ngsi-ld:Meter:" + device
        response = requests.get(f"{self.server.url}{V1}/entities/{quote(entity_id)}",
                                headers={"X-API-Key": self.admin, "NGSILD-Tenant": CITY})
        if response.status_code == 404:
            return None
        return response.json().get("v", {}).get("value")

    def cleanup(self):
        self.server.cleanup()


@pytest.fixture(scope="module")
def devices():
    instance = Devices()
    yield instance
    instance.cleanup()


def test_a_device_writes_its_own_measures_over_http(devices):
    response = devices.measure(devices.login("s1"), value=11)
    assert response.status_code == 200, response.text
    assert devices.value("s1") == 11
    # Naming its own tenant is fine too; another tenant is not.
    assert devices.measure(devices.login("s1"), value=12, tenant=CITY).status_code == 200
    assert devices.value("s1") == 12
    response = devices.measure(devices.login("s1"), value=13, tenant="other")
    assert response.status_code == 403, response.text
    assert devices.value("s1") == 12


def test_a_device_cannot_write_for_another_device_or_apikey(devices):
    response = devices.measure(devices.login("s1"), device="s2", value=21)
    assert response.status_code == 403, response.text
    assert devices.value("s2") is None
    response = devices.measure(devices.login("s1"), device="s1", apikey="du", value=22)
    assert response.status_code == 403, response.text
    # An apikey that does not exist gets the same 403: a device learns nothing about others.
    response = devices.measure(devices.login("s1"), device="s1", apikey="nosuch", value=23)
    assert response.status_code == 403, response.text
    response = requests.post(devices.server.url + "/iot/d", params={"k": "du", "i": "s1"},
                             data="v|24", headers=basic(*devices.login("s1")))
    assert response.status_code == 403, response.text


def test_a_group_credential_covers_every_device_of_its_apikey(devices):
    assert devices.measure(devices.login("gateway"), device="s2", value=31).status_code == 200
    assert devices.value("s2") == 31
    assert devices.measure(devices.login("gateway"), device="g9", value=32).status_code == 200
    assert devices.value("g9") == 32  # autoprovisioned, as for a key
    response = devices.measure(devices.login("gateway"), apikey="du", device="g9")
    assert response.status_code == 403, response.text


def test_a_credential_of_another_tenant_cannot_write_here(devices):
    # "foreign" names apikey dk and device s1, but was made in tenant "elsewhere".
    response = devices.measure(devices.login("foreign"), value=41)
    assert response.status_code == 403, response.text
    response = devices.measure(devices.login("foreign"), value=41, tenant=CITY)
    assert response.status_code == 403, response.text
    assert devices.value("s1") != 41


def test_bad_passwords_are_401_with_a_basic_challenge(devices):
    for login in (("s1", "dp_wrong"), ("nobody", devices.passwords["s1"]), ("s1", "")):
        response = devices.measure(login, value=51)
        assert response.status_code == 401, response.text
        assert 'Basic realm="citytwin"' in response.headers["WWW-Authenticate"]
    for header in ("Basic !!!notbase64", "Basic " + base64.b64encode(b"no-colon").decode()):
        response = requests.post(devices.server.url + "/iot/json", params={"k": "dk", "i": "s1"},
                                 json={"v": 52}, headers={"Authorization": header})
        assert response.status_code == 401, response.text
    assert devices.value("s1") not in (51, 52)


def test_a_device_polls_and_answers_only_its_own_commands(devices):
    login = devices.login("s1")
    devices.call("PATCH", f"{V1}/entities/{quote(METER)}/attrs/reset",
                 json={"type": "Property", "value": {"count": 0}}, expect=204)
    own = {"k": "dk", "i": "s1", "getCmd": "1"}
    response = requests.get(devices.server.url + "/iot/json", params=own, headers=basic(*login))
    assert response.status_code == 200, response.text
    assert response.json() == {"reset": {"count": 0}}
    response = requests.post(devices.server.url + "/iot/json/commands",
                             params={"k": "dk", "i": "s1"}, json={"reset": "done"},
                             headers=basic(*login))
    assert response.status_code == 200, response.text
    # Another device's commands and results: refused.
    devices.call("PATCH", f"{V1}/entities/{quote('urn:ngsi-ld:Meter:s2')}/attrs/reset",
                 json={"type": "Property", "value": {"count": 1}}, expect=204)
    other = {"k": "dk", "i": "s2", "getCmd": "1"}
    response = requests.get(devices.server.url + "/iot/json", params=other, headers=basic(*login))
    assert response.status_code == 403, response.text
    response = requests.post(devices.server.url + "/iot/json/commands",
                             params={"k": "dk", "i": "s2"}, json={"reset": "forged"},
                             headers=basic(*login))
    assert response.status_code == 403, response.text
    # The command of s2 is still waiting for s2 (the refused poll did not consume it).
    response = requests.get(devices.server.url + "/iot/json", params=other,
                            headers={"X-API-Key": devices.editor, "NGSILD-Tenant": CITY})
    assert response.status_code == 200, response.text
    assert response.json() == {"reset": {"count": 1}}


@pytest.mark.parametrize("method,path,body", [
    ("GET", V1 + "/entities?type=Meter", None),
    ("GET", V1 + "/entities/" + quote(METER), None),
    ("POST", V1 + "/entities", {"id": "urn:ngsi-ld:Meter:x", "type": "Meter"}),
    ("PATCH", V1 + "/entities/" + quote(METER) + "/attrs", {"v": {"type": "Property", "value": 1}}),
    ("POST", V1 + "/entityOperations/upsert", [{"id": "urn:ngsi-ld:Meter:y", "type": "Meter"}]),
    ("GET", V1 + "/temporal/entities/" + quote(METER), None),
    ("GET", V1 + "/subscriptions", None),
    ("GET", "/iot/services", None),
    ("POST", "/iot/devices", {"devices": [{"device_id": "z", "apikey": "dk"}]}),
    ("GET", "/iot/credentials", None),
    ("POST", "/iot/credentials", {"apikey": "dk", "device_id": "z"}),
    ("GET", "/citytwin/v1/keys", None),
    ("GET", "/citytwin/v1/audit", None),
    ("GET", "/metrics", None),
])
def test_every_other_route_is_forbidden_to_a_device(devices, method, path, body):
    for login in (devices.login("s1"), devices.login("gateway")):
        response = requests.request(method, devices.server.url + path, json=body,
                                    headers={**basic(*login), "NGSILD-Tenant": CITY})
        assert response.status_code == 403, (method, path, response.text)


def test_api_keys_still_write_for_any_device(devices):
    response = requests.post(devices.server.url + "/iot/json", params={"k": "dk", "i": "s2"},
                             json={"v": 61},
                             headers={"X-API-Key": devices.editor, "NGSILD-Tenant": CITY})
    assert response.status_code == 200, response.text
    assert devices.value("s2") == 61


def test_device_writes_are_audited_as_the_device(devices):
    assert devices.measure(devices.login("s1"), value=71).status_code == 200
    records = devices.call("GET", "/citytwin/v1/audit", params={"actor": "device:s1",
                                                                "limit": 1000})["records"]
    assert records, "no audit record of device s1"
    assert all(r["role"] == "device" and r["device"] == "s1" for r in records), records
    text = str(devices.call("GET", "/citytwin/v1/audit", params={"limit": 1000}))
    assert all(password not in text for password in devices.passwords.values())


def coap(devices, query, payload='{"v": %d}', value=0, scheme="coap"):
    port = devices.dtls_port if scheme == "coaps" else devices.coap_port
    flags = ("-R", devices.cert) if scheme == "coaps" else ()
    code, diagnostic, log = coap_post(port, "iot/json?" + query, payload % value, *flags,
                                      scheme=scheme)
    return code, log


def key_of(devices, username):
    return f"{username}:{devices.passwords[username]}"


def test_a_device_writes_over_coap_with_its_credential(devices):
    code, log = coap(devices, f"k=dk&i=s1&key={key_of(devices, 's1')}", value=81)
    assert code == "2.04", log
    assert devices.value("s1") == 81
    code, log = coap(devices, f"k=dk&i=s2&key={key_of(devices, 's1')}", value=82)
    assert code == "4.03", log
    assert devices.value("s2") != 82
    code, log = coap(devices, f"k=dk&i=s1&key={key_of(devices, 'foreign')}", value=83)
    assert code == "4.03", log
    code, log = coap(devices, f"k=dk&i=g7&key={key_of(devices, 'gateway')}", value=84)
    assert code == "2.04", log
    assert devices.value("g7") == 84


def test_bad_coap_credentials_are_4_01(devices):
    for key in ("s1:dp_wrong", f"nobody:{devices.passwords['s1']}", "s1:"):
        code, log = coap(devices, f"k=dk&i=s1&key={key}", value=91)
        assert code == "4.01", log
    assert devices.value("s1") != 91


def test_coap_over_dtls_keeps_the_credential_confidential(devices):
    code, log = coap(devices, f"k=dk&i=s1&key={key_of(devices, 's1')}", value=95, scheme="coaps")
    assert code == "2.04", log
    assert " DTLS: " in log
    assert devices.value("s1") == 95
    code, log = coap(devices, f"k=dk&i=s2&key={key_of(devices, 's1')}", value=96, scheme="coaps")
    assert code == "4.03", log


def test_a_deleted_credential_is_refused_at_once(devices):
    password = devices.credential(apikey="dk", device_id="s1", username="short-lived")
    login = ("short-lived", password)
    assert devices.measure(login, value=101).status_code == 200
    code, log = coap(devices, f"k=dk&i=s1&key=short-lived:{password}", value=102)
    assert code == "2.04", log
    devices.call("DELETE", "/iot/credentials/short-lived", expect=204)
    assert devices.measure(login, value=103).status_code == 401
    code, log = coap(devices, f"k=dk&i=s1&key=short-lived:{password}", value=104)
    assert code == "4.01", log
    assert devices.value("s1") == 102


def mqtt_publish(devices, topic, payload, username, password):
    done = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(devices.server.mqtt_port),
                           "-V", "mqttv5", "-q", "1", "-u", username, "-P", password, "-t", topic,
                           "-m", payload], capture_output=True, text=True, timeout=10)
    return done.returncode, done.stdout + done.stderr


def audit_after(devices, after):
    records = devices.call("GET", "/citytwin/v1/audit", params={"after": after, "limit": 1000},
                           expect=200)["records"]
    return [r for r in records if r["method"] in ("MQTT PUBLISH", "CoAP POST")]


def last_audit_id(devices):
    page = devices.call("GET", "/citytwin/v1/audit", params={"limit": 1000}, expect=200)
    while page.get("next"):
        page = devices.call("GET", "/citytwin/v1/audit", expect=200,
                            params={"limit": 1000, "after": page["next"]})
    return page["records"][-1]["id"] if page["records"] else "0"


def test_mqtt_and_coap_measures_are_summarised_in_the_audit_log(devices):
    """Issue #6 "an audit log records ... every write with who made it": device messages are
    counted into per-device summaries (docs/security.md, "Device ingestion")."""
    start = last_audit_id(devices)  # reading closes the summaries the other tests opened
    s1 = devices.login("s1")
    for value in range(3):
        assert mqtt_publish(devices, "/dk/s1/attrs", '{"v": %d}' % value, *s1)[0] == 0
    # The editor's API key as the MQTT password writes for s2; refused: a payload that is not
    # JSON, after the tenant is known (400), and a device writing another's topic (refused
    # before any tenant is resolved: not counted).
    for value in range(2):
        assert mqtt_publish(devices, "/dk/s2/attrs", '{"v": %d}' % value, "ed", devices.editor)[0] == 0
    mqtt_publish(devices, "/json/dk/s1/attrs", "{not json", *s1)
    mqtt_publish(devices, "/dk/s2/attrs", '{"v": 9}', *s1)
    for value in range(2):
        code, log = coap(devices, f"k=dk&i=s1&key={key_of(devices, 's1')}", value=200 + value)
        assert code == "2.04", log

    records = audit_after(devices, start)
    summary = {(r["actor"], r["method"], r["path"], r["status"]): r for r in records}
    editor_id = devices.editor[3:15]
    assert summary[("device:s1", "MQTT PUBLISH", "/{apikey}/s1/attrs", 200)]["count"] == 3
    assert summary[(editor_id, "MQTT PUBLISH", "/{apikey}/s2/attrs", 200)]["count"] == 2
    assert summary[("device:s1", "MQTT PUBLISH", "/json/{apikey}/s1/attrs", 400)]["count"] == 1
    assert summary[("device:s1", "CoAP POST", "/iot/json", 200)]["count"] == 2
    assert len(records) == 4, records
    for record in records:
        assert record["kind"] == "write" and record["tenant"] == CITY
        assert "/dk/" not in record["path"] and "key=" not in record["path"]
        assert record["since"] <= record["time"]
    device_record = summary[("device:s1", "MQTT PUBLISH", "/{apikey}/s1/attrs", 200)]
    assert device_record["device"] == "s1" and device_record["role"] == "device"
    assert device_record["scope"] == CITY
    # Another tenant's admin sees none of them.
    other = devices.call("GET", "/citytwin/v1/audit", tenant="elsewhere", expect=200)["records"]
    assert not [r for r in other if r["method"] in ("MQTT PUBLISH", "CoAP POST")]
