"""Open data and personal data (issue #6; docs/security.md, "Open data", "Personal data").

A tenant's admin opens chosen entity types to anonymous readers and marks attributes as
personal. With authentication required, a request without credentials may then read only
those types, through every read endpoint, and never a personal attribute; writes and other
routes stay 401. Exports (HTTP and `citytwin export`) leave personal attributes out, and a
retention pass erases their old history. Traffic goes to 127.0.0.1 only.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import V1, assert_problem  # noqa: E402

BINARY = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
OPEN_DATA = "/citytwin/v1/open-data"
PERSONAL = "/citytwin/v1/personal-data"
CITY = "city"


def headers(key=None, tenant=CITY):
    out = {}
    if key is not None:
        out["Authorization"] = "Bearer " + key
    if tenant is not None:
        out["NGSILD-Tenant"] = tenant
    return out


def prop(value):
    # observedAt so that exports (by observedAt) hold every instance.
    return {"type": "Property", "value": value, "observedAt": "2026-03-01T10:00:00Z"}


# Instances in the order they were written.
BY_WRITE = {"timeproperty": "modifiedAt"}


ENTITIES = [
    {"id": "urn:ngsi-ld:Parking:1", "type": "Parking", "free": prop(3)},
    {"id": "urn:ngsi-ld:Citizen:1", "type": "Citizen", "name": prop("Ada"),
     "district": prop(7)},
    {"id": "urn:ngsi-ld:Bike:1", "type": "Bike", "rider": prop("Bob"), "battery": prop(80)},
]


class OpenCity:
    def __init__(self):
        self.data_dir = tempfile.mkdtemp(prefix="citytwin-open-")
        self.global_key = subprocess.run(
            [BINARY, "keys", "create", "--data", os.path.join(self.data_dir, "db"), "--role",
             "admin", "--tenant", "*"], capture_output=True, text=True, check=True).stdout.strip()
        self.server = CityTwinServer(data_dir=self.data_dir, auth=True).start()
        self.admin = self.key("admin", CITY)
        self.viewer = self.key("viewer", CITY)
        self.other_admin = self.key("admin", "other")
        for entity in ENTITIES:
            self.call("POST", V1 + "/entities", self.admin, json=entity, expect=201)
        self.call("POST", V1 + "/entities", self.other_admin, tenant="other", expect=201,
                  json={"id": "urn:ngsi-ld:Parking:9", "type": "Parking", "free": prop(1)})
        # Some history for the temporal API.
        for battery in (70, 60):
            self.call("PATCH", V1 + "/entities/urn:ngsi-ld:Bike:1/attrs", self.admin,
                      json={"battery": prop(battery), "rider": prop("Bob")}, expect=204)

    @property
    def url(self):
        return self.server.url

    def key(self, role, tenant):
        response = requests.post(self.url + "/citytwin/v1/keys",
                                 json={"role": role, "tenant": tenant},
                                 headers=headers(self.global_key, None))
        assert response.status_code == 201, response.text
        return response.json()["key"]

    def call(self, method, path, key=None, tenant=CITY, expect=None, **kwargs):
        response = requests.request(method, self.url + path, headers=headers(key, tenant),
                                    **kwargs)
        if expect is not None:
            assert response.status_code == expect, f"{method} {path}: {response.text}"
        return response

    def anonymous(self, path, method="GET", tenant=CITY, **kwargs):
        return self.call(method, path, None, tenant, **kwargs)

    def cleanup(self):
        self.server.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def city():
    instance = OpenCity()
    yield instance
    instance.cleanup()


def ids(response):
    assert response.status_code == 200, response.text
    return sorted(entity["id"] for entity in response.json())


def test_settings_are_per_tenant_and_admins_only(city):
    assert city.call("GET", OPEN_DATA, city.admin, expect=200).json() == {"types": []}
    # Closed: anonymous requests are 401 like before.
    response = city.anonymous(V1 + "/entities?type=Parking")
    assert_problem(response, 401, "Unauthorized")
    for bad in ({"types": "Parking"}, {"types": [3]}, {"kinds": []}, ["Parking"]):
        assert_problem(city.call("PUT", OPEN_DATA, city.admin, json=bad), 400, "BadRequestData")
    assert_problem(city.call("PUT", OPEN_DATA, city.viewer, json={"types": ["Parking"]}), 403)
    # An admin of another tenant cannot read or change this tenant's settings.
    assert_problem(city.call("PUT", OPEN_DATA, city.other_admin, json={"types": ["Parking"]}),
                   403)
    assert_problem(city.call("GET", PERSONAL, city.other_admin), 403)
    city.call("PUT", OPEN_DATA, city.admin, json={"types": ["Parking", "Bike"]}, expect=204)
    assert city.call("GET", OPEN_DATA, city.admin, expect=200).json() == {
        "types": ["Bike", "Parking"]}
    assert city.call("GET", OPEN_DATA, city.other_admin, tenant="other",
                     expect=200).json() == {"types": []}
    # Full names are accepted and shown compacted with the request's @context.
    city.call("PUT", OPEN_DATA, city.admin, expect=204,
              json={"types": ["https://uri.etsi.org/ngsi-ld/default-context/Parking", "Bike"]})
    assert city.call("GET", OPEN_DATA, city.admin).json() == {"types": ["Bike", "Parking"]}

    for bad in ({"rules": [{"type": "Bike"}]}, {"rules": [{"type": "Bike", "attributes": []}]},
                {"rules": [{"type": "Bike", "attributes": ["rider"], "retention": "30d"}]},
                {"rules": [{"attributes": ["rider"]}]},
                {"rules": [{"type": "Bike", "attributes": ["rider"]},
                           {"type": "Bike", "attributes": ["battery"]}]}):
        assert_problem(city.call("PUT", PERSONAL, city.admin, json=bad), 400, "BadRequestData")
    rules = {"rules": [{"type": "Bike", "attributes": ["rider"], "retention": "P30D"},
                       {"type": "Citizen", "attributes": ["name"]}]}
    city.call("PUT", PERSONAL, city.admin, json=rules, expect=204)
    assert city.call("GET", PERSONAL, city.admin, expect=200).json() == rules
    assert city.call("GET", PERSONAL, city.other_admin, tenant="other").json() == {"rules": []}


def test_anonymous_reads_see_only_open_types_on_every_read_endpoint(city):
    # GET by id: an entity of a closed type is answered like one that does not exist.
    parking = city.anonymous(V1 + "/entities/urn:ngsi-ld:Parking:1")
    assert parking.status_code == 200 and parking.json()["free"]["value"] == 3
    hidden = city.anonymous(V1 + "/entities/urn:ngsi-ld:Citizen:1")
    missing = city.anonymous(V1 + "/entities/urn:ngsi-ld:Citizen:404")
    assert_problem(hidden, 404, "ResourceNotFound")
    assert_problem(missing, 404, "ResourceNotFound")
    assert hidden.json()["title"] == missing.json()["title"]

    open_ids = ["urn:ngsi-ld:Bike:1", "urn:ngsi-ld:Parking:1"]
    assert ids(city.anonymous(V1 + "/entities?type=Parking")) == ["urn:ngsi-ld:Parking:1"]
    assert ids(city.anonymous(V1 + "/entities?type=Citizen")) == []
    assert ids(city.anonymous(V1 + "/entities?type=Citizen,Parking,Bike")) == open_ids
    # No type: idPattern, ids, attrs, q all stay within the open types.
    assert ids(city.anonymous(V1 + "/entities?idPattern=.*")) == open_ids
    assert ids(city.anonymous(V1 + "/entities?id=urn:ngsi-ld:Citizen:1,urn:ngsi-ld:Bike:1")) == [
        "urn:ngsi-ld:Bike:1"]
    assert ids(city.anonymous(V1 + "/entities?attrs=name,district")) == []
    assert ids(city.anonymous(V1 + "/entities", params={"q": "district==7"})) == []
    counted = city.anonymous(V1 + "/entities?idPattern=.*&count=true")
    assert counted.headers["NGSILD-Results-Count"] == "2"
    # Batch query (a read with a body).
    for body, expected in (
            ({"entities": [{"type": "Citizen", "idPattern": ".*"}, {"type": "Bike"}]},
             ["urn:ngsi-ld:Bike:1"]),
            ({"entities": [{"type": "Citizen", "id": "urn:ngsi-ld:Citizen:1"}]}, []),
            ({"attrs": ["name", "district", "battery", "free"]}, open_ids),  # no type at all
            ({"q": "district==7"}, [])):
        response = city.anonymous(V1 + "/entityOperations/query", method="POST",
                                  json={"type": "Query", **body})
        assert ids(response) == expected, body
    # Temporal API.
    assert_problem(city.anonymous(V1 + "/temporal/entities/urn:ngsi-ld:Citizen:1"), 404)
    bike = city.anonymous(V1 + "/temporal/entities/urn:ngsi-ld:Bike:1", params=BY_WRITE)
    assert bike.status_code == 200, bike.text
    assert [i["value"] for i in bike.json()["battery"]] == [80, 70, 60]
    assert ids(city.anonymous(V1 + "/temporal/entities?type=Bike,Citizen,Parking")) == open_ids
    assert ids(city.anonymous(V1 + "/temporal/entities?type=Citizen&idPattern=.*")) == []
    response = city.anonymous(V1 + "/temporal/entityOperations/query", method="POST", json={
        "type": "Query", "entities": [{"type": "Citizen"}, {"type": "Bike"}]})
    assert ids(response) == ["urn:ngsi-ld:Bike:1"]
    # Discovery.
    types = city.anonymous(V1 + "/types")
    assert types.status_code == 200 and sorted(types.json()["typeList"]) == ["Bike", "Parking"]
    details = city.anonymous(V1 + "/types?details=true").json()
    assert sorted(d["typeName"] for d in details) == ["Bike", "Parking"]
    assert_problem(city.anonymous(V1 + "/types/Citizen"), 404, "ResourceNotFound")
    assert city.anonymous(V1 + "/types/Parking").json()["entityCount"] == 1


def test_everything_else_stays_closed_to_anonymous_requests(city):
    closed = [
        ("GET", V1 + "/attributes", None), ("GET", V1 + "/attributes/free", None),
        ("GET", V1 + "/subscriptions", None), ("GET", V1 + "/jsonldContexts", None),
        ("GET", "/citytwin/v1/export?type=Parking", None), ("GET", OPEN_DATA, None),
        ("GET", PERSONAL, None), ("GET", "/citytwin/v1/retention", None),
        ("POST", V1 + "/entities", {"id": "urn:ngsi-ld:Parking:2", "type": "Parking"}),
        ("PATCH", V1 + "/entities/urn:ngsi-ld:Parking:1/attrs", {"free": prop(0)}),
        ("PATCH", V1 + "/entities/urn:ngsi-ld:Parking:1", {"free": prop(0)}),
        ("DELETE", V1 + "/entities/urn:ngsi-ld:Parking:1", None),
        ("POST", V1 + "/entityOperations/upsert", [{"id": "urn:ngsi-ld:Parking:3",
                                                    "type": "Parking"}]),
        ("POST", V1 + "/temporal/entities", {"id": "urn:ngsi-ld:Parking:4", "type": "Parking",
                                             "free": [prop(1)]}),
        ("PUT", OPEN_DATA, {"types": ["Citizen"]}),
    ]
    for method, path, body in closed:
        response = city.anonymous(path, method=method, json=body)
        assert_problem(response, 401, "Unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)
    # The default tenant and another tenant opened nothing.
    assert_problem(city.anonymous(V1 + "/entities?type=Parking", tenant=None), 401)
    assert_problem(city.anonymous(V1 + "/entities?type=Parking", tenant="other"), 401)
    assert_problem(city.anonymous(V1 + "/types", tenant="nosuch"), 401)
    # Nothing was written.
    assert city.call("GET", V1 + "/entities/urn:ngsi-ld:Parking:1", city.viewer,
                     expect=200).json()["free"]["value"] == 3
    assert city.call("GET", OPEN_DATA, city.admin).json() == {"types": ["Bike", "Parking"]}


def test_personal_attributes_are_never_shown_to_anonymous_readers(city):
    bike = city.anonymous(V1 + "/entities/urn:ngsi-ld:Bike:1").json()
    assert "rider" not in bike and bike["battery"]["value"] == 60
    listed = city.anonymous(V1 + "/entities?type=Bike").json()
    assert listed and all("rider" not in entity for entity in listed)
    # A filter cannot probe a personal value.
    assert ids(city.anonymous(V1 + "/entities", params={"type": "Bike",
                                                       "q": 'rider=="Bob"'})) == []
    assert ids(city.anonymous(V1 + "/entities?type=Bike&attrs=rider")) == []
    temporal = city.anonymous(V1 + "/temporal/entities/urn:ngsi-ld:Bike:1").json()
    assert "rider" not in temporal and "battery" in temporal
    temporal = city.anonymous(V1 + "/temporal/entities/urn:ngsi-ld:Bike:1?attrs=rider")
    assert "rider" not in temporal.json()
    details = city.anonymous(V1 + "/types/Bike").json()
    assert [a["attributeName"] for a in details["attributeDetails"]] == ["battery"]
    # Key holders of the tenant still read them.
    assert city.call("GET", V1 + "/entities/urn:ngsi-ld:Bike:1",
                     city.viewer).json()["rider"]["value"] == "Bob"


def test_exports_leave_personal_attributes_out(city):
    response = city.call("GET", "/citytwin/v1/export?type=Bike,Citizen&format=jsonl", city.admin,
                         expect=200)
    rows = [json.loads(line) for line in response.text.splitlines() if line]
    attributes = {(row["id"], row["attribute"]) for row in rows}
    assert ("urn:ngsi-ld:Bike:1", "battery") in attributes
    assert ("urn:ngsi-ld:Citizen:1", "district") in attributes
    assert not {a for _, a in attributes} & {"rider", "name"}
    assert "Bob" not in response.text and "Ada" not in response.text
    # Another tenant's export is not affected by this tenant's rules.
    city.call("PATCH", V1 + "/entities/urn:ngsi-ld:Parking:9/attrs", city.other_admin,
              tenant="other", json={"free": prop(2)}, expect=204)
    other = city.call("GET", "/citytwin/v1/export?type=Parking&format=jsonl", city.other_admin,
                      tenant="other", expect=200)
    assert '"free"' in other.text


def test_retention_erases_old_personal_history_only(city):
    rules = {"rules": [{"type": "Bike", "attributes": ["rider"], "retention": "PT1S"},
                       {"type": "Citizen", "attributes": ["name"]}]}
    city.call("PUT", PERSONAL, city.admin, json=rules, expect=204)
    time.sleep(1.5)  # every rider sample is now older than the retention
    report = city.call("POST", "/citytwin/v1/retention/passes", city.global_key, tenant=None,
                       expect=200).json()
    assert report["personalEntities"] == 1
    history = city.call("GET", V1 + "/temporal/entities/urn:ngsi-ld:Bike:1", city.viewer,
                        params=BY_WRITE, expect=200).json()
    assert "rider" not in history
    assert [i["value"] for i in history["battery"]] == [80, 70, 60]
    # The current state keeps it: retention erases history only.
    assert city.call("GET", V1 + "/entities/urn:ngsi-ld:Bike:1",
                     city.viewer).json()["rider"]["value"] == "Bob"


def test_offline_export_leaves_personal_attributes_out(city):
    city.server.stop()
    try:
        out = subprocess.run([BINARY, "export", "--data", os.path.join(city.data_dir, "db"),
                              "--tenant", CITY, "--type", "Bike,Citizen", "--format", "jsonl"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        rows = [json.loads(line) for line in out.stdout.splitlines() if line]
        names = {row["attribute"] for row in rows}
        assert "battery" in names and "district" in names
        assert not names & {"rider", "name"}
    finally:
        city.server.start()
