"""Open-data and personal-data settings in the config file (issue #6; docs/security.md,
"Settings in the config file"): `[[security.open_data]]` and `[[security.personal_data]]`
set a tenant's settings at start-up, as the API would; the latest change wins, whether made in
the file (applied at the next start) or through the API (kept across restarts while the file
is unchanged); tenants the file does not name are the API's alone; a bad entry stops the
server with exit code 2. Traffic goes to 127.0.0.1 only."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import V1  # noqa: E402

BINARY = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
OPEN_DATA = "/citytwin/v1/open-data"
PERSONAL = "/citytwin/v1/personal-data"
CITY = "city"


def config(open_types, rules=(), extra=""):
    """The TOML text: open types of tenant city, personal-data rules (type, attrs, retention)."""
    text = f"[[security.open_data]]\ntenant = \"{CITY}\"\ntypes = {list(open_types)!r}\n"
    for type_name, attributes, retention in rules:
        text += (f"[[security.personal_data]]\ntenant = \"{CITY}\"\ntype = \"{type_name}\"\n"
                 f"attributes = {list(attributes)!r}\nretention = \"{retention}\"\n")
    return text.replace("'", '"') + extra


class Configured:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="citytwin-policy-config-")
        self.config_path = os.path.join(self.dir, "citytwin.toml")
        self.data_dir = os.path.join(self.dir, "data")
        os.makedirs(self.data_dir)
        self.admin = subprocess.run(
            [BINARY, "keys", "create", "--data", os.path.join(self.data_dir, "db"), "--role",
             "admin", "--tenant", "*"], capture_output=True, text=True, check=True).stdout.strip()
        self.server = None

    def start(self, text):
        with open(self.config_path, "w") as handle:
            handle.write(text)
        self.server = CityTwinServer(data_dir=self.data_dir, auth=True, log_level="info",
                                     extra_args=["--config", self.config_path]).start()
        return self

    def restart(self, text):
        self.server.stop()
        return self.start(text)

    def call(self, method, path, tenant=CITY, key="admin", expect=None, **kwargs):
        headers = {"NGSILD-Tenant": tenant}
        if key == "admin":
            headers["Authorization"] = "Bearer " + self.admin
        response = requests.request(method, self.server.url + path, headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    def open_types(self, tenant=CITY):
        return self.call("GET", OPEN_DATA, tenant=tenant, expect=200).json()["types"]

    def rules(self):
        return self.call("GET", PERSONAL, expect=200).json()["rules"]

    def cleanup(self):
        if self.server:
            self.server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def configured():
    instance = Configured()
    yield instance
    instance.cleanup()


def prop(value):
    return {"type": "Property", "value": value}


def test_the_file_sets_what_the_api_would(configured):
    configured.start(config(["Parking"], [("Bike", ["rider"], "P30D")]))
    assert configured.open_types() == ["Parking"]
    assert configured.rules() == [{"type": "Bike", "attributes": ["rider"], "retention": "P30D"}]
    for entity in ({"id": "urn:ngsi-ld:Parking:1", "type": "Parking", "free": prop(3)},
                   {"id": "urn:ngsi-ld:Bike:1", "type": "Bike", "rider": prop("Bob"),
                    "battery": prop(80)}):
        configured.call("POST", V1 + "/entities", json=entity, expect=201)
    # Anonymous readers see the open type and nothing else; tenants the file does not name
    # stay closed.
    anonymous = configured.call("GET", V1 + "/entities?type=Parking,Bike", key=None, expect=200)
    assert [e["id"] for e in anonymous.json()] == ["urn:ngsi-ld:Parking:1"]
    assert configured.open_types(tenant="other") == []
    configured.call("GET", V1 + "/entities?type=Parking", tenant="other", key=None, expect=401)
    # The personal attribute is left out of exports, as with a rule made through the API.
    export = configured.call("GET", "/citytwin/v1/export?type=Bike", expect=200).text
    assert "battery" in export and "rider" not in export


def test_api_changes_survive_restarts_until_the_file_changes(configured):
    first = config(["Parking"], [("Bike", ["rider"], "P30D")])
    configured.start(first)
    # Closed through the API (a leak to stop at once), and rules removed.
    configured.call("PUT", OPEN_DATA, json={"types": []}, expect=204)
    configured.call("PUT", PERSONAL, json={"rules": []}, expect=204)
    configured.restart(first)
    assert configured.open_types() == []
    assert configured.rules() == []
    configured.call("GET", V1 + "/entities?type=Parking", key=None, expect=401)
    # The file is edited: its new values win at the next start.
    configured.restart(config(["Parking", "Bus"], [("Bike", ["rider", "phone"], "P7D")]))
    assert configured.open_types() == ["Bus", "Parking"]
    assert configured.rules() == [
        {"type": "Bike", "attributes": ["phone", "rider"], "retention": "P7D"}]
    log = open(configured.server.log_path, errors="replace").read()
    assert "config file: open data of tenant 'city' set" in log


def test_tenants_the_file_does_not_name_are_the_apis(configured):
    configured.start(config(["Parking"]))
    configured.call("PUT", OPEN_DATA, tenant="other", json={"types": ["Tram"]}, expect=204)
    configured.restart(config(["Parking"]))
    assert configured.open_types(tenant="other") == ["Tram"]
    # A tenant dropped from the file keeps the setting it had.
    configured.restart("")
    assert configured.open_types() == ["Parking"]


@pytest.mark.parametrize("text,message", [
    (config(["Parking"], [("Bike", ["rider"], "P0D")]), "retention"),
    (config(["Parking"], [("Bike", ["rider"], "P1D"), ("Bike", ["name"], "P1D")]),
     "two rules for type Bike"),
    ("[[security.open_data]]\ntenant = \"bad tenant!\"\ntypes = []\n", "bad tenant!"),
    ("[[security.open_data]]\ntypes = []\nkind = 1\n", "unknown member 'kind'"),
    (config(["Parking"]) + config(["Bus"]), "listed twice"),
])
def test_a_bad_entry_stops_the_server(configured, text, message):
    with open(configured.config_path, "w") as handle:
        handle.write(text)
    out = subprocess.run([BINARY, "serve", "--listen", "127.0.0.1:0", "--mqtt-listen", "off",
                          "--data", os.path.join(configured.data_dir, "db"), "--config",
                          configured.config_path], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr + out.stdout
