"""Temporal representation of entities (GS CIM 009 V1.8.1 clauses 4.5.7-4.5.9, 4.11, 5.7.3):
every write through the API appends the changed attribute instances to the entity's history,
served by GET /temporal/entities/{id} with timerel, timeAt, endTimeAt, timeproperty, lastN,
attrs and options=temporalValues. History written just before SIGKILL is there after restart
whenever its write was acknowledged."""
import os
import signal
import time
import sys

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import (assert_problem, attrs_url, check_large_answers, create,  # noqa: E402
                    entity_url, quote)


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


def test_aggregated_values_per_period(server):
    entity_id = sensor_with_history(server, "agg1")
    body = history(server, entity_id, options="aggregatedValues", aggrMethods="avg,max,totalCount",
                   aggrPeriodDuration="PT2H", timerel="between", timeAt=observed(8),
                   endTimeAt=observed(12), attrs="temperature")
    temperature = body["temperature"]
    assert temperature["type"] == "Property"
    assert temperature["avg"] == [[20.5, observed(8), observed(10)],
                                  [22.5, observed(10), observed(12)]]
    assert [p[0] for p in temperature["max"]] == [21, 23]
    assert [p[0] for p in temperature["totalCount"]] == [2, 2]
    assert "status" not in body


def test_aggregated_values_whole_range_and_calendar_periods(server):
    entity_id = sensor_with_history(server, "agg2")
    whole = history(server, entity_id, options="aggregatedValues", aggrMethods="sum,min,stddev",
                    attrs="temperature")["temperature"]
    assert [p[0] for p in whole["sum"]] == [86]
    assert [p[0] for p in whole["min"]] == [20]
    assert abs(whole["stddev"][0][0] - 1.25 ** 0.5) < 1e-9
    monthly = history(server, entity_id, options="aggregatedValues", aggrMethods="sum",
                      aggrPeriodDuration="P1M", timerel="between", timeAt="2026-02-15T00:00:00Z",
                      endTimeAt="2026-05-01T00:00:00Z", attrs="temperature")["temperature"]
    # Periods start at timeAt; only the one holding values is listed.
    assert monthly["sum"] == [[86, "2026-02-15T00:00:00.000Z", "2026-03-15T00:00:00.000Z"]]


def test_aggregated_values_of_text_attributes(server):
    entity_id = sensor_with_history(server, "agg3")
    body = history(server, entity_id, options="aggregatedValues", aggrMethods="totalCount,avg")
    assert [p[0] for p in body["status"]["totalCount"]] == [1]
    assert "avg" not in body["status"]  # not asked for by name: left out
    assert "avg" in body["temperature"]
    response = requests.get(temporal_url(server, entity_id),
                            params={"options": "aggregatedValues", "aggrMethods": "avg",
                                    "attrs": "status"})
    assert_problem(response, 400, "BadRequestData")


def test_aggregated_values_bad_parameters(server):
    entity_id = sensor_with_history(server, "agg4")
    for params in (
        {"options": "aggregatedValues"},  # aggrMethods missing
        {"options": "aggregatedValues", "aggrMethods": "median"},
        {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "1H"},
        {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "-PT1H"},
        {"options": "aggregatedValues,temporalValues", "aggrMethods": "avg"},
        {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "PT1S",
         "timerel": "between", "timeAt": "2000-01-01T00:00:00Z",
         "endTimeAt": "2026-01-01T00:00:00Z"},  # too many periods
    ):
        response = requests.get(temporal_url(server, entity_id), params=params)
        assert response.status_code in (400, 403), (params, response.text)
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json()["type"].startswith("https://uri.etsi.org/ngsi-ld/errors/")


