"""History export for analysts (issue #3): GET /citytwin/v1/export streams the recorded
history of the selected entities as CSV or JSON Lines, with chunked transfer encoding."""
import csv
import io
import json
import os
import sys

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from ngsild import assert_problem  # noqa: E402

EXPORT = "/citytwin/v1/export"


def observed(minute):
    return f"2026-03-01T10:{minute:02d}:00.000Z"


def post_history(server, entity_id, entity_type, temperatures, extra=None):
    body = {"id": entity_id, "type": entity_type,
            "temperature": [{"type": "Property", "value": v, "observedAt": observed(m),
                             "unitCode": "CEL"} for m, v in temperatures]}
    body.update(extra or {})
    response = requests.post(server.url + "/ngsi-ld/v1/temporal/entities", json=body)
    assert response.status_code == 201, response.text


def test_csv_export_of_a_type_and_time_range(server):
    post_history(server, "urn:ngsi-ld:Probe:1", "Probe", [(0, 10.5), (1, 11), (2, 12)],
                 {"note": {"type": "Property", "value": "a, \"quoted\"\nline",
                           "observedAt": observed(1)}})
    post_history(server, "urn:ngsi-ld:Probe:2", "Probe", [(0, 20)])
    post_history(server, "urn:ngsi-ld:Other:1", "Other", [(0, 99)])
    # The temporal API alone records history; give the probes a current state too, so the
    # type selects them.
    for entity_id in ("urn:ngsi-ld:Probe:1", "urn:ngsi-ld:Probe:2", "urn:ngsi-ld:Other:1"):
        requests.post(server.url + "/ngsi-ld/v1/entities", json={
            "id": entity_id, "type": entity_id.split(":")[2],
            "temperature": {"type": "Property", "value": 0}}).raise_for_status()
    response = requests.get(server.url + EXPORT, params={
        "type": "Probe", "timerel": "between", "timeAt": observed(0), "endTimeAt": observed(2)})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers.get("Transfer-Encoding") == "chunked"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    temperatures = [(r["id"], r["value"]) for r in rows if r["attribute"] == "temperature"]
    assert temperatures == [("urn:ngsi-ld:Probe:1", "10.5"), ("urn:ngsi-ld:Probe:1", "11"),
                            ("urn:ngsi-ld:Probe:2", "20")]
    assert all(r["type"] == "Probe" and r["unitCode"] == "CEL" for r in rows
               if r["attribute"] == "temperature")
    notes = [r for r in rows if r["attribute"] == "note"]
    assert [n["value"] for n in notes] == ["a, \"quoted\"\nline"]  # RFC 4180 quoting


def test_jsonl_export_with_attrs_and_many_entities(server):
    entities = [{"id": f"urn:ngsi-ld:Meter:{i:04d}", "type": "Meter",
                 "energy": {"type": "Property", "value": i, "observedAt": observed(0)},
                 "label": {"type": "Property", "value": "x" * 300}} for i in range(250)]
    for start in range(0, len(entities), 100):
        response = requests.post(server.url + "/ngsi-ld/v1/entityOperations/create",
                                 json=entities[start:start + 100])
        assert response.status_code == 201, response.text
    response = requests.get(server.url + EXPORT,
                            params={"type": "Meter", "attrs": "energy,label", "format": "jsonl"})
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.text.splitlines()]
    energy = [line["value"] for line in lines if line["attribute"] == "energy"]
    assert energy == list(range(250))  # several entity pages and chunks, nothing lost
    assert sum(1 for line in lines if line["attribute"] == "label") == 250
    assert lines[0]["observedAt"] == observed(0)


def test_export_bad_input(server):
    assert_problem(requests.get(server.url + EXPORT, params={"type": "T", "format": "xml"}),
                   400, "BadRequestData")
    assert_problem(requests.get(server.url + EXPORT, params={"type": "T", "timerel": "between",
                                                             "timeAt": observed(1)}),
                   400, "BadRequestData")
    assert_problem(requests.get(server.url + EXPORT), 400, "BadRequestData")  # no selection
    assert_problem(requests.get(server.url + EXPORT, params={"type": "T"},
                                headers={"NGSILD-Tenant": "nobody"}), 404, "NonexistentTenant")


def test_offline_export_command(tmp_path):
    import subprocess
    from citytwin_server import CityTwinServer
    server = CityTwinServer().start()
    try:
        post_history(server, "urn:ngsi-ld:Probe:cli", "Probe", [(0, 1.5), (5, 2.5)])
        requests.post(server.url + "/ngsi-ld/v1/entities", json={
            "id": "urn:ngsi-ld:Probe:cli", "type": "Probe",
            "temperature": {"type": "Property", "value": 3}}).raise_for_status()
        command = [server.binary, "export", "--data", os.path.join(server.data_dir, "db"),
                   "--type", "Probe", "--attrs", "temperature", "--format", "jsonl",
                   "--from", observed(0), "--to", observed(5)]
        busy = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert busy.returncode == 1 and "server running" in busy.stderr  # one process at a time
        server.stop()
        out = tmp_path / "export.jsonl"
        done = subprocess.run(command + ["-o", str(out)], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        assert [(line["id"], line["attribute"], line["value"]) for line in lines] == [
            ("urn:ngsi-ld:Probe:cli", "temperature", 1.5)]
        bad = subprocess.run(command[:-4] + ["--from", "noon"], capture_output=True, text=True,
                             timeout=60)
        assert bad.returncode == 2 and "--from" in bad.stderr
    finally:
        server.cleanup()
