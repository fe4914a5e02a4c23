"""Security (issue #6, first slice): API keys, roles per tenant, tenant isolation, the keys
API and CLI, and the refusal to serve an open API on a network address (docs/security.md).

Every server here runs with authentication required (the binary's default); traffic goes to
127.0.0.1 only.
"""
import base64
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
import json
import urllib.parse

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import V1, assert_problem  # noqa: E402

BINARY = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
KEYS = "/citytwin/v1/keys"
ROLES = ("anonymous", "device", "viewer", "editor", "admin", "global")


def cli(*args, check=True):
    out = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=60)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def cli_key(data_dir, role, tenant="", *extra):
    return cli("keys", "create", "--data", data_dir, "--role", role, "--tenant", tenant,
               *extra).stdout.strip()


def auth(key, tenant=None, bearer=True):
    headers = {}
    if isinstance(key, tuple):  # a device credential (user name, password): HTTP Basic
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(key).encode()).decode()
    elif key is not None:
        headers["Authorization" if bearer else "X-API-Key"] = (
            f"Bearer {key}" if bearer else key)
    if tenant is not None:
        headers["NGSILD-Tenant"] = tenant
    return headers


def db_dir(server):
    return os.path.join(server.data_dir, "db")


class Secured:
    """A running server with one key per role (default tenant), a global admin key, and a
    device credential of device m-device of group mk (the device role)."""

    def __init__(self):
        self.data_dir = tempfile.mkdtemp(prefix="citytwin-sec-")
        # The first admin key is made offline, like `make demo` does.
        self.global_key = cli_key(os.path.join(self.data_dir, "db"), "admin", "*")
        self.server = CityTwinServer(data_dir=self.data_dir, auth=True,
                                     log_level="info").start()
        self.keys = {"anonymous": None, "global": self.global_key}
        self.secrets = [self.global_key]
        for role in ("viewer", "editor", "admin"):
            self.keys[role] = self.create_key({"role": role, "name": f"test {role}"})["key"]
        groups = {"services": [{"apikey": "mk", "resource": "/iot/json", "entity_type": "Meter"}]}
        response = requests.post(self.url + "/iot/services", json=groups,
                                 headers=auth(self.global_key))
        assert response.status_code == 201, response.text
        response = requests.post(self.url + "/iot/credentials", headers=auth(self.global_key),
                                 json={"apikey": "mk", "device_id": "m-device"})
        assert response.status_code == 201, response.text
        self.keys["device"] = ("m-device", response.json()["password"])

    @property
    def url(self):
        return self.server.url

    def create_key(self, spec, key=None):
        response = requests.post(self.url + KEYS, json=spec,
                                 headers=auth(key or self.global_key))
        assert response.status_code == 201, response.text
        body = response.json()
        self.secrets.append(body["key"])
        return body

    def cleanup(self):
        self.server.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def secured():
    instance = Secured()
    yield instance
    instance.cleanup()


def thing(entity_id, value=1):
    return {"id": entity_id, "type": "Thing",
            "temperature": {"type": "Property", "value": value,
                            "observedAt": "2026-03-01T10:00:00Z"}}


def quote(text):
    return urllib.parse.quote(text, safe="")


