"""Bearer-token keys fetched from the identity provider's JWKS URL (docs/security.md, "Keys
from the provider's URL"): a local HTTPS JWKS server on 127.0.0.1 with a CA made at test
time, a key rotation picked up when a token names the new key, old keys kept while the
provider is down, forged key ids not causing fetch storms, certificate verification on, and
the SSRF policy refusing a loopback JWKS URL without ever contacting it."""
import http.server
import json
import os
import shutil
import ssl
import tempfile
import threading
import time

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import CityTwinServer
from jwt_tokens import rsa_jwk, sign_rs256
from test_pki import make_ca_and_server_cert

ISSUER = "https://idp.test"
AUDIENCE = "citytwin-api"
ENTITIES = "/ngsi-ld/v1/entities?type=Thing"
KEYS = {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048)
        for kid in ("r1", "r2", "r3")}


def token(kid, **claims):
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "svc", "iat": now, "exp": now + 600,
            "roles": ["viewer"]}
    body.update(claims)
    return {"Authorization": "Bearer " + sign_rs256(KEYS[kid], kid, body)}


class JwksServer:
    """Serves {"keys": [...]} of the kids in `self.kids` over HTTPS; counts requests."""

    def __init__(self, directory):
        self.kids = ["r1"]
        self.requests = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests += 1
                body = json.dumps({"keys": [rsa_jwk(KEYS[k], k) for k in owner.kids]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/jwk-set+json")
                self.send_header("Cache-Control", "public, max-age=3600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(directory, "idp-server.pem"),
                                os.path.join(directory, "idp-server.key"))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}/realms/city/certs"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def pki():
    directory = tempfile.mkdtemp(prefix="citytwin-jwks-")
    ca = make_ca_and_server_cert(directory, "idp")
    yield {"dir": directory, "ca": ca}
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def idp(pki):
    server = JwksServer(pki["dir"])
    yield server
    server.stop()


def citytwin(idp_url, ca, *extra, outbound_allow=("127.0.0.0/8", "::1")):
    args = ["--jwks-url", idp_url, "--jwt-issuer", ISSUER, "--jwt-audience", AUDIENCE,
            *(["--jwks-ca-file", ca] if ca else []), *extra]
    return CityTwinServer(auth=True, log_level="info", extra_args=args,
                          outbound_allow=outbound_allow)


def fetches(server, result):
    text = requests.get(server.url + "/metrics", headers=token("r1", roles="admin", tenant="*"),
                        timeout=10).text
    for line in text.splitlines():
        if line.startswith("citytwin_jwks_fetch_total{") and f'result="{result}"' in line:
            yield line


def test_rotation_is_fetched_and_old_keys_survive_an_outage(idp, pki):
    server = citytwin(idp.url, pki["ca"], "--jwks-unknown-key-interval-s", "0").start()
    try:
        assert idp.requests == 1  # fetched once at start-up
        assert requests.get(server.url + ENTITIES, headers=token("r1"), timeout=10).ok
        assert requests.get(server.url + ENTITIES, headers=token("r1"), timeout=10).ok
        assert idp.requests == 1  # cached (max-age=3600)

        # The provider rotates: r2 appears. The first token naming r2 makes the server fetch.
        idp.kids = ["r1", "r2"]
        answer = requests.get(server.url + ENTITIES, headers=token("r2"), timeout=10)
        assert answer.status_code == 200, answer.text
        assert idp.requests == 2

        # The provider goes down: tokens of known keys keep working; an unknown key is 401
        # (the fetch it prompts fails at once: connection refused), not a hang.
        idp.stop()
        assert requests.get(server.url + ENTITIES, headers=token("r1"), timeout=10).ok
        refused = requests.get(server.url + ENTITIES, headers=token("r3"), timeout=10)
        assert refused.status_code == 401
        assert "invalid_token" in refused.headers["WWW-Authenticate"]
        assert requests.get(server.url + ENTITIES, headers=token("r2"), timeout=10).ok
        assert list(fetches(server, "failed")), "the failed fetch is counted"
        assert "keeping the keys in use" in server.log()
    finally:
        server.cleanup()


def test_forged_key_ids_do_not_cause_a_fetch_storm(idp, pki):
    server = citytwin(idp.url, pki["ca"], "--jwks-unknown-key-interval-s", "3600").start()
    try:
        assert idp.requests == 1
        for _ in range(20):
            forged = requests.get(server.url + ENTITIES, headers=token("r3"), timeout=10)
            assert forged.status_code == 401
        assert idp.requests == 1
        metrics = requests.get(server.url + "/metrics", timeout=10,
                               headers=token("r1", roles="admin", tenant="*")).text
        assert "citytwin_jwks_refetch_skipped_total 20" in metrics
    finally:
        server.cleanup()


def test_an_untrusted_certificate_is_refused(idp):
    # No --jwks-ca-file: the test CA is not in the system store, so the handshake fails.
    server = citytwin(idp.url, None).start()
    try:
        assert idp.requests == 0
        refused = requests.get(server.url + ENTITIES, headers=token("r1"), timeout=10)
        assert refused.status_code == 401
        assert "TLS handshake failed" in server.log()
    finally:
        server.cleanup()


def test_the_outbound_policy_refuses_a_loopback_jwks_url(idp, pki):
    server = citytwin(idp.url, pki["ca"], outbound_allow=())
    with pytest.raises(RuntimeError, match="security.jwks_url: refused to connect to 127.0.0.1"):
        server.start(timeout=10)
    server.cleanup()
    assert idp.requests == 0  # never contacted


def test_plain_http_jwks_urls_are_refused_at_start(pki):
    server = citytwin("http://127.0.0.1:9/certs", pki["ca"])
    with pytest.raises(RuntimeError, match="must be an https:// URL"):
        server.start(timeout=10)
    server.cleanup()
