"""X.509 client certificates on the built-in broker's TLS listener (docs/mqtt.md, "Client
certificates"): a certificate signed by the configured client CA whose subject CN names a
device credential lets that device connect without a password, publish only for itself and
subscribe only to its own commands, exactly as the credential's password would; expired and
untrusted certificates fail the TLS handshake; a CN naming no credential, or a CONNECT user
name other than the CN, is refused at CONNECT. CAs and certificates are made at test time
(openssl); the clients are mosquitto_pub and mosquitto_sub with --cafile/--cert/--key;
127.0.0.1 only."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import CityTwinServer
from ngsild import V1, quote
from test_pki import make_ca, make_ca_and_server_cert, make_client_cert

WAIT = 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pki():
    directory = tempfile.mkdtemp(prefix="citytwin-mtls-")
    paths = {"dir": directory, "broker_ca": make_ca_and_server_cert(directory, "broker"),
             "device_ca": make_ca(directory, "devices"), "rogue_ca": make_ca(directory, "rogue")}
    paths["dev1"] = make_client_cert(directory, "devices", "dev1", "dev1")
    paths["expired"] = make_client_cert(directory, "devices", "expired", "dev1", days="-1")
    paths["rogue"] = make_client_cert(directory, "rogue", "rogue-dev1", "dev1")
    paths["nobody"] = make_client_cert(directory, "devices", "nobody", "nobody")
    yield paths
    shutil.rmtree(directory, ignore_errors=True)


def start(pki, *extra):
    tls_port = free_port()
    instance = CityTwinServer(extra_args=[
        "--mqtt-anonymous", "deny", "--mqtt-tls-listen", f"127.0.0.1:{tls_port}",
        "--mqtt-tls-cert", os.path.join(pki["dir"], "broker-server.pem"),
        "--mqtt-tls-key", os.path.join(pki["dir"], "broker-server.key"),
        "--mqtt-tls-client-ca", pki["device_ca"], *extra]).start()
    instance.tls_port = tls_port
    group = {"apikey": "cert-key", "entity_type": "Thing", "resource": "/iot/json"}
    assert requests.post(instance.url + "/iot/services", json={"services": [group]}).ok
    made = requests.post(instance.url + "/iot/credentials",
                         json={"apikey": "cert-key", "device_id": "dev1"})
    assert made.status_code == 201, made.text
    instance.password = made.json()["password"]
    return instance


@pytest.fixture(scope="module")
def server(pki):
    instance = start(pki)
    yield instance
    instance.cleanup()


def mqtt(server, pki, tool, *args, cert=None, version="mqttv5"):
    tls = ["--cafile", pki["broker_ca"]]
    if cert:
        tls += ["--cert", pki[cert][0], "--key", pki[cert][1]]
    done = subprocess.run([tool, "-h", "127.0.0.1", "-p", str(server.tls_port), "-V", version,
                           "-q", "1", *tls, *args], capture_output=True, text=True, timeout=WAIT)
    return done.returncode, done.stdout + done.stderr


def publish(server, pki, topic, number, *args, **kwargs):
    return mqtt(server, pki, "mosquitto_pub", "-t", topic, "-m", f'{{"t": {number}}}', *args,
                **kwargs)


def value(server, device):
    response = requests.get(f"{server.url}{V1}/entities/{quote('urn:ngsi-ld:Thing:' + device)}")
    return None if response.status_code == 404 else response.json()["t"]["value"]


def handshake_failures(server):
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith('citytwin_mqtt_rejected{cause="tls_handshake_failed"}'):
            return float(line.split()[-1])
    return 0.0


def wait_for_handshake_failures(server, count):
    """The client may exit before the broker's side of the failed handshake is counted."""
    deadline = time.monotonic() + WAIT
    while handshake_failures(server) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return handshake_failures(server)


def test_a_trusted_certificate_is_its_devices_credential(server, pki):
    code, output = publish(server, pki, "/cert-key/dev1/attrs", 1, cert="dev1")
    assert code == 0, output
    assert value(server, "dev1") == 1
    # MQTT 3.1.1 too, and a CONNECT user name equal to the CN is fine.
    code, output = publish(server, pki, "/cert-key/dev1/attrs", 2, "-u", "dev1", cert="dev1",
                           version="mqttv311")
    assert code == 0, output
    assert value(server, "dev1") == 2


def test_the_certificate_allows_its_own_topics_only(server, pki):
    code, output = publish(server, pki, "/cert-key/dev2/attrs", 3, cert="dev1")
    assert "Not authorized" in output
    assert publish(server, pki, "/cert-key/dev2/attrs", 4, cert="dev1",
                   version="mqttv311")[0] != 0
    assert value(server, "dev2") is None
    code, output = mqtt(server, pki, "mosquitto_sub", "-t", "/cert-key/dev2/cmd", "-C", "1",
                        cert="dev1")
    assert "denied" in output
    code, output = mqtt(server, pki, "mosquitto_sub", "-t", "/cert-key/dev1/cmd", "-C", "1",
                        "-W", "1", cert="dev1")
    assert "denied" not in output


@pytest.mark.parametrize("cert", ["expired", "rogue"])
def test_expired_and_untrusted_certificates_fail_the_handshake(server, pki, cert):
    before = handshake_failures(server)
    code, output = publish(server, pki, "/cert-key/dev1/attrs", 99, cert=cert)
    assert code != 0
    assert wait_for_handshake_failures(server, before + 1) == before + 1
    assert value(server, "dev1") != 99


def test_a_certificate_naming_no_credential_is_refused_at_connect(server, pki):
    code, output = publish(server, pki, "/cert-key/nobody/attrs", 5, cert="nobody")
    assert code != 0
    assert "authori" in output.lower() or "password" in output.lower(), output
    assert value(server, "nobody") is None


def test_a_user_name_other_than_the_cn_is_refused(server, pki):
    code, output = publish(server, pki, "/cert-key/dev1/attrs", 6, "-u", "dev9", "-P", "x",
                           cert="dev1")
    assert code != 0
    assert value(server, "dev1") != 6


def test_without_a_certificate_the_password_still_works(server, pki):
    code, output = publish(server, pki, "/cert-key/dev1/attrs", 7, "-u", "dev1", "-P",
                           server.password)
    assert code == 0, output
    assert value(server, "dev1") == 7
    code, output = publish(server, pki, "/cert-key/dev1/attrs", 8)  # anonymous: denied
    assert code != 0


def test_a_required_certificate_refuses_clients_without_one(pki):
    instance = start(pki, "--mqtt-tls-require-client-cert")
    try:
        before = handshake_failures(instance)
        code, _ = publish(instance, pki, "/cert-key/dev1/attrs", 9, "-u", "dev1", "-P",
                          instance.password)
        assert code != 0
        assert wait_for_handshake_failures(instance, before + 1) == before + 1
        assert publish(instance, pki, "/cert-key/dev1/attrs", 10, cert="dev1")[0] == 0
        assert value(instance, "dev1") == 10
    finally:
        instance.cleanup()
