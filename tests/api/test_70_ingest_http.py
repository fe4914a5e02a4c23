"""Devices in over HTTP (issue #4, first slice; docs/ingest.md): IoT Agent provisioning of
service groups and devices, IoT Agent JSON and UltraLight 2.0 measures posted to /iot/json
and /iot/d, read back through the NGSI-LD API (current state and temporal), autoprovisioning,
rejection of bad input with nothing written, Fiware-Service tenant mapping, and provisioning
that survives a restart. Traffic goes to 127.0.0.1 only."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import V1, quote  # noqa: E402

BINARY = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")


def fiware(service=None, path=None, json_body=True):
    headers = {"Content-Type": "application/json"} if json_body else {}
    if service is not None:
        headers["Fiware-Service"] = service
    if path is not None:
        headers["Fiware-ServicePath"] = path
    return headers


def provision_group(server, group, service=None, path=None, expect=201):
    response = requests.post(server.url + "/iot/services", json={"services": [group]},
                             headers=fiware(service, path))
    assert response.status_code == expect, response.text
    return response


def provision_device(server, device, service=None, path=None, expect=201):
    response = requests.post(server.url + "/iot/devices", json={"devices": [device]},
                             headers=fiware(service, path))
    assert response.status_code == expect, response.text
    return response


def post_json(server, apikey, device, body, headers=None):
    return requests.post(server.url + "/iot/json", params={"k": apikey, "i": device},
                         json=body, headers=headers)


def post_ul(server, apikey, device, text, headers=None):
    return requests.post(server.url + "/iot/d", params={"k": apikey, "i": device},
                         data=text, headers={"Content-Type": "text/plain", **(headers or {})})


def entity(server, entity_id, tenant=None, **params):
    headers = {"NGSILD-Tenant": tenant} if tenant else {}
    return requests.get(f"{server.url}{V1}/entities/{quote(entity_id)}", params=params,
                        headers=headers)


def temporal(server, entity_id, tenant=None, **params):
    headers = {"NGSILD-Tenant": tenant} if tenant else {}
    response = requests.get(f"{server.url}{V1}/temporal/entities/{quote(entity_id)}",
                            params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def ingest_count(server, transport, outcome):
    text = requests.get(server.url + "/metrics").text
    prefix = f'citytwin_ingest_measurements_total{{transport="{transport}",outcome="{outcome}"}} '
    for line in text.splitlines():
        if line.startswith(prefix):
            return int(line[len(prefix):])
    return 0


def test_provisioned_device_json_and_ultralight_land_in_the_twin(server):
    provision_group(server, {
        "apikey": "wx-json", "resource": "/iot/json", "entity_type": "WeatherObserved",
        "attributes": [{"object_id": "t", "name": "temperature", "type": "Number",
                        "metadata": {"unitCode": {"type": "Text", "value": "CEL"}}}]})
    provision_group(server, {"apikey": "wx-ul", "resource": "/iot/d",
                             "entity_type": "WeatherObserved"})
    provision_device(server, {
        "device_id": "ws-001", "entity_name": "urn:ngsi-ld:WeatherObserved:plaza",
        "entity_type": "WeatherObserved", "protocol": "PDI-IoTA-UltraLight", "transport": "HTTP",
        "attributes": [
            {"object_id": "t", "name": "temperature", "type": "Number"},
            {"object_id": "h", "name": "relativeHumidity", "type": "Number",
             "expression": "h / 100"},
            {"object_id": "f", "name": "temperatureF", "type": "Number",
             "expression": "round(t * 1.8 + 32, 1)"}],
        "static_attributes": [{"name": "location", "type": "geo:point", "value": "40.42, -3.70"}]})

    response = post_json(server, "wx-json", "ws-001", {"t": 21.5, "h": 55})
    assert response.status_code == 200, response.text
    body = entity(server, "urn:ngsi-ld:WeatherObserved:plaza").json()
    assert body["type"] == "WeatherObserved"
    assert body["temperature"]["value"] == 21.5
    assert body["relativeHumidity"]["value"] == 0.55
    assert body["location"]["value"] == {"type": "Point", "coordinates": [-3.70, 40.42]}
    # temperatureF is computed from t although nothing arrives under "f".
    assert body["temperatureF"]["value"] == 70.7

    response = post_ul(server, "wx-ul", "ws-001", "t|19|h|60")
    assert response.status_code == 200, response.text
    body = entity(server, "urn:ngsi-ld:WeatherObserved:plaza").json()
    assert body["temperature"]["value"] == 19
    assert body["relativeHumidity"]["value"] == 0.6
    assert "observedAt" in body["temperature"]

    device = entity(server, "urn:ngsi-ld:Device:ws-001").json()
    assert device["type"] == "Device"
    assert device["controlledAsset"]["object"] == "urn:ngsi-ld:WeatherObserved:plaza"
    assert "@value" in device["dateLastValueReported"]["value"]


def test_multi_measures_with_timestamps_reach_the_temporal_api(server):
    provision_group(server, {"apikey": "multi", "resource": "/iot/json", "entity_type": "Meter"})
    response = post_json(server, "multi", "m-1", [
        {"power": 1.5, "TimeInstant": "2026-12-01T10:00:00Z"},
        {"power": 2.5, "TimeInstant": "2026-12-01T10:15:00Z"},
        {"power": 3.5, "TimeInstant": "2026-12-01T10:30:00Z"}])
    assert response.status_code == 200, response.text
    response = post_ul(server, "multi", "m-1",
                       "2026-12-01T10:45:00Z|power|4.5#2026-12-01T11:00:00Z|power|5.5")
    # The group is for /iot/json only, so UltraLight on /iot/d does not find it.
    assert response.status_code == 404, response.text
    provision_group(server, {"apikey": "multi", "resource": "/iot/d", "entity_type": "Meter"})
    response = post_ul(server, "multi", "m-1",
                       "2026-12-01T10:45:00Z|power|4.5#2026-12-01T11:00:00Z|power|5.5")
    assert response.status_code == 200, response.text

    history = temporal(server, "urn:ngsi-ld:Meter:m-1", attrs="power",
                       timerel="after", timeAt="2026-12-01T00:00:00Z")
    instances = sorted(history["power"], key=lambda i: i["observedAt"])
    assert [i["value"] for i in instances] == [1.5, 2.5, 3.5, 4.5, 5.5]
    assert instances[0]["observedAt"] == "2026-12-01T10:00:00.000Z"
    assert entity(server, "urn:ngsi-ld:Meter:m-1").json()["power"]["value"] == 5.5


def test_autoprovision_creates_the_device_and_entity_name_expression(server):
    provision_group(server, {"apikey": "auto", "resource": "/iot/d", "entity_type": "Bin",
                             "entityNameExp": "'bin-' + toUpper(id)",
                             "attributes": [{"object_id": "f", "name": "fillingLevel",
                                             "type": "Number", "expression": "f / 100"}]},
                    path="/waste")
    response = post_ul(server, "auto", "b7", "f|42")
    assert response.status_code == 200, response.text
    devices = requests.get(server.url + "/iot/devices",
                           headers=fiware(path="/waste", json_body=False)).json()
    assert [d["device_id"] for d in devices["devices"]] == ["b7"]
    assert devices["devices"][0]["entity_name"] == "bin-B7"
    assert devices["devices"][0]["autoprovisioned"] is True
    body = entity(server, "urn:ngsi-ld:Bin:bin-B7").json()
    assert body["fillingLevel"]["value"] == 0.42
    assert body["scope"] == "/waste"  # Fiware-ServicePath becomes the NGSI-LD scope
    assert entity(server, "urn:ngsi-ld:Device:waste:b7").status_code == 200


def test_bad_input_is_rejected_counted_and_writes_nothing(server):
    provision_group(server, {"apikey": "strict", "resource": "/iot/d", "entity_type": "Probe",
                             "autoprovision": False,
                             "attributes": [{"object_id": "t", "name": "t", "type": "Number"}]})
    provision_device(server, {"device_id": "p1"})
    before = ingest_count(server, "http", "invalid")

    cases = [
        (post_ul(server, "strict", "p1", "t|1|h"), 400, "UltraLight"),
        (post_ul(server, "strict", "p1", "t|1#t|abc"), 400, "Number"),
        (post_ul(server, "strict", "p1", ""), 400, "empty"),
        (requests.post(server.url + "/iot/json", params={"k": "strict", "i": "p1"},
                       data="{not json"), 404, "DEVICE_GROUP_NOT_FOUND"),
        (requests.post(server.url + "/iot/d", params={"i": "p1"}, data="t|1"), 400, "apikey"),
        (requests.post(server.url + "/iot/d", params={"k": "strict"}, data="t|1"), 400, "device"),
        (post_ul(server, "nope", "p1", "t|1"), 404, "DEVICE_GROUP_NOT_FOUND"),
        (post_ul(server, "strict", "unknown", "t|1"), 404, "DEVICE_NOT_FOUND"),
    ]
    for response, status, text in cases:
        assert response.status_code == status, response.text
        assert text in response.text, response.text
        assert set(response.json()) == {"name", "message"}
    assert entity(server, "urn:ngsi-ld:Probe:p1").status_code == 404
    assert entity(server, "urn:ngsi-ld:Device:p1").status_code == 404
    assert entity(server, "urn:ngsi-ld:Probe:unknown").status_code == 404
    assert ingest_count(server, "http", "invalid") == before + 5

    # Malformed JSON on a JSON group is a 400, and the good measure after it is accepted.
    provision_group(server, {"apikey": "strict-json", "resource": "/iot/json",
                             "entity_type": "Probe"})
    response = requests.post(server.url + "/iot/json", params={"k": "strict-json", "i": "p2"},
                             data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert entity(server, "urn:ngsi-ld:Probe:p2").status_code == 404
    # A number beyond a double's range is refused, not stored as null.
    response = requests.post(server.url + "/iot/json", params={"k": "strict-json", "i": "p2"},
                             data='{"t": 1e999}', headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert "range" in response.text
    assert entity(server, "urn:ngsi-ld:Probe:p2").status_code == 404
    assert post_json(server, "strict-json", "p2", {"t": 1}).status_code == 200


def test_provisioning_api_validates_and_manages_groups_and_devices(server):
    url = server.url + "/iot/services"
    bad = [{"resource": "/iot/d"}, {"apikey": "x", "attributes": [{"name": "t"}]},
           {"apikey": "x", "attributes": [{"name": "t", "type": "Number",
                                           "expression": "t * (2"}]},
           {"apikey": "x", "unknownMember": 1}]
    for group in bad:
        response = requests.post(url, json={"services": [group]}, headers=fiware("prov"))
        assert response.status_code == 400, response.text
    assert requests.post(url, json={"services": []}, headers=fiware("prov")).status_code == 400
    assert requests.post(url, data="{}", headers={"Fiware-Service": "prov"}).status_code == 415
    assert requests.post(url, data="{", headers=fiware("prov")).status_code == 400

    provision_group(server, {"apikey": "pk", "resource": "/iot/d", "entity_type": "Lamp",
                             "commands": [{"name": "on", "type": "command"}],
                             "cbroker": "http://orion:1026"}, service="prov")
    duplicate = provision_group(server, {"apikey": "pk", "resource": "/iot/d"}, service="prov",
                                expect=409)
    assert duplicate.json()["name"] == "DUPLICATE_GROUP"
    listed = requests.get(url, headers=fiware("prov", json_body=False)).json()
    assert listed["count"] == 1
    assert listed["services"][0]["commands"] == [{"name": "on", "type": "command"}]

    response = requests.put(url, params={"apikey": "pk", "resource": "/iot/d"},
                            json={"entity_type": "Streetlight"}, headers=fiware("prov"))
    assert response.status_code == 204, response.text
    listed = requests.get(url, headers=fiware("prov", json_body=False)).json()
    assert listed["services"][0]["entity_type"] == "Streetlight"
    response = requests.put(url, params={"apikey": "pk", "resource": "/iot/d"},
                            json={"autoprovision": "maybe"}, headers=fiware("prov"))
    assert response.status_code == 400
    response = requests.put(url, params={"apikey": "zz", "resource": "/iot/d"},
                            json={}, headers=fiware("prov"))
    assert response.status_code == 404

    devices = server.url + "/iot/devices"
    provision_device(server, {"device_id": "lamp1", "timezone": "Europe/Madrid"}, service="prov")
    again = provision_device(server, {"device_id": "lamp1"}, service="prov", expect=409)
    assert again.json()["name"] == "DUPLICATE_DEVICE_ID"
    provision_device(server, {"device_id": "bad id"}, service="prov", expect=400)
    got = requests.get(devices + "/lamp1", headers=fiware("prov", json_body=False))
    assert got.status_code == 200 and got.json()["timezone"] == "Europe/Madrid"
    response = requests.put(devices + "/lamp1", json={"entity_name": "lamp-one"},
                            headers=fiware("prov"))
    assert response.status_code == 204, response.text
    assert requests.get(devices + "/lamp1", headers=fiware("prov")).json()["entity_name"] == \
        "lamp-one"
    assert requests.delete(devices + "/lamp1", headers=fiware("prov")).status_code == 204
    missing = requests.get(devices + "/lamp1", headers=fiware("prov"))
    assert missing.status_code == 404 and missing.json()["name"] == "DEVICE_NOT_FOUND"
    response = requests.delete(url, params={"apikey": "pk", "resource": "/iot/d"},
                               headers=fiware("prov"))
    assert response.status_code == 204
    assert requests.get(url, headers=fiware("prov")).json()["count"] == 0


def test_fiware_service_maps_to_the_tenant_and_servicepath_scopes_provisioning(server):
    provision_group(server, {"apikey": "t-key", "resource": "/iot/json", "entity_type": "Room"},
                    service="hotel", path="/floor1")
    assert requests.get(server.url + "/iot/services",
                        headers=fiware("hotel", "/floor2")).json()["count"] == 0
    assert requests.get(server.url + "/iot/services",
                        headers=fiware("hotel", "/*")).json()["count"] == 1
    default_tenant = requests.get(server.url + "/iot/services", params={"limit": 1000}).json()
    assert all(s["service"] == "" for s in default_tenant["services"])
    assert "t-key" not in [s["apikey"] for s in default_tenant["services"]]
    bad_path = requests.get(server.url + "/iot/services", headers=fiware("hotel", "floor1"))
    assert bad_path.status_code == 400

    assert post_json(server, "t-key", "r101", {"occupied": True}).status_code == 200
    # The measure lands in tenant "hotel", readable with NGSILD-Tenant or Fiware-Service.
    assert entity(server, "urn:ngsi-ld:Room:r101").status_code == 404
    body = entity(server, "urn:ngsi-ld:Room:r101", tenant="hotel").json()
    assert body["occupied"]["value"] is True
    via_fiware = requests.get(f"{server.url}{V1}/entities/{quote('urn:ngsi-ld:Room:r101')}",
                              headers={"Fiware-Service": "hotel"})
    assert via_fiware.status_code == 200


def test_provisioning_survives_a_restart():
    data_dir = tempfile.mkdtemp(prefix="citytwin-ingest-")
    try:
        first = CityTwinServer(data_dir=data_dir).start()
        provision_group(first, {"apikey": "keep", "resource": "/iot/d", "entity_type": "Gauge",
                                "autoprovision": False,
                                "attributes": [{"object_id": "l", "name": "level",
                                                "type": "Number", "expression": "l * 2"}]},
                        service="water")
        provision_device(first, {"device_id": "g1"}, service="water")
        assert post_ul(first, "keep", "g1", "l|1").status_code == 200
        first.stop()

        second = CityTwinServer(data_dir=data_dir).start()
        try:
            assert requests.get(second.url + "/iot/services",
                                headers=fiware("water")).json()["count"] == 1
            assert requests.get(second.url + "/iot/devices/g1",
                                headers=fiware("water")).status_code == 200
            assert post_ul(second, "keep", "g1", "l|5").status_code == 200
            body = entity(second, "urn:ngsi-ld:Gauge:g1", tenant="water").json()
            assert body["level"]["value"] == 10
            assert post_ul(second, "keep", "g2", "l|5").status_code == 404
            history = temporal(second, "urn:ngsi-ld:Gauge:g1", tenant="water", attrs="level",
                               timerel="after", timeAt="2000-01-01T00:00:00Z")
            assert sorted(i["value"] for i in history["level"]) == [2, 10]
        finally:
            second.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def cli_key(data_dir, role, tenant):
    out = subprocess.run([BINARY, "keys", "create", "--data", data_dir, "--role", role,
                          "--tenant", tenant], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_keys_must_cover_the_groups_tenant():
    data_dir = tempfile.mkdtemp(prefix="citytwin-ingest-sec-")
    try:
        db = os.path.join(data_dir, "db")
        admin = cli_key(db, "admin", "*")
        editor_a = cli_key(db, "editor", "a")
        editor_b = cli_key(db, "editor", "b")
        admin_a = cli_key(db, "admin", "a")
        server = CityTwinServer(data_dir=data_dir, auth=True).start()
        try:
            def bearer(key, service):
                return {"Authorization": f"Bearer {key}", "Fiware-Service": service}

            # Provisioning needs an admin of the tenant; an editor is refused.
            group = {"services": [{"apikey": "kb", "resource": "/iot/d", "entity_type": "S"}]}
            response = requests.post(server.url + "/iot/services", json=group,
                                     headers=bearer(editor_b, "b"))
            assert response.status_code == 403, response.text
            response = requests.post(server.url + "/iot/services", json=group,
                                     headers=bearer(admin_a, "b"))
            assert response.status_code == 403, response.text
            response = requests.post(server.url + "/iot/services", json=group,
                                     headers=bearer(admin, "b"))
            assert response.status_code == 201, response.text

            # An editor of tenant a naming its own tenant cannot write through b's apikey.
            response = requests.post(server.url + "/iot/d", params={"k": "kb", "i": "s1"},
                                     data="x|1", headers=bearer(editor_a, "a"))
            assert response.status_code == 403, response.text
            assert requests.get(f"{server.url}{V1}/entities/{quote('urn:ngsi-ld:S:s1')}",
                                headers=bearer(admin, "b")).status_code == 404
            response = requests.post(server.url + "/iot/d", params={"k": "kb", "i": "s1"},
                                     data="x|1", headers=bearer(editor_b, "b"))
            assert response.status_code == 200, response.text
            response = requests.post(server.url + "/iot/d", params={"k": "kb", "i": "s1"},
                                     data="x|1")
            assert response.status_code == 401, response.text
        finally:
            server.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_silent_devices_are_flagged_and_cleared_by_their_next_measure():
    server = CityTwinServer(extra_args=["--device-check-interval-ms", "100"]).start()
    try:
        provision_group(server, {"apikey": "watch", "resource": "/iot/d", "entity_type": "Bin",
                                 "expectedPeriod": 1}, service="waste")
        bad = requests.post(server.url + "/iot/services", headers=fiware("waste"),
                            json={"services": [{"apikey": "w2", "expectedPeriod": 0}]})
        assert bad.status_code == 400, bad.text
        assert post_ul(server, "watch", "bin1", "f|10").status_code == 200
        device_id = "urn:ngsi-ld:Device:bin1"
        assert entity(server, device_id, tenant="waste").json()["deviceState"]["value"] == "ok"

        # Waits (up to a generous deadline, no timing assertion) for the monitor to notice.
        deadline = time.monotonic() + 30
        state = "ok"
        while state == "ok" and time.monotonic() < deadline:
            time.sleep(0.2)
            state = entity(server, device_id, tenant="waste").json()["deviceState"]["value"]
        assert state == "silent"

        assert post_ul(server, "watch", "bin1", "f|11").status_code == 200
        body = entity(server, device_id, tenant="waste").json()
        assert body["deviceState"]["value"] in ("ok", "silent")  # the monitor may run again
        history = temporal(server, device_id, tenant="waste", attrs="deviceState",
                           timerel="after", timeAt="2000-01-01T00:00:00Z")
        values = [i["value"] for i in sorted(history["deviceState"],
                                             key=lambda i: i["observedAt"])]
        assert values[:3] == ["ok", "silent", "ok"]
    finally:
        server.cleanup()


def test_device_reports_within_the_interval_are_written_by_the_writer():
    # The Device entity's dateLastValueReported is written at most once per interval; the
    # newest report in between reaches it when the interval has passed (docs/ingest.md,
    # "The Device entity"), while every measure reaches its entity at once.
    server = CityTwinServer(extra_args=["--device-report-interval-ms", "500"]).start()
    try:
        provision_group(server, {"apikey": "rep", "resource": "/iot/d", "entity_type": "Meter"})
        device_id = "urn:ngsi-ld:Device:m-1"

        def reported():
            body = entity(server, device_id).json()
            return body["dateLastValueReported"]["value"]["@value"]

        # The first measure autoprovisions the device; after it, the second writes the whole
        # Device entity again (a provisioning change), so the third is the first deferrable.
        for value in (1, 2):
            assert post_ul(server, "rep", "m-1", f"p|{value}").status_code == 200
        first = reported()
        assert post_ul(server, "rep", "m-1", "p|3").status_code == 200
        assert entity(server, "urn:ngsi-ld:Meter:m-1").json()["p"]["value"] == 3
        # Written by the writer's pass (waits up to a generous deadline, no timing assertion).
        deadline = time.monotonic() + 30
        latest = reported()
        while latest == first and time.monotonic() < deadline:
            time.sleep(0.1)
            latest = reported()
        assert latest > first
        history = temporal(server, device_id, attrs="dateLastValueReported",
                           timerel="after", timeAt="2000-01-01T00:00:00Z",
                           timeproperty="modifiedAt")
        times = sorted(i["value"]["@value"] for i in history["dateLastValueReported"])
        assert times[-1] == latest
    finally:
        server.cleanup()