def test_temporal_query_by_type_with_paging(server):
    ids = [sensor_with_history(server, f"q{i}") for i in range(3)]
    create(server, {"id": "urn:ngsi-ld:Other:q", "type": "Other",
                    "temperature": {"type": "Property", "value": 5}})
    url = f"{server.url}/ngsi-ld/v1/temporal/entities"
    response = requests.get(url, params={"type": "Sensor", "idPattern": ".*:q[0-9]$",
                                         "attrs": "temperature", "lastN": "2", "count": "true"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(e["id"] for e in body) == ids
    for entity in body:
        assert [i["value"] for i in entity["temperature"]] == [22, 23]
        assert "status" not in entity
    assert response.headers["NGSILD-Results-Count"] == "3"

    first = requests.get(url, params={"type": "Sensor", "idPattern": ".*:q[0-9]$", "limit": "2",
                                      "options": "temporalValues", "attrs": "temperature"})
    assert first.status_code == 200
    assert len(first.json()) == 2
    assert 'rel="next"' in first.headers.get("Link", "")
    simplified = first.json()[0]["temperature"]
    assert [v[0] for v in simplified["values"]] == [20, 21, 22, 23]


def test_temporal_query_with_q_and_aggregation(server):
    hot = sensor_with_history(server, "hot")
    response = requests.get(f"{server.url}/ngsi-ld/v1/temporal/entities", params={
        "type": "Sensor", "q": "temperature>=23", "idPattern": "hot$",
        "options": "aggregatedValues", "aggrMethods": "max", "attrs": "temperature"})
    assert response.status_code == 200, response.text
    assert [e["id"] for e in response.json()] == [hot]
    assert response.json()[0]["temperature"]["max"][0][0] == 23


def test_temporal_query_post(server):
    entity_id = sensor_with_history(server, "post1")
    url = f"{server.url}/ngsi-ld/v1/temporal/entityOperations/query"
    body = {"type": "Query", "entities": [{"id": entity_id, "type": "Sensor"}],
            "attrs": ["temperature"],
            "temporalQ": {"timerel": "after", "timeAt": observed(9), "lastN": 1}}
    response = requests.post(url, json=body)
    assert response.status_code == 200, response.text
    assert [i["value"] for i in response.json()[0]["temperature"]] == [23]
    bad = dict(body, temporalQ={"timerel": "between", "timeAt": observed(9)})
    assert_problem(requests.post(url, json=bad), 400, "BadRequestData")
    bad = dict(body, temporalQ={"timerel": "after", "timeAt": 5})
    assert_problem(requests.post(url, json=bad), 400, "BadRequestData")


def test_temporal_query_needs_a_selection(server):
    response = requests.get(f"{server.url}/ngsi-ld/v1/temporal/entities",
                            params={"timerel": "after", "timeAt": observed(8)})
    assert_problem(response, 400, "BadRequestData")


TEMPORAL = "/ngsi-ld/v1/temporal/entities"


def test_temporal_create_add_and_query_history(server):
    entity_id = "urn:ngsi-ld:Sensor:tw1"
    body = {"id": entity_id, "type": "Sensor",
            "temperature": [{"type": "Property", "value": v, "observedAt": observed(h)}
                            for v, h in ((11, 3), (10, 1), (12, 5))],  # out of order
            "rain": {"type": "Property", "value": 0.5, "observedAt": observed(2),
                     "datasetId": "urn:ngsi-ld:Dataset:gauge"}}
    created = requests.post(server.url + TEMPORAL, json=body)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == TEMPORAL + "/" + entity_id
    # Adding to an existing history: 204; late data lands in time order.
    again = requests.post(server.url + TEMPORAL, json={
        "id": entity_id, "type": "Sensor",
        "temperature": {"type": "Property", "value": 9, "observedAt": observed(0)}})
    assert again.status_code == 204, again.text
    appended = requests.post(f"{temporal_url(server, entity_id)}/attrs", json={
        "temperature": [{"type": "Property", "value": 13, "observedAt": observed(7)}]})
    assert appended.status_code == 204, appended.text

    got = history(server, entity_id)
    assert got["type"] == "Sensor"
    assert values(got) == [9, 10, 11, 12, 13]
    assert got["rain"][0]["datasetId"] == "urn:ngsi-ld:Dataset:gauge"
    assert all(i["instanceId"].startswith("urn:ngsi-ld:Instance:") for i in got["temperature"])
    assert len({i["instanceId"] for i in got["temperature"]}) == 5
    # The current state is the entity API's: the temporal API did not create one.
    assert requests.get(entity_url(server, entity_id)).status_code == 404
    between = history(server, entity_id, timerel="between", timeAt=observed(1),
                      endTimeAt=observed(5))
    assert values(between) == [10, 11]


def test_temporal_instance_patch_and_delete(server):
    entity_id = sensor_with_history(server, "tw2")
    instances = history(server, entity_id)["temperature"]
    second = instances[1]["instanceId"]
    url = f"{temporal_url(server, entity_id)}/attrs/temperature/{quote(second)}"
    patched = requests.patch(url, json={"type": "Property", "value": 99,
                                        "observedAt": observed(9)})
    assert patched.status_code == 204, patched.text
    after = history(server, entity_id)["temperature"]
    assert [i["value"] for i in after] == [20, 99, 22, 23]
    assert after[1]["instanceId"] == second  # kept
    assert requests.delete(url).status_code == 204
    assert values(history(server, entity_id)) == [20, 22, 23]
    assert_problem(requests.delete(url), 404, "ResourceNotFound")
    bogus = f"{temporal_url(server, entity_id)}/attrs/temperature/urn:ngsi-ld:Instance:x"
    assert_problem(requests.delete(bogus), 400, "BadRequestData")


def test_temporal_attribute_and_entity_delete(server):
    entity_id = sensor_with_history(server, "tw3")
    url = temporal_url(server, entity_id)
    assert requests.delete(f"{url}/attrs/temperature").status_code == 204
    body = history(server, entity_id)
    assert "temperature" not in body and values(body, "status") == ["ok"]
    assert_problem(requests.delete(f"{url}/attrs/temperature"), 404, "ResourceNotFound")
    assert requests.delete(url).status_code == 204
    # The entity still exists, with no history left.
    assert requests.get(entity_url(server, entity_id)).status_code == 200
    assert "status" not in history(server, entity_id)
    assert_problem(requests.delete(url), 404, "ResourceNotFound")


def test_temporal_write_bad_input_writes_nothing(server):
    entity_id = "urn:ngsi-ld:Sensor:tw4"
    for body in (
        {"id": entity_id},  # no type
        {"id": "not a uri", "type": "Sensor"},
        {"id": entity_id, "type": "Sensor", "temperature": [
            {"type": "Property", "value": 1, "observedAt": observed(1)},
            {"type": "Property", "value": 2, "observedAt": "yesterday"}]},
        {"id": entity_id, "type": "Sensor", "temperature": []},
        {"id": entity_id, "type": "Sensor", "temperature": [5]},
    ):
        response = requests.post(server.url + TEMPORAL, json=body)
        assert_problem(response, 400, "BadRequestData")
    assert requests.get(temporal_url(server, entity_id)).status_code == 404
    missing = requests.post(f"{temporal_url(server, entity_id)}/attrs",
                            json={"temperature": {"type": "Property", "value": 1}})
    assert_problem(missing, 404, "ResourceNotFound")


def test_temporal_writes_survive_sigkill():
    server = CityTwinServer().start()
    try:
        response = requests.post(server.url + TEMPORAL, json={
            "id": "urn:ngsi-ld:Sensor:tw5", "type": "Sensor",
            "temperature": [{"type": "Property", "value": v, "observedAt": observed(v)}
                            for v in range(10)]})
        assert response.status_code == 201
        server.kill()
        server.start()
        assert values(history(server, "urn:ngsi-ld:Sensor:tw5")) == list(range(10))
    finally:
        server.cleanup()


def test_long_histories_are_paged_with_content_range():
    server = CityTwinServer(extra_args=["--temporal-page-size", "4"]).start()
    try:
        entity_id = "urn:ngsi-ld:Sensor:paged"
        response = requests.post(server.url + TEMPORAL, json={
            "id": entity_id, "type": "Sensor",
            "temperature": [{"type": "Property", "value": h, "observedAt": observed(h)}
                            for h in range(10)],
            "status": [{"type": "Property", "value": "ok", "observedAt": observed(h)}
                       for h in (0, 8)]})
        assert response.status_code == 201, response.text
        seen = []
        params = {"timerel": "after", "timeAt": "2026-02-28T00:00:00Z"}
        for _ in range(5):
            page = requests.get(temporal_url(server, entity_id), params=params)
            assert page.status_code in (200, 206), page.text
            seen += values(page.json())
            if page.status_code == 200:
                assert "Content-Range" not in page.headers
                break
            unit, rest = page.headers["Content-Range"].split(" ")
            assert unit == "date-time" and rest.endswith("/*")
            first, last = rest[:-2].split("Z-")
            assert first + "Z" <= last
            params = {"timerel": "after", "timeAt": last}
        assert seen == list(range(10))  # every instance once, in order
        over = requests.get(temporal_url(server, entity_id), params={"lastN": "5"})
        assert_problem(over, 403, "TooManyResults")
    finally:
        server.cleanup()


def test_format_parameter_selects_temporal_representations(server):
    entity_id = sensor_with_history(server, "fmt")
    simplified = history(server, entity_id, attrs="temperature", format="temporalValues")
    assert [v[0] for v in simplified["temperature"]["values"]] == [20, 21, 22, 23]
    key_values = history(server, entity_id, attrs="temperature", options="keyValues")
    assert key_values["temperature"] == simplified["temperature"]
    aggregated = history(server, entity_id, attrs="temperature", format="aggregatedValues",
                         aggrMethods="max")
    assert [p[0] for p in aggregated["temperature"]["max"]] == [23]


def test_temporal_query_finds_entities_known_only_by_their_history(server):
    # Imported history (no current state) and a deleted entity are found by type.
    response = requests.post(server.url + TEMPORAL, json={
        "id": "urn:ngsi-ld:Gauge:imported", "type": "Gauge",
        "level": [{"type": "Property", "value": v, "observedAt": observed(h)}
                  for v, h in ((1.5, 1), (1.7, 2))]})
    assert response.status_code == 201, response.text
    create(server, {"id": "urn:ngsi-ld:Gauge:gone", "type": "Gauge",
                    "level": {"type": "Property", "value": 3.0, "observedAt": observed(3)}})
    assert requests.delete(entity_url(server, "urn:ngsi-ld:Gauge:gone")).status_code == 204
    create(server, {"id": "urn:ngsi-ld:Gauge:live", "type": "Gauge",
                    "level": {"type": "Property", "value": 4.0, "observedAt": observed(4)}})

    url = f"{server.url}/ngsi-ld/v1/temporal/entities"
    response = requests.get(url, params={"type": "Gauge", "attrs": "level", "count": "true"})
    assert response.status_code == 200, response.text
    assert [e["id"] for e in response.json()] == [
        "urn:ngsi-ld:Gauge:gone", "urn:ngsi-ld:Gauge:imported", "urn:ngsi-ld:Gauge:live"]
    assert response.headers["NGSILD-Results-Count"] == "3"
    imported = next(e for e in response.json() if e["id"].endswith("imported"))
    assert [i["value"] for i in imported["level"]] == [1.5, 1.7]
    by_pattern = requests.get(url, params={"type": "Gauge", "idPattern": "imp"}).json()
    assert [e["id"] for e in by_pattern] == ["urn:ngsi-ld:Gauge:imported"]
    by_id = requests.get(url, params={"id": "urn:ngsi-ld:Gauge:imported"}).json()
    assert [e["id"] for e in by_id] == ["urn:ngsi-ld:Gauge:imported"]
    # Erasing the whole history removes it from temporal queries.
    assert requests.delete(temporal_url(server, "urn:ngsi-ld:Gauge:imported")).status_code == 204
    after = requests.get(url, params={"type": "Gauge"}).json()
    assert [e["id"] for e in after] == ["urn:ngsi-ld:Gauge:gone", "urn:ngsi-ld:Gauge:live"]


def test_temporal_pages_by_type_cover_every_entity_once(server):
    # Live, history-only and deleted entities of one type, paged by type alone: the pages
    # are the slices of the whole id-ordered answer, with Link rel="next" while more follow
    # and the count on each; a limit above the server's cap is refused, never cut short.
    url = f"{server.url}/ngsi-ld/v1/temporal/entities"
    ids = []
    for i in range(5):
        live = f"urn:ngsi-ld:Pager:live{i}"
        create(server, {"id": live, "type": "Pager", "level": [
            {"type": "Property", "value": i, "observedAt": observed(1)},
            {"type": "Property", "value": 10 + i, "observedAt": observed(2),
             "datasetId": "urn:ngsi-ld:Dataset:b"}]})
        imported = f"urn:ngsi-ld:Pager:old{i}"
        response = requests.post(server.url + TEMPORAL, json={
            "id": imported, "type": "Pager",
            "level": [{"type": "Property", "value": i, "observedAt": observed(3)}]})
        assert response.status_code == 201, response.text
        ids += [live, imported]
    gone = "urn:ngsi-ld:Pager:gone"
    create(server, {"id": gone, "type": "Pager",
                    "level": {"type": "Property", "value": 7, "observedAt": observed(4)}})
    assert requests.delete(entity_url(server, gone)).status_code == 204
    ids = sorted(ids + [gone])
    for limit in (1, 3, 4, 11, 12):
        for offset in range(0, len(ids) + 2):
            response = requests.get(url, params={"type": "Pager", "attrs": "level", "lastN": "1",
                                                 "limit": limit, "offset": offset,
                                                 "count": "true"})
            assert response.status_code == 200, response.text
            assert [e["id"] for e in response.json()] == ids[offset:offset + limit]
            assert response.headers["NGSILD-Results-Count"] == str(len(ids))
            more = offset + limit < len(ids)
            assert ('rel="next"' in response.headers.get("Link", "")) == more
    # Aggregated, two datasets: each keeps its own periods.
    body = requests.get(url, params={
        "type": "Pager", "attrs": "level", "options": "aggregatedValues", "aggrMethods": "max",
        "aggrPeriodDuration": "P1D", "limit": 1000}).json()
    live0 = next(e for e in body if e["id"] == "urn:ngsi-ld:Pager:live0")
    groups = live0["level"]
    assert isinstance(groups, list) and len(groups) == 2
    assert sorted(g["max"][0][0] for g in groups) == [0, 10]
    too_large = requests.get(url, params={"type": "Pager", "lastN": "1", "limit": 1001})
    assert too_large.status_code == 403, too_large.text


def test_bulk_history_import_reads_edits_and_survives_sigkill():
    """A history import with thousands of instances of one attribute in one request: the store
    packs whole chunks of it at once (docs/storage.md, "Bulk appends"). Reading, paging,
    aggregating, lastN, editing one instance and a SIGKILL all see exactly what was sent."""
    server = CityTwinServer().start()
    try:
        entity_id = "urn:ngsi-ld:Sensor:bulk"
        count = 2500

        def at(minute):
            return f"2026-03-{1 + minute // 1440:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00.000Z"

        sent = [round(15 + (m % 97) * 0.25 - (m % 7) * 0.5, 2) for m in range(count)]
        response = requests.post(server.url + TEMPORAL, json={
            "id": entity_id, "type": "Sensor",
            "temperature": [{"type": "Property", "value": v, "observedAt": at(m)}
                            for m, v in enumerate(sent)]})
        assert response.status_code == 201, response.text

        def everything():
            seen, params = [], {"timerel": "after", "timeAt": "2026-02-28T00:00:00Z"}
            for _ in range(20):
                page = requests.get(temporal_url(server, entity_id), params=params)
                assert page.status_code in (200, 206), page.text
                seen += page.json().get("temperature", [])
                if page.status_code == 200:
                    return seen
                params = {"timerel": "after",
                          "timeAt": page.headers["Content-Range"].split(" ")[1][:-2].split("Z-")[1]}
            raise AssertionError("too many pages")

        def check(expected):
            seen = everything()
            assert [i["value"] for i in seen] == expected
            assert [i["observedAt"] for i in seen] == [at(m) for m in range(count)]
            assert len({i["instanceId"] for i in seen}) == count
            last = history(server, entity_id, lastN="3")["temperature"]
            assert [i["value"] for i in last] == expected[-3:]
            whole = history(server, entity_id, options="aggregatedValues",
                            aggrMethods="max,min,sum,totalCount", attrs="temperature",
                            timerel="after", timeAt="2026-02-28T00:00:00Z")["temperature"]
            assert [p[0] for p in whole["totalCount"]] == [count]
            assert [p[0] for p in whole["max"]] == [max(expected)]
            assert [p[0] for p in whole["min"]] == [min(expected)]
            assert abs(whole["sum"][0][0] - sum(expected)) < 1e-6
            return seen

        seen = check(sent)
        # Edit one instance in the middle of the import, then kill the server.
        middle = seen[1500]["instanceId"]
        url = f"{temporal_url(server, entity_id)}/attrs/temperature/{quote(middle)}"
        patched = requests.patch(url, json={"type": "Property", "value": 99.5,
                                            "observedAt": at(1500)})
        assert patched.status_code == 204, patched.text
        sent[1500] = 99.5
        check(sent)
        server.kill()
        server.start()
        check(sent)
    finally:
        server.cleanup()


def metric(server, name):
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError(f"{name} not in /metrics")


def compaction_passes(server):
    return metric(server, "citytwin_history_compaction_passes")


def wait_compacted(server):
    """Two compaction passes that started after now: the second saw every write so far."""
    target = compaction_passes(server) + 2
    for _ in range(600):
        if compaction_passes(server) >= target:
            return
        time.sleep(0.05)
    raise AssertionError("no compaction passes")


def test_idle_compaction_passes_skip_their_walk_until_a_sample_arrives(tmp_path):
    """docs/storage.md, "Idle passes": with fewer samples than history_compact_min_samples
    nothing can be compacted, so after one pass found that, later passes do not walk the
    history (citytwin_history_compaction_walks stays) until a sample is written; the next
    pass then walks, compacts, and the history reads the same."""
    config = tmp_path / "citytwin.toml"
    config.write_text("[storage]\nhistory_compact_after_s = 0\nhistory_compact_interval_ms = 50\n"
                      "history_compact_min_samples = 4\n")
    server = CityTwinServer(extra_args=["--config", str(config)]).start()
    try:
        entity_id = sensor_with_history(server, "idle", hours=(8, 9, 10))  # 3 samples < 4
        wait_compacted(server)
        walks = metric(server, "citytwin_history_compaction_walks")
        passes = compaction_passes(server)
        wait_compacted(server)
        wait_compacted(server)
        assert compaction_passes(server) >= passes + 4
        assert metric(server, "citytwin_history_compaction_walks") == walks

        response = requests.patch(attrs_url(server, entity_id, "temperature"),
                                  json={"value": 23, "observedAt": observed(11)})
        assert response.status_code == 204, response.text
        wait_compacted(server)
        assert metric(server, "citytwin_history_compaction_walks") > walks
        # A pass that packs a few rows leaves the raw family to RocksDB (docs/storage.md,
        # "Reclaiming the raw rows").
        assert metric(server, "citytwin_history_raw_reclaims") == 0
        assert values(history(server, entity_id, attrs="temperature")) == [20, 21, 22, 23]
        server.kill()
        server.start()
        assert values(history(server, entity_id, attrs="temperature")) == [20, 21, 22, 23]
    finally:
        server.cleanup()


def test_last_value_from_compacted_history_with_late_and_edited_instances(tmp_path):
    """lastN=1 over compressed chunks (docs/storage.md, "Chunk bounds"): the newest instant
    sits in the OLDEST chunk (an instance written first with an observedAt far ahead), and
    stays the answer after compaction, for one entity and by type, and after a restart; once
    that instance is deleted (its chunk explodes) and again after recompaction, the answer
    is the newest in-order instance."""
    config = tmp_path / "citytwin.toml"
    config.write_text("[storage]\nhistory_compact_after_s = 0\nhistory_compact_interval_ms = 100\n"
                      "history_compact_min_samples = 1\nhistory_chunk_samples = 8\n")
    server = CityTwinServer(extra_args=["--config", str(config)]).start()
    try:
        entity_id = "urn:ngsi-ld:Gauge:late"

        def instance(value, minute):
            return {"type": "Property", "value": value,
                    "observedAt": f"2026-03-02T{minute // 60:02d}:{minute % 60:02d}:00.000Z"}

        ahead = requests.post(server.url + TEMPORAL, json={
            "id": entity_id, "type": "Gauge", "level": instance(999, 23 * 60)})
        assert ahead.status_code == 201, ahead.text
        in_order = requests.post(server.url + TEMPORAL, json={
            "id": entity_id, "type": "Gauge",
            "level": [instance(value, value) for value in range(60)]})
        assert in_order.status_code == 204, in_order.text
        wait_compacted(server)

        def last(**params):
            one = history(server, entity_id, lastN="1", attrs="level", **params)["level"]
            by_type = requests.get(server.url + TEMPORAL, params={
                "type": "Gauge", "lastN": "1", "attrs": "level", **params})
            assert by_type.status_code == 200, by_type.text
            assert [e["level"] for e in by_type.json()] == [one]
            return [i["value"] for i in one]

        assert last() == [999]
        assert last(timeproperty="modifiedAt") == [59]
        server.stop()
        server.start()
        assert last() == [999]
        newest = history(server, entity_id, attrs="level")["level"]
        assert [i["value"] for i in newest][-1] == 999
        url = f"{temporal_url(server, entity_id)}/attrs/level/{quote(newest[-1]['instanceId'])}"
        assert requests.delete(url).status_code == 204
        assert last() == [59]
        wait_compacted(server)
        assert last() == [59]
        assert values(history(server, entity_id, lastN="3", attrs="level"), "level") == [57, 58, 59]
    finally:
        server.cleanup()


def every_instance(server, entity_id, attribute):
    """All instances of one attribute, paged by modifiedAt (instances without observedAt too)."""
    seen, params = [], {"timeproperty": "modifiedAt", "timerel": "after",
                        "timeAt": "2000-01-01T00:00:00Z", "attrs": attribute}
    for _ in range(50):
        page = requests.get(temporal_url(server, entity_id), params=params)
        assert page.status_code in (200, 206), page.text
        seen += page.json().get(attribute, [])
        if page.status_code == 200:
            return seen
        params["timeAt"] = page.headers["Content-Range"].split(" ")[1][:-2].split("Z-")[1]
    raise AssertionError("too many pages")


def test_bulk_import_of_tricky_instances_reads_as_small_imports_do(server):
    """An import large enough to be packed into chunks, of plain Properties (parsed straight
    to their stored text) and other instances, reads back exactly as the same instances
    imported a hundred at a time (kept raw), and as sent; a bad instance anywhere is a 400
    that writes nothing."""
    def instance(i):
        value = [14.37, 1.5, 1e3, -0.0, 7, 2 ** 64 - 1, True, "on", 'a"b\\\n\u0001', "café ✓",
                 0.1, {"k": [1, 2]}][i % 12]
        body = {"type": "Property", "value": value}
        if i % 7:
            body["observedAt"] = f"2026-03-{1 + i // 1440:02d}T{i // 60 % 24:02d}:{i % 60:02d}:00Z"
        if i % 5 == 0:
            body["unitCode"] = "CEL"
        if i % 13 == 0:
            body["datasetId"] = "urn:ngsi-ld:Dataset:b"
        if i % 17 == 0:
            body["accuracy"] = {"type": "Property", "value": 0.5}
        if i % 23 == 0:
            body["observedAt"] = "2026-03-01T07:00:00.5+02:00"
        if i % 29 == 0:
            body = {"value": value}  # concise
        return body

    count = 2100
    sent = [instance(i) for i in range(count)]
    bulk_id, small_id = "urn:ngsi-ld:Sensor:bulk-tricky", "urn:ngsi-ld:Sensor:small-tricky"
    for bad in ({"type": "Property", "value": 1, "observedAt": "yesterday"},
                {"type": "Property", "value": None}, {"type": "Property", "value": 1, "unitCode": ""},
                {"type": "Property", "value": 1, "datasetId": "not a uri"}):
        response = requests.post(server.url + TEMPORAL, json={
            "id": bulk_id, "type": "Sensor", "temperature": sent + [bad]})
        assert_problem(response, 400, "BadRequestData")
    assert requests.get(temporal_url(server, bulk_id)).status_code == 404

    response = requests.post(server.url + TEMPORAL, json={
        "id": bulk_id, "type": "Sensor", "temperature": sent})
    assert response.status_code == 201, response.text
    for start in range(0, count, 100):
        response = requests.post(server.url + TEMPORAL, json={
            "id": small_id, "type": "Sensor", "temperature": sent[start:start + 100]})
        assert response.status_code in (201, 204), response.text

    def per_dataset(instances):  # each dataset's instances in order, without their stamps
        out = {}
        for i in instances:
            out.setdefault(i.get("datasetId"), []).append(
                {k: v for k, v in i.items() if k not in ("instanceId", "modifiedAt", "createdAt")})
        return out

    bulk = every_instance(server, bulk_id, "temperature")
    assert len(bulk) == count
    assert per_dataset(bulk) == per_dataset(every_instance(server, small_id, "temperature"))
    # As sent (observedAt normalized to UTC).
    for dataset, instances in per_dataset(sent).items():
        got = per_dataset(bulk)[dataset]
        assert [i["value"] for i in got] == [i["value"] for i in instances]
        assert [i.get("unitCode") for i in got] == [i.get("unitCode") for i in instances]
    assert any(i.get("observedAt") == "2026-03-01T05:00:00.500Z" for i in bulk)


def test_latest_value_follows_every_kind_of_write(server):
    """lastN=1 of one attribute (answered from the store's newest-sample cache once a query
    has walked the history) follows PATCHes, late and early history imports, edits and
    deletions of instances, and an erased attribute, by entity and by type."""
    entity_id = sensor_with_history(server, "latest1")

    def latest(**extra):
        body = history(server, entity_id, attrs="temperature", lastN="1", **extra)
        by_type = requests.get(f"{server.url}/ngsi-ld/v1/temporal/entities",
                               params={"type": "Sensor", "attrs": "temperature", "lastN": "1",
                                       "id": entity_id, **extra})
        assert by_type.status_code == 200, by_type.text
        listed = [e for e in by_type.json() if e["id"] == entity_id]
        assert [e.get("temperature") for e in listed] == [body.get("temperature")]
        return values(body), [i["instanceId"] for i in body.get("temperature", [])]

    assert latest()[0] == [23]
    assert latest()[0] == [23]  # the second answer comes from the cache
    assert latest(timeproperty="modifiedAt")[0] == [23]
    # A PATCH with an older observedAt: newest by modifiedAt only.
    response = requests.patch(attrs_url(server, entity_id, "temperature"),
                              json={"value": 5, "observedAt": observed(6)})
    assert response.status_code == 204, response.text
    assert latest()[0] == [23]
    assert latest(timeproperty="modifiedAt")[0] == [5]
    # Imported history: a later instant wins, an earlier one does not.
    imported = {"id": entity_id, "type": "Sensor",
                "temperature": [{"type": "Property", "value": 40, "observedAt": observed(20)},
                                {"type": "Property", "value": 1, "observedAt": observed(1)}]}
    response = requests.post(f"{server.url}/ngsi-ld/v1/temporal/entities", json=imported)
    assert response.status_code == 204, response.text
    values_now, ids = latest()
    assert values_now == [40]
    # Editing the newest instance, then deleting it.
    url = f"{temporal_url(server, entity_id)}/attrs/temperature/{quote(ids[0])}"
    patched = requests.patch(url, json={"type": "Property", "value": 41,
                                        "observedAt": observed(20)})
    assert patched.status_code == 204, patched.text
    assert latest() == ([41], ids)
    assert requests.delete(url).status_code == 204
    assert latest()[0] == [23]
    # The whole attribute history erased: nothing is the latest any more.
    assert requests.delete(f"{temporal_url(server, entity_id)}/attrs/temperature").status_code == 204
    assert latest()[0] == []
    response = requests.patch(attrs_url(server, entity_id, "temperature"),
                              json={"value": 7, "observedAt": observed(2)})
    assert response.status_code == 204, response.text
    assert latest()[0] == [7]


def test_instances_written_from_stored_text_match_the_renderer(server):
    """The temporal answer writes most instances straight from their stored text; `pick`
    naming every member sends the same answer through the general renderer instead. The two
    must agree byte for byte, for every kind of attribute and value, with and without system
    attributes, JSON-LD and language selection."""
    kinds = {
        "temperature": [{"type": "Property", "value": v, "observedAt": observed(h), "unitCode": "CEL"}
                        for v, h in ((20, 1), (21.5, 2), (-0.0, 3), (1e-7, 4), (1.5e300, 5),
                                     (123456789012345678, 6), (18446744073709551615, 7))],
        "label": [{"type": "Property", "value": v, "observedAt": observed(h)}
                  for v, h in (("quote \" back\\slash é€😀 \n tab\t", 1), (True, 2),
                               ({"a": [1, 2.5, None, "\u0001"]}, 3), ([], 4))],
        "owner": [{"type": "Relationship", "object": "urn:ngsi-ld:Person:1",
                   "observedAt": observed(1)},
                  {"type": "Relationship", "object": "urn:ngsi-ld:Person:2",
                   "objectType": "Person", "observedAt": observed(2)}],
        "name": {"type": "LanguageProperty", "languageMap": {"en": "Main", "es": "Mayor"},
                 "observedAt": observed(1)},
        "levels": {"type": "ListProperty", "valueList": [1, "two", {"x": 3}],
                   "observedAt": observed(1)},
        "raw": {"type": "JsonProperty", "json": {"k": [True, None, 1.25]},
                "observedAt": observed(1)},
        "rain": [{"type": "Property", "value": 0.5, "observedAt": observed(2),
                  "datasetId": "urn:ngsi-ld:Dataset:gauge"},
                 {"type": "Property", "value": 0.25, "observedAt": observed(3)}],
    }
    imported = dict(kinds, id="urn:ngsi-ld:TextSensor:imported", type="TextSensor")
    created = requests.post(server.url + TEMPORAL, json=imported)
    assert created.status_code == 201, created.text
    live_id = "urn:ngsi-ld:TextSensor:live"
    create(server, {"id": live_id, "type": "TextSensor",
                    "temperature": {"type": "Property", "value": 1.25, "observedAt": observed(1)},
                    "name": kinds["name"], "levels": kinds["levels"], "raw": kinds["raw"]})
    for value in (2, 3.5e-9, "x\"y"):
        patched = requests.patch(attrs_url(server, live_id, "temperature"),
                                 json={"value": value, "observedAt": observed(2)})
        assert patched.status_code == 204, patched.text
    pick = "id,type," + ",".join(kinds)
    variants = [{}, {"lastN": "2"}, {"timeproperty": "modifiedAt"}, {"options": "sysAttrs"},
                {"lang": "en"}, {"lang": "*"}, {"attrs": "temperature,rain"},
                {"timerel": "after", "timeAt": observed(2)}]
    compared = 0
    for entity_id in ("urn:ngsi-ld:TextSensor:imported", live_id):
        for params in variants:
            for accept in ("application/json", "application/ld+json"):
                headers = {"Accept": accept}
                text = requests.get(temporal_url(server, entity_id), params=params, headers=headers)
                rendered = requests.get(temporal_url(server, entity_id),
                                        params=dict(params, pick=pick), headers=headers)
                assert text.status_code == 200, text.text
                assert rendered.status_code == 200, rendered.text
                assert text.content == rendered.content, (entity_id, params, accept)
                compared += 1
    for params in variants:
        query = dict(params, type="TextSensor")
        text = requests.get(server.url + TEMPORAL, params=query)
        rendered = requests.get(server.url + TEMPORAL, params=dict(query, pick=pick))
        assert text.status_code == 200, text.text
        assert text.content == rendered.content, params
        assert len(text.json()) >= 2
        compared += 1
    assert compared == 40


def test_large_answers_arrive_whole_on_a_kept_connection(server):
    with requests.Session() as session:
        check_large_answers(session, server.url)