# (label, permission, method, path, body); {e} is an entity id of the role being tested, {r}
# the role. Permissions: public, read, write, admin (of the tenant), global (admin of every
# tenant), device (a device for itself: device m-{r} of group mk; editors for any device).
MATRIX = [
    ("health", "public", "GET", "/health", None),
    ("version", "public", "GET", "/version", None),
    ("create entity", "write", "POST", V1 + "/entities", lambda e: thing(e)),
    ("retrieve entity", "read", "GET", V1 + "/entities/{e}", None),
    ("query entities", "read", "GET", V1 + "/entities?type=Thing", None),
    ("merge entity", "write", "PATCH", V1 + "/entities/{e}",
     {"temperature": {"type": "Property", "value": 2}}),
    ("append attrs", "write", "POST", V1 + "/entities/{e}/attrs",
     {"humidity": {"type": "Property", "value": 50}}),
    ("patch attr", "write", "PATCH", V1 + "/entities/{e}/attrs/temperature", {"value": 3}),
    ("batch upsert", "write", "POST", V1 + "/entityOperations/upsert",
     lambda e: [thing(e + "-batch")]),
    ("query post", "read", "POST", V1 + "/entityOperations/query",
     {"type": "Query", "entities": [{"type": "Thing"}]}),
    ("temporal write", "write", "POST", V1 + "/temporal/entities", lambda e: thing(e + "-t")),
    ("temporal retrieve", "read", "GET", V1 + "/temporal/entities/{e}", None),
    ("temporal query post", "read", "POST", V1 + "/temporal/entityOperations/query",
     {"type": "Query", "entities": [{"type": "Thing"}], "temporalQ": {
         "timerel": "after", "timeAt": "2026-01-01T00:00:00Z"}}),
    ("export", "read", "GET", "/citytwin/v1/export?type=Thing", None),
    ("types", "read", "GET", V1 + "/types", None),
    ("attributes", "read", "GET", V1 + "/attributes", None),
    ("list contexts", "read", "GET", V1 + "/jsonldContexts", None),
    ("add context", "write", "POST", V1 + "/jsonldContexts",
     {"@context": {"thing": "https://example.org/thing"}}),
    ("delete context", "global", "DELETE", V1 + "/jsonldContexts/no-such-context", None),
    ("list keys", "global", "GET", KEYS, None),
    ("create key", "global", "POST", KEYS, {"role": "viewer", "tenant": "x"}),
    ("metrics", "global", "GET", "/metrics", None),
    ("read open data", "admin", "GET", "/citytwin/v1/open-data", None),
    ("set open data", "admin", "PUT", "/citytwin/v1/open-data", {"types": []}),
    ("read personal data", "admin", "GET", "/citytwin/v1/personal-data", None),
    ("set personal data", "admin", "PUT", "/citytwin/v1/personal-data", {"rules": []}),
    ("device measure", "device", "POST", "/iot/json?k=mk&i=m-{r}", {"v": 1}),
    ("device command poll", "device", "GET", "/iot/json?k=mk&i=m-{r}&getCmd=1", None),
    ("device command result", "device", "POST", "/iot/json/commands?k=mk&i=m-{r}", {"x": 1}),
    ("LoRaWAN uplink", "device", "POST", "/iot/lorawan/ttn?k=mk",
     {"end_device_ids": {"device_id": "m-{r}"}, "uplink_message": {"decoded_payload": {"v": 1}}}),
    ("another device's measure", "write", "POST", "/iot/json?k=mk&i=m-other", {"v": 1}),
    ("another device's commands", "write", "GET", "/iot/json?k=mk&i=m-other&getCmd=1", None),
    ("list groups", "admin", "GET", "/iot/services", None),
    ("provision device", "admin", "POST", "/iot/devices",
     {"devices": [{"device_id": "m-prov", "apikey": "mk"}]}),
    ("list device credentials", "admin", "GET", "/iot/credentials", None),
    ("delete attr", "write", "DELETE", V1 + "/entities/{e}/attrs/humidity", None),
    ("delete entity", "write", "DELETE", V1 + "/entities/{e}", None),
]

