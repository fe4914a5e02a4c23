"""Web console login (docs/security.md, "Console sessions"): an API key exchanged for a
session cookie (HttpOnly, SameSite=Strict, Path=/, bounded Max-Age; Secure and HSTS over TLS)
and a CSRF token; state-changing requests authenticated by the cookie need the token in
X-CSRF-Token (403 ProblemDetails without it), requests with a key in the headers are
unaffected; logout ends the session on the server; sessions expire, and end with their key."""
import os
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import CityTwinServer
from test_pki import make_ca_and_server_cert

BINARY = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
SESSION = "/citytwin/v1/session"
ENTITIES = "/ngsi-ld/v1/entities"


def make_key(data, role, tenant="*"):
    return subprocess.run([BINARY, "keys", "create", "--data", os.path.join(data, "db"),
                           "--role", role, "--tenant", tenant], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def server():
    data = tempfile.mkdtemp(prefix="citytwin-session-")
    admin = make_key(data, "admin")
    editor = make_key(data, "editor", "")
    instance = CityTwinServer(data_dir=data, auth=True,
                              extra_args=["--console-session-ttl-s", "3600"]).start()
    instance.admin_key, instance.editor_key = admin, editor
    yield instance
    instance.stop()
    shutil.rmtree(data, ignore_errors=True)


def log_in(server, key, **kwargs):
    """A requests.Session holding the cookie, and the login answer."""
    browser = requests.Session()
    answer = browser.post(server.url + SESSION, headers={"Authorization": f"Bearer {key}"},
                          **kwargs)
    return browser, answer


def set_cookie_attributes(answer):
    header = answer.headers["Set-Cookie"]
    name_value, *attributes = [part.strip() for part in header.split(";")]
    return name_value, {a.split("=")[0].lower(): (a.split("=", 1) + [""])[1] for a in attributes}


def thing(entity_id):
    return {"id": entity_id, "type": "Thing", "n": {"type": "Property", "value": 1}}


def test_login_sets_a_strict_http_only_cookie(server):
    browser, answer = log_in(server, server.editor_key)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["role"] == "editor" and body["tenant"] == ""
    assert len(body["csrfToken"]) >= 43
    assert answer.headers["Cache-Control"] == "no-store"
    name_value, attributes = set_cookie_attributes(answer)
    assert name_value.startswith("ct_session=") and len(name_value) > len("ct_session=") + 40
    assert "httponly" in attributes
    assert attributes["samesite"] == "Strict"
    assert attributes["path"] == "/"
    assert attributes["max-age"] == "3600"
    assert "secure" not in attributes  # plain HTTP here; see the TLS test
    # The cookie alone authenticates reads.
    assert browser.get(server.url + ENTITIES + "?type=Thing").status_code == 200
    assert browser.get(server.url + SESSION).json()["csrfToken"] == body["csrfToken"]
    assert server.editor_key not in answer.text and server.editor_key not in server.log()


def test_bad_credentials_get_no_session(server):
    browser, answer = log_in(server, "ct_000000000000.bogus")
    assert answer.status_code == 401
    assert "Set-Cookie" not in answer.headers
    assert requests.post(server.url + SESSION).status_code == 401
    assert requests.get(server.url + SESSION).status_code == 401


def test_writes_by_cookie_need_the_csrf_token(server):
    browser, answer = log_in(server, server.editor_key)
    csrf = answer.json()["csrfToken"]
    refused = browser.post(server.url + ENTITIES, json=thing("urn:ngsi-ld:Thing:csrf1"))
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/json")
    problem = refused.json()
    assert problem["type"].endswith("/Forbidden") and "CSRF" in problem["detail"]
    wrong = browser.post(server.url + ENTITIES, json=thing("urn:ngsi-ld:Thing:csrf1"),
                         headers={"X-CSRF-Token": csrf[:-2] + "xx"})
    assert wrong.status_code == 403
    assert requests.get(server.url + ENTITIES + "/urn:ngsi-ld:Thing:csrf1",
                        headers={"Authorization": f"Bearer {server.admin_key}"}).status_code == 404
    made = browser.post(server.url + ENTITIES, json=thing("urn:ngsi-ld:Thing:csrf1"),
                        headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    # Another session's token does not do.
    _, other = log_in(server, server.editor_key)
    assert browser.delete(server.url + ENTITIES + "/urn:ngsi-ld:Thing:csrf1",
                          headers={"X-CSRF-Token": other.json()["csrfToken"]}).status_code == 403


def test_requests_with_a_key_in_the_headers_are_unaffected(server):
    browser, _ = log_in(server, server.editor_key)
    # A key in the headers wins over the cookie, and needs no CSRF token.
    made = browser.post(server.url + ENTITIES, json=thing("urn:ngsi-ld:Thing:hdr1"),
                        headers={"Authorization": f"Bearer {server.editor_key}"})
    assert made.status_code == 201, made.text
    made = requests.post(server.url + ENTITIES, json=thing("urn:ngsi-ld:Thing:hdr2"),
                         headers={"X-API-Key": server.editor_key})
    assert made.status_code == 201, made.text


def test_the_session_has_the_rights_of_its_key(server):
    browser, answer = log_in(server, server.editor_key)
    assert browser.get(server.url + "/metrics").status_code == 403  # editor, not global admin
    assert browser.get(server.url + ENTITIES + "?type=Thing",
                       headers={"NGSILD-Tenant": "other"}).status_code == 403


def test_logout_ends_the_session_on_the_server(server):
    browser, answer = log_in(server, server.editor_key)
    csrf = answer.json()["csrfToken"]
    cookie = browser.cookies.get("ct_session")
    assert browser.delete(server.url + SESSION).status_code == 403  # no CSRF token
    assert browser.get(server.url + SESSION).status_code == 200
    out = browser.delete(server.url + SESSION, headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    name_value, attributes = set_cookie_attributes(out)
    assert name_value == "ct_session=" and attributes["max-age"] == "0"
    # Replaying the old cookie (a copy kept by an attacker) no longer works.
    replay = {"Cookie": f"ct_session={cookie}"}
    assert requests.get(server.url + ENTITIES + "?type=Thing", headers=replay).status_code == 401
    assert requests.get(server.url + SESSION, headers=replay).status_code == 401


def test_revoking_the_key_ends_its_sessions(server):
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    made = requests.post(server.url + "/citytwin/v1/keys", headers=admin,
                         json={"role": "viewer", "tenant": ""})
    assert made.status_code == 201, made.text
    browser, answer = log_in(server, made.json()["key"])
    assert browser.get(server.url + ENTITIES + "?type=Thing").status_code == 200
    assert requests.delete(server.url + "/citytwin/v1/keys/" + made.json()["id"],
                           headers=admin).status_code == 204
    assert browser.get(server.url + ENTITIES + "?type=Thing").status_code == 401
    assert browser.get(server.url + SESSION).status_code == 401


def test_sessions_expire():
    data = tempfile.mkdtemp(prefix="citytwin-session-ttl-")
    key = make_key(data, "viewer", "")
    instance = CityTwinServer(data_dir=data, auth=True,
                              extra_args=["--console-session-ttl-s", "1"]).start()
    try:
        browser, answer = log_in(instance, key)
        assert set_cookie_attributes(answer)[1]["max-age"] == "1"
        assert browser.get(instance.url + ENTITIES + "?type=Thing").status_code == 200
        time.sleep(1.2)  # past the lifetime; the server's clock decides, not the browser's
        cookie = answer.headers["Set-Cookie"].split(";")[0]
        replay = {"Cookie": cookie}
        assert requests.get(instance.url + ENTITIES + "?type=Thing",
                            headers=replay).status_code == 401
        assert requests.get(instance.url + SESSION, headers=replay).status_code == 401
    finally:
        instance.stop()
        shutil.rmtree(data, ignore_errors=True)


def test_over_tls_the_cookie_is_secure_and_hsts_is_sent():
    data = tempfile.mkdtemp(prefix="citytwin-session-tls-")
    try:
        ca = make_ca_and_server_cert(data, "console")
        key = make_key(data, "viewer", "")
        instance = CityTwinServer(data_dir=data, auth=True, tls_ca=ca, extra_args=[
            "--tls-cert", os.path.join(data, "console-server.pem"),
            "--tls-key", os.path.join(data, "console-server.key")]).start()
        try:
            browser, answer = log_in(instance, key, verify=ca)
            assert answer.status_code == 201
            assert "secure" in set_cookie_attributes(answer)[1]
            assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
            shell = requests.get(instance.url + "/", verify=ca)
            assert shell.headers["Strict-Transport-Security"] == "max-age=31536000"
        finally:
            instance.stop()
    finally:
        shutil.rmtree(data, ignore_errors=True)
