"""Device credentials on the built-in broker (issue #4 "CONNECT with per-device or per-group
credentials"; docs/security.md "Device credentials"): a credential made with
POST /iot/credentials lets its device (or every device of its group) connect, publish only
to its own topics and subscribe only to its own command topics; no, wrong or deleted
credentials are refused at CONNECT. Anonymous clients are refused (--mqtt-anonymous deny).
Real clients (mosquitto_pub, mosquitto_sub), 127.0.0.1 only."""
import os
import subprocess
import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import V1, quote  # noqa: E402

WAIT = 10


@pytest.fixture(scope="module")
def server():
    instance = CityTwinServer(extra_args=["--mqtt-anonymous", "deny"]).start()
    group = {"apikey": "cred-key", "entity_type": "Thing", "resource": "/iot/json"}
    response = requests.post(instance.url + "/iot/services", json={"services": [group]})
    assert response.status_code == 201, response.text
    yield instance
    instance.cleanup()


def credential(server, tenant=None, **body):
    headers = {"NGSILD-Tenant": tenant} if tenant else {}
    response = requests.post(server.url + "/iot/credentials", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def mqtt(server, tool, *args, version="mqttv5"):
    done = subprocess.run([tool, "-h", "127.0.0.1", "-p", str(server.mqtt_port), "-V", version,
                           "-q", "1", *args], capture_output=True, text=True, timeout=WAIT)
    return done.returncode, done.stdout + done.stderr


def publish(server, topic, value, *login, version="mqttv5"):
    return mqtt(server, "mosquitto_pub", *login, "-t", topic, "-m", f'{{"t": {value}}}',
                version=version)


def value(server, device):
    response = requests.get(f"{server.url}{V1}/entities/{quote('urn:ngsi-ld:Thing:' + device)}")
    if response.status_code == 404:
        return None
    return response.json()["t"]["value"]


def test_a_device_credential_publishes_to_its_own_topics_only(server):
    made = credential(server, apikey="cred-key", device_id="dev1")
    assert made["username"] == "dev1" and made["password"].startswith("dp_")
    login = ("-u", "dev1", "-P", made["password"])
    assert publish(server, "/cred-key/dev1/attrs", 1, *login)[0] == 0
    assert value(server, "dev1") == 1
    # Another device's topic: refused with 0x87 (MQTT 5), the connection closed (3.1.1).
    code, output = publish(server, "/cred-key/dev2/attrs", 2, *login)
    assert "Not authorized" in output
    code, output = publish(server, "/cred-key/dev2/attrs", 3, *login, version="mqttv311")
    assert code != 0
    assert value(server, "dev2") is None
    # Subscriptions: its own command topic only.
    code, output = mqtt(server, "mosquitto_sub", *login, "-t", "/cred-key/dev2/cmd", "-C", "1")
    assert "denied" in output
    code, output = mqtt(server, "mosquitto_sub", *login, "-t", "/cred-key/dev1/cmd", "-C", "1",
                        "-W", "1")
    assert "denied" not in output


def test_a_group_credential_covers_every_device_of_its_apikey(server):
    made = credential(server, apikey="cred-key", username="gateway")
    login = ("-u", "gateway", "-P", made["password"])
    assert publish(server, "/cred-key/dev5/attrs", 5, *login)[0] == 0
    assert publish(server, "ul/cred-key/dev6/attrs", 6, *login)[0] == 0
    assert value(server, "dev5") == 5
    assert "Not authorized" in publish(server, "/other-key/dev5/attrs", 7, *login)[1]


def test_no_wrong_or_deleted_credentials_are_refused_at_connect(server):
    made = credential(server, apikey="cred-key", device_id="dev7")
    code, output = publish(server, "/cred-key/dev7/attrs", 1)
    assert code != 0 and "bad user name or password" in output.lower()
    code, output = publish(server, "/cred-key/dev7/attrs", 1, "-u", "dev7", "-P", "dp_wrong")
    assert code != 0 and "bad user name or password" in output.lower()
    assert value(server, "dev7") is None
    listed = requests.get(server.url + "/iot/credentials").json()
    assert "dev7" in [c["username"] for c in listed["credentials"]]
    assert all("password" not in c and "sha256" not in c for c in listed["credentials"])
    assert requests.delete(server.url + "/iot/credentials/dev7").status_code == 204
    code, output = publish(server, "/cred-key/dev7/attrs", 1, "-u", "dev7", "-P", made["password"])
    assert code != 0


def test_a_credential_writes_only_into_its_own_tenant(server):
    # Made in tenant "elsewhere"; the group lives in the default tenant.
    made = credential(server, tenant="elsewhere", apikey="cred-key", device_id="dev8")
    code, output = publish(server, "/cred-key/dev8/attrs", 8, "-u", "dev8", "-P", made["password"])
    assert "Not authorized" in output
    assert value(server, "dev8") is None


def test_bad_credential_requests_are_refused(server):
    for body in ({"device_id": "x"}, {"apikey": "a/b"}, {"apikey": "k", "extra": 1}):
        response = requests.post(server.url + "/iot/credentials", json=body)
        assert response.status_code == 400, response.text
    credential(server, apikey="cred-key", device_id="dup")
    response = requests.post(server.url + "/iot/credentials",
                             json={"apikey": "cred-key", "device_id": "dup"})
    assert response.status_code == 409
    assert requests.delete(server.url + "/iot/credentials/nobody").status_code == 404