ALLOWED = {
    "anonymous": {"public"},
    "device": {"public", "device"},
    "viewer": {"public", "read"},
    "editor": {"public", "read", "write", "device"},
    "admin": {"public", "read", "write", "device", "admin"},
    "global": {"public", "read", "write", "device", "admin", "global"},
}


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(secured, role):
    entity_id = f"urn:ngsi-ld:Thing:{role}"
    for label, permission, method, path, body in MATRIX:
        if callable(body):
            body = body(entity_id)
        elif body is not None and "{r}" in str(body):
            body = json.loads(json.dumps(body).replace("{r}", role))
        url = secured.url + path.replace("{e}", quote(entity_id)).replace("{r}", role)
        response = requests.request(method, url, json=body, headers=auth(secured.keys[role]))
        where = f"{role}: {label} ({method} {path}) -> {response.status_code} {response.text}"
        if permission in ALLOWED[role]:
            assert response.status_code not in (401, 403), where
            assert response.status_code < 500, where
        elif role == "anonymous":
            assert_problem(response, 401, "Unauthorized")
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), where
        elif path.startswith("/iot/") and role == "device":
            # Refused by the handler once it knows the device: an IoT Agent error body.
            assert response.status_code == 403, where
        else:
            assert_problem(response, 403, "Forbidden")
    # The writes that were allowed really happened (and the denied ones did not).
    response = requests.get(secured.url + V1 + "/entities/" + quote(entity_id + "-batch"),
                            headers=auth(secured.global_key))
    assert response.status_code == (200 if "write" in ALLOWED[role] else 404), response.text


def test_both_headers_and_bad_credentials(secured):
    viewer = secured.keys["viewer"]
    types = secured.url + V1 + "/types"
    assert requests.get(types, headers=auth(viewer)).status_code == 200
    assert requests.get(types, headers=auth(viewer, bearer=False)).status_code == 200
    assert requests.get(types, headers={"Authorization": "bearer " + viewer}).status_code == 200
    wrong = viewer[:-1] + ("A" if viewer[-1] != "A" else "B")
    for headers in ({"Authorization": "Bearer " + wrong}, {"X-API-Key": "nonsense"},
                    {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        response = requests.get(types, headers=headers)
        assert_problem(response, 401, "Unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer realm=\"citytwin\"")
    response = requests.get(types, headers={"Authorization": "Bearer " + wrong})
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_tenant_isolation(secured):
    a_editor = secured.create_key({"role": "editor", "tenant": "a"})["key"]
    a_admin = secured.create_key({"role": "admin", "tenant": "a"})["key"]
    g = secured.global_key
    url = secured.url + V1
    # Tenant b exists (it has an entity), tenant nosuch does not.
    assert requests.post(url + "/entities", json=thing("urn:ngsi-ld:Thing:b1"),
                         headers=auth(g, "b")).status_code == 201
    assert requests.post(url + "/entities", json=thing("urn:ngsi-ld:Thing:a1"),
                         headers=auth(a_editor, "a")).status_code == 201
    assert requests.get(url + "/entities/urn:ngsi-ld:Thing:a1",
                        headers=auth(a_editor, "a")).status_code == 200
    attempts = [
        ("GET", "/entities/urn:ngsi-ld:Thing:b1", None),
        ("GET", "/entities?type=Thing", None),
        ("POST", "/entityOperations/query", {"type": "Query", "entities": [{"type": "Thing"}]}),
        ("POST", "/entities", thing("urn:ngsi-ld:Thing:intruder")),
        ("PATCH", "/entities/urn:ngsi-ld:Thing:b1/attrs/temperature", {"value": 666}),
        ("DELETE", "/entities/urn:ngsi-ld:Thing:b1", None),
        ("POST", "/entityOperations/upsert", [thing("urn:ngsi-ld:Thing:b1", 666)]),
        ("GET", "/temporal/entities/urn:ngsi-ld:Thing:b1", None),
        ("GET", "/types", None),
    ]
    for key in (a_editor, a_admin):
        for method, path, body in attempts:
            answers = []
            for tenant in ("b", "nosuch", None):  # None: the default tenant
                response = requests.request(method, url + path, json=body,
                                            headers=auth(key, tenant))
                assert_problem(response, 403, "Forbidden")
                answers.append(response.text)
            # The same answer whether the tenant exists or not: nothing to learn about b.
            assert answers[0] == answers[1], (method, path)
    # An invalid tenant name is no way around the scope; a key of every tenant gets the 400.
    assert_problem(requests.get(url + "/types", headers=auth(a_admin, "bad tenant!")), 403,
                   "Forbidden")
    assert_problem(requests.get(url + "/types", headers=auth(g, "bad tenant!")), 400,
                   "BadRequestData")
    # Tenant b is untouched, and a tenant admin cannot manage keys.
    response = requests.get(url + "/entities/urn:ngsi-ld:Thing:b1", headers=auth(g, "b"))
    assert response.json()["temperature"]["value"] == 1
    assert requests.get(url + "/entities/urn:ngsi-ld:Thing:intruder",
                        headers=auth(g, "b")).status_code == 404
    assert_problem(requests.get(secured.url + KEYS, headers=auth(a_admin, "a")), 403, "Forbidden")
    assert_problem(requests.post(secured.url + KEYS, json={"role": "admin", "tenant": "*"},
                                 headers=auth(a_admin, "a")), 403, "Forbidden")


def test_revoked_key_is_refused_at_once(secured):
    created = secured.create_key({"role": "viewer", "name": "to revoke"})
    types = secured.url + V1 + "/types"
    assert requests.get(types, headers=auth(created["key"])).status_code == 200  # cached now
    response = requests.delete(secured.url + KEYS + "/" + created["id"],
                               headers=auth(secured.global_key))
    assert response.status_code == 204, response.text
    assert_problem(requests.get(types, headers=auth(created["key"])), 401, "Unauthorized")
    listed = requests.get(secured.url + KEYS + "/" + created["id"],
                          headers=auth(secured.global_key)).json()
    assert "revokedAt" in listed
    assert listed["revokedBy"] == secured.global_key[3:15]
    assert_problem(requests.delete(secured.url + KEYS + "/0123456789ab",
                                   headers=auth(secured.global_key)), 404, "ResourceNotFound")


def test_expired_key_is_refused(secured):
    # A few seconds of margin: the key must still be valid for its first use on a busy machine.
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)
    created = secured.create_key({"role": "viewer", "expiresAt": expires.isoformat()})
    types = secured.url + V1 + "/types"
    assert requests.get(types, headers=auth(created["key"])).status_code == 200
    time.sleep(max(0.0, (expires - datetime.datetime.now(datetime.timezone.utc))
                   .total_seconds()) + 0.2)
    assert_problem(requests.get(types, headers=auth(created["key"])), 401, "Unauthorized")
    past = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))
    response = requests.post(secured.url + KEYS, json={"role": "viewer",
                                                       "expiresAt": past.isoformat()},
                             headers=auth(secured.global_key))
    assert_problem(response, 400, "BadRequestData")


