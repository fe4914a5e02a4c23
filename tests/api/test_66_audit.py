"""The audit log (issue #6: "an audit log records administrative actions and every write with
who made it"; docs/security.md, "Audit log"): every write and administrative action is
recorded with its actor (key id), role, tenant, method, path, status and time, kept in the
store across restarts, and readable by the tenant's admins with filters and paging. No
secret ever appears in it. Traffic goes to 127.0.0.1 only.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import V1, assert_problem  # noqa: E402

BINARY = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
AUDIT = "/citytwin/v1/audit"
CITY = "city"


def headers(key=None, tenant=CITY):
    out = {}
    if key is not None:
        out["Authorization"] = "Bearer " + key
    if tenant is not None:
        out["NGSILD-Tenant"] = tenant
    return out


def key_id(key):
    return key[3:15]  # "ct_<12 hex digits>.<secret>"


class Audited:
    def __init__(self):
        self.data_dir = tempfile.mkdtemp(prefix="citytwin-audit-")
        self.global_key = subprocess.run(
            [BINARY, "keys", "create", "--data", os.path.join(self.data_dir, "db"), "--role",
             "admin", "--tenant", "*"], capture_output=True, text=True, check=True).stdout.strip()
        self.server = CityTwinServer(data_dir=self.data_dir, auth=True, log_level="info").start()
        self.secrets = [self.global_key]
        self.admin = self.key("admin", CITY)
        self.editor = self.key("editor", CITY)
        self.viewer = self.key("viewer", CITY)
        self.other_admin = self.key("admin", "other")

    @property
    def url(self):
        return self.server.url

    def key(self, role, tenant):
        response = requests.post(self.url + "/citytwin/v1/keys",
                                 json={"role": role, "tenant": tenant},
                                 headers=headers(self.global_key, None))
        assert response.status_code == 201, response.text
        self.secrets.append(response.json()["key"])
        return response.json()["key"]

    def call(self, method, path, key, tenant=CITY, expect=None, **kwargs):
        response = requests.request(method, self.url + path, headers=headers(key, tenant),
                                    **kwargs)
        if expect is not None:
            assert response.status_code == expect, f"{method} {path}: {response.text}"
        return response

    def audit(self, key=None, tenant=CITY, **params):
        response = self.call("GET", AUDIT, key or self.admin, tenant, params=params)
        assert response.status_code == 200, response.text
        assert response.headers["Cache-Control"] == "no-store"
        return response

    def cleanup(self):
        self.server.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def audited():
    instance = Audited()
    yield instance
    instance.cleanup()


def prop(value):
    return {"type": "Property", "value": value}


def test_every_kind_of_write_is_recorded_with_its_actor(audited):
    a = audited
    e = "urn:ngsi-ld:Bin:1"
    a.call("POST", V1 + "/entities", a.editor, json={"id": e, "type": "Bin", "fill": prop(1)},
           expect=201)
    a.call("PATCH", V1 + f"/entities/{e}/attrs", a.editor, json={"fill": prop(2)}, expect=204)
    a.call("PATCH", V1 + "/entities/urn:ngsi-ld:Bin:404/attrs", a.editor,
           json={"fill": prop(2)}, expect=404)
    a.call("POST", V1 + "/entityOperations/upsert", a.editor,
           json=[{"id": "urn:ngsi-ld:Bin:2", "type": "Bin"}], expect=201)
    a.call("POST", V1 + "/temporal/entities", a.editor, expect=201, json={
        "id": "urn:ngsi-ld:Bin:3", "type": "Bin",
        "fill": [{"type": "Property", "value": 1, "observedAt": "2026-03-01T10:00:00Z"}]})
    a.call("POST", V1 + "/subscriptions", a.editor, expect=201, json={
        "type": "Subscription", "entities": [{"type": "Bin"}],
        "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify"}}})
    a.call("PUT", "/citytwin/v1/open-data", a.admin, json={"types": ["Bin"]}, expect=204)
    a.call("PUT", "/citytwin/v1/personal-data", a.admin, expect=204,
           json={"rules": [{"type": "Bin", "attributes": ["owner"]}]})
    a.call("PUT", "/citytwin/v1/retention", a.admin, json={"rules": [{"keep": "P1Y"}]},
           expect=204)
    a.call("POST", "/iot/services", a.admin, expect=201, json={"services": [
        {"apikey": "bins-secret-apikey", "resource": "/iot/json", "entity_type": "Bin"}]})
    a.call("POST", "/iot/json?k=bins-secret-apikey&i=bin-007", a.editor, json={"f": 3},
           expect=200)
    a.call("DELETE", V1 + f"/entities/{e}", a.editor, expect=204)
    # Refused before the handler: not recorded (nothing changed).
    a.call("PATCH", V1 + f"/entities/{e}/attrs", a.viewer, json={"fill": prop(9)}, expect=403)
    a.call("POST", V1 + "/entities", None, json={"id": "urn:x", "type": "Bin"}, expect=401)
    # Reads are not recorded, reads with a body neither.
    a.call("GET", V1 + "/entities?type=Bin", a.viewer, expect=200)
    a.call("POST", V1 + "/entityOperations/query", a.viewer,
           json={"type": "Query", "entities": [{"type": "Bin"}]}, expect=200)

    records = a.audit().json()["records"]
    seen = [(r["actor"], r["role"], r["kind"], r["method"], r["path"], r["status"])
            for r in records]
    editor, admin = key_id(a.editor), key_id(a.admin)
    assert seen == [
        (editor, "editor", "write", "POST", V1 + "/entities", 201),
        (editor, "editor", "write", "PATCH", V1 + f"/entities/{e}/attrs", 204),
        (editor, "editor", "write", "PATCH", V1 + "/entities/urn:ngsi-ld:Bin:404/attrs", 404),
        (editor, "editor", "write", "POST", V1 + "/entityOperations/upsert", 201),
        (editor, "editor", "write", "POST", V1 + "/temporal/entities", 201),
        (editor, "editor", "admin", "POST", V1 + "/subscriptions", 201),
        (admin, "admin", "admin", "PUT", "/citytwin/v1/open-data", 204),
        (admin, "admin", "admin", "PUT", "/citytwin/v1/personal-data", 204),
        (admin, "admin", "admin", "PUT", "/citytwin/v1/retention", 204),
        (admin, "admin", "admin", "POST", "/iot/services", 201),
        (editor, "editor", "write", "POST", "/iot/json", 200),
        (editor, "editor", "write", "DELETE", V1 + f"/entities/{e}", 204),
    ], seen
    assert all(r["tenant"] == CITY and r["scope"] == CITY for r in records)
    assert records[10]["device"] == "bin-007"
    assert all(r["time"].endswith("Z") for r in records)
    ids = [int(r["id"]) for r in records]
    assert ids == sorted(ids)


def test_key_administration_is_recorded_and_no_secret_appears(audited):
    a = audited
    made = a.call("POST", "/citytwin/v1/keys", a.global_key, tenant=None, expect=201,
                  json={"role": "viewer", "tenant": CITY}).json()
    a.secrets.append(made["key"])
    a.call("DELETE", f"/citytwin/v1/keys/{made['id']}", a.global_key, tenant=None, expect=204)
    records = a.audit(a.global_key, tenant=None).json()["records"]
    admin_acts = [(r["method"], r["path"], r["status"], r["kind"]) for r in records
                  if r["actor"] == key_id(a.global_key)]
    assert ("POST", "/citytwin/v1/keys", 201, "admin") in admin_acts
    assert ("DELETE", f"/citytwin/v1/keys/{made['id']}", 204, "admin") in admin_acts
    assert all(r["scope"] == "*" and r["role"] == "admin" for r in records
               if r["actor"] == key_id(a.global_key))
    answers = [a.audit(a.global_key, tenant=None).text, a.audit().text,
               a.audit(a.other_admin, tenant="other").text]
    # The device's apikey (in the query string) is not recorded either.
    assert not any("bins-secret-apikey" in text for text in answers)
    with open(a.server.log_path, encoding="utf-8", errors="replace") as log:
        texts = answers + [log.read()]
    for text in texts:
        for secret in a.secrets:
            assert secret not in text
            assert secret.split(".", 1)[1] not in text


def test_filters_and_paging(audited):
    a = audited
    everything = a.audit().json()["records"]
    assert len(everything) >= 12
    editor = key_id(a.editor)
    mine = a.audit(actor=editor).json()["records"]
    assert mine and all(r["actor"] == editor for r in mine)
    assert len(mine) == sum(1 for r in everything if r["actor"] == editor)
    assert a.audit(**{"from": "2100-01-01T00:00:00Z"}).json()["records"] == []
    assert a.audit(to="2000-01-01T00:00:00Z").json()["records"] == []
    assert a.audit(**{"from": everything[0]["time"]}).json()["records"] == everything
    # Pages of 5 cover everything once, in order.
    pages, after = [], None
    while True:
        params = {"limit": 5}
        if after is not None:
            params["after"] = after
        body = a.audit(**params).json()
        assert len(body["records"]) <= 5
        pages.extend(body["records"])
        after = body.get("next")
        if after is None:
            break
    assert pages == everything
    for bad in ({"limit": 0}, {"limit": 5000}, {"limit": "x"}, {"from": "yesterday"},
                {"after": "-1"}):
        assert_problem(a.call("GET", AUDIT, a.admin, params=bad), 400, "BadRequestData")


def test_tenants_see_only_their_own_records(audited):
    a = audited
    a.call("POST", V1 + "/entities", a.other_admin, tenant="other", expect=201,
           json={"id": "urn:ngsi-ld:Bin:9", "type": "Bin"})
    other = a.audit(a.other_admin, tenant="other").json()["records"]
    assert [(r["actor"], r["path"]) for r in other] == [
        (key_id(a.other_admin), V1 + "/entities")]
    assert all(r["tenant"] == CITY for r in a.audit().json()["records"])
    assert_problem(a.call("GET", AUDIT, a.admin, tenant="other"), 403, "Forbidden")
    assert_problem(a.call("GET", AUDIT, a.other_admin, tenant=CITY), 403, "Forbidden")
    assert_problem(a.call("GET", AUDIT, a.editor), 403, "Forbidden")
    assert_problem(a.call("GET", AUDIT, None), 401, "Unauthorized")


def test_records_survive_a_restart(audited):
    a = audited
    before = a.audit().json()["records"]
    a.server.stop()
    a.server.start()
    assert a.audit().json()["records"] == before
    a.call("POST", V1 + "/entities/urn:ngsi-ld:Bin:2/attrs", a.editor, json={"fill": prop(5)},
           expect=204)
    after = a.audit().json()["records"]
    assert after[:-1] == before
    assert int(after[-1]["id"]) > int(before[-1]["id"])
