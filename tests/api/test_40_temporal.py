"""Temporal representation of entities (GS CIM 009 V1.8.1 clauses 4.5.7-4.5.9, 4.11, 5.7.3):
every write through the API appends the changed attribute instances to the entity's history,
served by GET /temporal/entities/{id} with timerel, timeAt, endTimeAt, timeproperty, lastN,
attrs and options=temporalValues. History written just before SIGKILL is there after restart
whenever its write was acknowledged."""
import os
import signal
import sys

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import assert_problem, attrs_url, create, entity_url, quote  # noqa: E402


def temporal_url(server, entity_id):
    return f"{server.url}/ngsi-ld/v1/temporal/entities/{quote(entity_id)}"


def observed(hour):
    return f"2026-03-01T{hour:02d}:00:00.000Z"


def sensor_with_history(server, name, hours=(8, 9, 10, 11)):
    """Creates a sensor and PATCHes its temperature once per hour after the first."""
    entity_id = f"urn:ngsi-ld:Sensor:{name}"
    create(server, {
        "id": entity_id, "type": "Sensor",
        "temperature": {"type": "Property", "value": 20, "observedAt": observed(hours[0])},
        "status": {"type": "Property", "value": "ok"},
    })
    for step, hour in enumerate(hours[1:], start=1):
        response = requests.patch(attrs_url(server, entity_id, "temperature"),
                                  json={"value": 20 + step, "observedAt": observed(hour)})
        assert response.status_code == 204, response.text
    return entity_id


def history(server, entity_id, **params):
    response = requests.get(temporal_url(server, entity_id), params=params)
    assert response.status_code == 200, response.text
    return response.json()


def values(body, attribute="temperature"):
    return [instance["value"] for instance in body.get(attribute, [])]


def test_every_change_is_kept_in_order(server):
    entity_id = sensor_with_history(server, "t1")
    body = history(server, entity_id)
    assert body["id"] == entity_id
    assert body["type"] == "Sensor"
    assert values(body) == [20, 21, 22, 23]
    assert [i["observedAt"] for i in body["temperature"]] == [observed(h) for h in (8, 9, 10, 11)]
    assert values(body, "status") == ["ok"]  # unchanged attributes are recorded once


def test_timerel_before_after_between_on_observed_at(server):
    entity_id = sensor_with_history(server, "t2")
    assert values(history(server, entity_id, timerel="before", timeAt=observed(10))) == [20, 21]
    assert values(history(server, entity_id, timerel="after", timeAt=observed(9))) == [22, 23]
    between = history(server, entity_id, timerel="between", timeAt=observed(9),
                      endTimeAt=observed(11))
    assert values(between) == [21, 22]
    # status has no observedAt: a time relation on observedAt cannot select it.
    assert "status" not in between


def test_last_n_and_attrs(server):
    entity_id = sensor_with_history(server, "t3")
    body = history(server, entity_id, lastN="2", attrs="temperature")
    assert values(body) == [22, 23]
    assert "status" not in body


def test_timeproperty_modified_at_and_sys_attrs(server):
    entity_id = sensor_with_history(server, "t4")
    body = history(server, entity_id, timeproperty="modifiedAt", attrs="temperature")
    stamps = [instance["modifiedAt"] for instance in body["temperature"]]
    assert stamps == sorted(stamps) and len(stamps) == 4
    after_second = history(server, entity_id, timeproperty="modifiedAt", timerel="after",
                           timeAt=stamps[1], attrs="temperature")
    assert values(after_second) == [22, 23]


def test_temporal_values_simplified_representation(server):
    entity_id = sensor_with_history(server, "t5", hours=(8, 9))
    body = history(server, entity_id, options="temporalValues", attrs="temperature")
    assert body["temperature"] == {
        "type": "Property",
        "values": [[20, observed(8)], [21, observed(9)]],
    }


def test_deleted_attributes_and_entities_keep_their_history(server):
    entity_id = sensor_with_history(server, "t6", hours=(8, 9))
    assert requests.delete(attrs_url(server, entity_id, "status")).status_code == 204
    deletions = history(server, entity_id, timeproperty="deletedAt")
    assert [i["value"] for i in deletions["status"]] == ["urn:ngsi-ld:null"]
    assert "deletedAt" in deletions["status"][0]
    assert requests.delete(entity_url(server, entity_id)).status_code == 204
    body = history(server, entity_id)
    assert body["type"] == "Sensor"  # the last known type
    assert values(body) == [20, 21]


def test_datasets_are_separate_instances(server):
    entity_id = "urn:ngsi-ld:Sensor:t7"
    create(server, {"id": entity_id, "type": "Sensor", "temperature": [
        {"type": "Property", "value": 1, "datasetId": "urn:ngsi-ld:Dataset:a"},
        {"type": "Property", "value": 2}]})
    body = history(server, entity_id, options="temporalValues")
    groups = body["temperature"]
    assert isinstance(groups, list) and len(groups) == 2
    assert {g.get("datasetId", "@none"): [v[0] for v in g["values"]] for g in groups} == {
        "urn:ngsi-ld:Dataset:a": [1], "@none": [2]}


def test_bad_parameters_are_400(server):
    entity_id = sensor_with_history(server, "t8", hours=(8,))
    url = temporal_url(server, entity_id)
    for params in ({"timerel": "during", "timeAt": observed(8)},
                   {"timerel": "before"},
                   {"timerel": "before", "timeAt": "yesterday"},
                   {"timerel": "between", "timeAt": observed(9)},
                   {"timerel": "between", "timeAt": observed(9), "endTimeAt": observed(8)},
                   {"timeAt": observed(8)},
                   {"timeproperty": "seenAt"},
                   {"lastN": "0"}, {"lastN": "two"},
                   {"options": "aggregatedValues"}):
        assert_problem(requests.get(url, params=params), 400, "BadRequestData")


def test_unknown_entity_and_tenant_are_404(server):
    assert_problem(requests.get(temporal_url(server, "urn:ngsi-ld:Sensor:none")), 404,
                   "ResourceNotFound")
    assert_problem(requests.get(temporal_url(server, "urn:ngsi-ld:Sensor:none"),
                                headers={"NGSILD-Tenant": "nobody"}), 404, "NonexistentTenant")


def test_acknowledged_history_survives_sigkill():
    server = CityTwinServer().start()
    try:
        entity_id = sensor_with_history(server, "crash", hours=(8, 9, 10))
        server.stop(sig=signal.SIGKILL)
        server.start()
        assert values(history(server, entity_id)) == [20, 21, 22]
    finally:
        server.cleanup()