def test_key_requests_are_validated(secured):
    g = auth(secured.global_key)
    for spec in ({"role": "editor", "tenant": "*"}, {"role": "root"}, {"tenant": "a"},
                 {"role": "viewer", "tenant": "bad tenant"}, {"role": "viewer", "extra": "x"}):
        assert_problem(requests.post(secured.url + KEYS, json=spec, headers=g), 400)
    response = requests.post(secured.url + KEYS, data="role=viewer",
                             headers={**g, "Content-Type": "text/plain"})
    assert_problem(response, 415)


def test_key_shown_once_and_never_stored_or_logged(secured):
    created = secured.create_key({"role": "editor", "tenant": "c", "name": "shown once"})
    assert created["key"].startswith("ct_" + created["id"] + ".")
    g = auth(secured.global_key)
    one = requests.get(secured.url + KEYS + "/" + created["id"], headers=g)
    assert one.status_code == 200 and one.headers["Cache-Control"] == "no-store"
    listing = requests.get(secured.url + KEYS, headers=g)
    assert "key" not in one.json()
    assert all("key" not in item for item in listing.json())
    for text in (one.text, listing.text):
        for secret in secured.secrets:
            assert secret.split(".", 1)[1] not in text
    assert created["id"] in listing.text
    # Use every key once so that it passes through the request path, then look for the
    # secrets in every file of the data directory: database (WAL, SST, MANIFEST) and log.
    for secret in secured.secrets:
        requests.get(secured.url + "/health", headers=auth(secret))
        requests.get(secured.url + V1 + "/types", headers=auth(secret))
    # The device password too (HTTP Basic), refused and accepted.
    device = secured.keys["device"]
    requests.get(secured.url + V1 + "/types", headers=auth(device))
    requests.post(secured.url + "/iot/json?k=mk&i=m-device", json={"v": 2}, headers=auth(device))
    log = open(secured.server.log_path, errors="replace").read()
    assert f"audit: API key {created['id']} created" in log
    found = []
    for root, _, files in os.walk(secured.data_dir):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                content = handle.read()
            found += [(name, s[:10]) for s in secured.secrets
                      if s.split(".", 1)[1].encode() in content]
            found += [(name, "device") for s in (device[1],) if s.encode() in content]
    assert found == []


