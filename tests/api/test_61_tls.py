"""HTTPS for the HTTP server (docs/security.md, "HTTPS"): a throwaway CA and server
certificate made at test time with the openssl command, the real binary serving TLS on
127.0.0.1, verified requests, plain HTTP refused, HSTS, and a certificate swap on SIGHUP that
new connections see while an open connection keeps working."""
import http.client
import os
import shutil
import signal
import ssl
import tempfile
import time

import pytest
import requests

from conftest import CityTwinServer
from ngsild import check_large_answers
from test_pki import make_ca_and_server_cert


@pytest.fixture(scope="module")
def pki():
    directory = tempfile.mkdtemp(prefix="citytwin-tls-")
    first_ca = make_ca_and_server_cert(directory, "first")
    second_ca = make_ca_and_server_cert(directory, "second")
    # The server reads these two paths; the swap test replaces their contents.
    shutil.copy(os.path.join(directory, "first-server.pem"), os.path.join(directory, "cert.pem"))
    shutil.copy(os.path.join(directory, "first-server.key"), os.path.join(directory, "key.pem"))
    yield {"dir": directory, "first_ca": first_ca, "second_ca": second_ca,
           "cert": os.path.join(directory, "cert.pem"), "key": os.path.join(directory, "key.pem")}
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def tls_server(pki):
    shutil.copy(os.path.join(pki["dir"], "first-server.pem"), pki["cert"])
    shutil.copy(os.path.join(pki["dir"], "first-server.key"), pki["key"])
    instance = CityTwinServer(extra_args=["--tls-cert", pki["cert"], "--tls-key", pki["key"]],
                              tls_ca=pki["first_ca"], log_level="info").start()
    yield instance
    instance.cleanup()


def test_verified_https_requests_succeed_with_hsts(tls_server, pki):
    assert tls_server.url.startswith("https://127.0.0.1:")
    response = requests.get(tls_server.url + "/version", verify=pki["first_ca"], timeout=5)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    created = requests.post(tls_server.url + "/ngsi-ld/v1/entities", verify=pki["first_ca"],
                            timeout=5, json={"id": "urn:ngsi-ld:T:1", "type": "T",
                                             "n": {"type": "Property", "value": 1}})
    assert created.status_code == 201, created.text
    # Errors carry HSTS too.
    missing = requests.get(tls_server.url + "/nowhere", verify=pki["first_ca"], timeout=5)
    assert missing.status_code == 404
    assert "Strict-Transport-Security" in missing.headers


def test_tls_version_is_at_least_1_2_with_an_aead_cipher(tls_server, pki):
    context = ssl.create_default_context(cafile=pki["first_ca"])
    connection = http.client.HTTPSConnection("127.0.0.1", tls_server.port, context=context,
                                             timeout=5)
    connection.request("GET", "/health")
    assert connection.getresponse().status == 200
    assert connection.sock.version() in ("TLSv1.2", "TLSv1.3")
    cipher_name = connection.sock.cipher()[0]
    assert "GCM" in cipher_name or "CHACHA20" in cipher_name, cipher_name
    connection.close()


def test_tls_1_1_is_refused(tls_server, pki):
    context = ssl.create_default_context(cafile=pki["first_ca"])
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("ALL:@SECLEVEL=0")
    connection = http.client.HTTPSConnection("127.0.0.1", tls_server.port, context=context,
                                             timeout=5)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        connection.request("GET", "/health")
        connection.getresponse()
    connection.close()


def test_an_unknown_ca_is_not_trusted(tls_server, pki):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_server.url + "/health", verify=pki["second_ca"], timeout=5)


def test_plain_http_on_the_tls_port_fails(tls_server):
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{tls_server.port}/health", timeout=5)
    # The server is still fine afterwards.
    assert requests.get(tls_server.url + "/health", verify=tls_server.tls_ca,
                        timeout=5).status_code == 200


def test_sighup_swaps_the_certificate_without_dropping_connections(tls_server, pki):
    context = ssl.create_default_context(cafile=pki["first_ca"])
    kept = http.client.HTTPSConnection("127.0.0.1", tls_server.port, context=context, timeout=5)
    kept.request("GET", "/health")
    first = kept.getresponse()
    first.read()
    assert first.status == 200
    kept_socket = kept.sock

    # Replace the files (rename: the server never reads a half-written file), then SIGHUP.
    for source, target in (("second-server.pem", pki["cert"]), ("second-server.key", pki["key"])):
        shutil.copy(os.path.join(pki["dir"], source), target + ".new")
        os.replace(target + ".new", target)
    tls_server.process.send_signal(signal.SIGHUP)

    deadline = time.monotonic() + 15
    while True:
        try:
            response = requests.get(tls_server.url + "/health", verify=pki["second_ca"],
                                    timeout=5)
            break
        except requests.exceptions.SSLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    assert response.status_code == 200
    assert "TLS certificate and key reloaded" in tls_server.log()
    # New handshakes present the new certificate only.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_server.url + "/health", verify=pki["first_ca"], timeout=5)
    # The connection opened before the swap is still open and still answers.
    kept.request("GET", "/version")
    again = kept.getresponse()
    again.read()
    assert again.status == 200
    assert kept.sock is kept_socket
    kept.close()
    assert tls_server.process.poll() is None


def test_a_broken_pair_on_sighup_keeps_the_old_one(tls_server, pki):
    with open(pki["key"], "w") as broken:
        broken.write("not a key\n")
    tls_server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 15
    while "TLS reload failed" not in tls_server.log():
        assert time.monotonic() < deadline, tls_server.log()
        time.sleep(0.05)
    assert requests.get(tls_server.url + "/health", verify=pki["first_ca"],
                        timeout=5).status_code == 200


def test_missing_certificate_file_refuses_to_start(pki):
    instance = CityTwinServer(extra_args=["--tls-cert", os.path.join(pki["dir"], "absent.pem"),
                                          "--tls-key", pki["key"]], tls_ca=pki["first_ca"])
    with pytest.raises(RuntimeError, match="cannot use TLS certificate"):
        instance.start(timeout=10)
    instance.cleanup()


def test_large_answers_arrive_whole_over_tls(tls_server, pki):
    with requests.Session() as session:
        check_large_answers(session, tls_server.url, verify=pki["first_ca"])