def test_cli_create_list_revoke(tmp_path):
    data = str(tmp_path / "db")
    key = cli_key(data, "viewer", "", "--name", "dashboard")
    admin = cli_key(data, "admin", "*")
    key_id = key[3:15]
    listing = cli("keys", "list", "--data", data).stdout
    assert key_id in listing and "dashboard" in listing and "active" in listing
    assert key.split(".", 1)[1] not in listing
    assert cli("keys", "create", "--data", data, "--role", "editor", "--tenant", "*",
               check=False).returncode == 2
    assert cli("keys", "revoke", "--data", data, key_id).returncode == 0
    assert "revoked" in cli("keys", "list", "--data", data).stdout
    assert cli("keys", "revoke", "--data", data, "ffffffffffff", check=False).returncode == 1
    server = CityTwinServer(data_dir=str(tmp_path), auth=True).start()
    try:
        types = server.url + V1 + "/types"
        assert_problem(requests.get(types, headers=auth(key)), 401, "Unauthorized")
        assert requests.get(types, headers=auth(admin)).status_code == 200
        # While the server runs, the offline commands refuse (the database admits one process).
        out = cli("keys", "list", "--data", data, check=False)
        assert out.returncode == 1 and "server running" in out.stderr
    finally:
        server.stop()


def test_start_without_an_admin_key_says_how_to_make_one(tmp_path):
    server = CityTwinServer(data_dir=str(tmp_path), auth=True).start()
    try:
        assert_problem(requests.get(server.url + V1 + "/types"), 401, "Unauthorized")
    finally:
        server.stop()
    log = open(server.log_path).read()
    assert "no usable admin key exists" in log and "citytwin keys create" in log


def test_auth_off_on_a_network_address_refuses_to_start(tmp_path):
    # Fails before binding: no socket is opened on 0.0.0.0.
    out = subprocess.run([BINARY, "serve", "--listen", "0.0.0.0:0", "--auth", "off",
                          "--data", str(tmp_path / "db")], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2
    assert "refusing to listen on 0.0.0.0 with authentication off" in out.stdout + out.stderr
    assert not os.path.exists(tmp_path / "db")
    out = subprocess.run([BINARY, "serve", "--listen", "127.0.0.1:0", "--auth", "maybe",
                          "--data", str(tmp_path / "db")], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2


def test_auth_off_keeps_the_api_open_and_serves_no_keys_api():
    server = CityTwinServer().start()  # the launcher's default: --auth off on loopback
    try:
        assert requests.get(server.url + V1 + "/types").status_code == 200
        assert requests.get(server.url + "/metrics").status_code == 200
        assert requests.post(server.url + KEYS, json={"role": "admin", "tenant": "*"}
                             ).status_code == 404
    finally:
        server.cleanup()
