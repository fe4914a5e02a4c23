"""Downsampled rollups (issue #3): a retention rule may ask for hourly/daily rollups of a
type's numeric history ("rollups": ["PT1H", "P1D"], "rollupRetention"); aggregated temporal
queries aligned to whole hours/days answer from them, exactly as from the raw history, and
keep answering after retention has erased the raw samples. Late data and instance deletions
change the rollups' answers."""
import math
import os
import sys
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from ngsild import assert_problem, quote  # noqa: E402

RETENTION = "/citytwin/v1/retention"
TENANT = {"NGSILD-Tenant": "rollups"}
SENSOR = "urn:ngsi-ld:Sensor:rollup1"
METHODS = "totalCount,sum,avg,min,max,stddev,sumsq"


def stamp(day, hour, minute=0):
    return f"2025-06-{day:02d}T{hour:02d}:{minute:02d}:00.000Z"


def readings():
    """Four readings an hour over 10 and 11 June, observed out of order (late ones last)."""
    result = []
    for day in (10, 11):
        for hour in range(24):
            for minute in (5, 20, 35, 50):
                value = ((day * 131 + hour * 17 + minute * 7) % 97) / 4
                result.append((day, hour, minute, value))
    return result[1::2] + result[0::2]


def temporal_url(server, entity_id=SENSOR):
    return f"{server.url}/ngsi-ld/v1/temporal/entities/{quote(entity_id)}"


def aggregated(server, period, time_at, end_time_at, attrs="level"):
    params = {"options": "aggregatedValues", "aggrMethods": METHODS,
              "aggrPeriodDuration": period, "timerel": "between", "timeAt": time_at,
              "endTimeAt": end_time_at}
    if attrs:
        params["attrs"] = attrs
    response = requests.get(temporal_url(server), params=params, headers=TENANT)
    assert response.status_code == 200, response.text
    return response.json()


def expected(samples, width_hours, start_day=10):
    """Per period of `width_hours` from start_day 00:00: what each method answers."""
    periods = {}
    for day, hour, minute, value in samples:
        index = ((day - start_day) * 24 + hour) // width_hours
        periods.setdefault(index, []).append(value)
    answer = {}
    for index in sorted(periods):
        values = periods[index]
        n = len(values)
        mean = sum(values) / n
        answer[index] = {"totalCount": n, "sum": sum(values), "avg": mean, "min": min(values),
                         "max": max(values), "sumsq": sum(v * v for v in values),
                         "stddev": math.sqrt(sum((v - mean) ** 2 for v in values) / n)}
    return answer


def assert_matches(attribute, want, width_hours, start_day=10):
    for method in METHODS.split(","):
        got = attribute[method]
        assert len(got) == len(want), (method, got)
        for (value, start, _end), index in zip(got, sorted(want)):
            hours = index * width_hours
            assert start == stamp(start_day + hours // 24, hours % 24), (method, start)
            assert math.isclose(value, want[index][method], rel_tol=1e-9, abs_tol=1e-9), \
                (method, start, value, want[index][method])


def assert_same_answer(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], (int, float)) and isinstance(b[key], (int, float)):
            assert math.isclose(a[key], b[key], rel_tol=1e-9, abs_tol=1e-9), key
        elif isinstance(a[key], dict):
            assert_same_answer(a[key], b[key])
        elif isinstance(a[key], list):
            assert len(a[key]) == len(b[key]), key
            for x, y in zip(a[key], b[key]):
                assert_same_answer({"v": x}, {"v": y})
        else:
            assert a[key] == b[key], key


def test_rules_with_rollups_are_read_back_and_checked(server):
    rules = {"rules": [{"type": "Sensor", "keep": "P2Y", "rollups": ["PT1H", "P1D"],
                        "rollupRetention": "P10Y"},
                       {"type": "Meter", "rollups": ["P1D"]}]}
    headers = {"NGSILD-Tenant": "rules-only"}
    response = requests.put(server.url + RETENTION, json=rules, headers=headers)
    assert response.status_code == 204, response.text
    assert requests.get(server.url + RETENTION, headers=headers).json() == rules
    for bad in ({"rules": [{"type": "A", "rollups": ["PT2H"]}]},
                {"rules": [{"type": "A", "rollups": ["PT1H", "PT1H"]}]},
                {"rules": [{"type": "A", "rollups": "PT1H"}]},
                {"rules": [{"type": "A", "keep": "P1Y", "rollupRetention": "P2Y"}]},
                {"rules": [{"type": "A", "rollups": ["P1D"], "rollupRetention": "P0D"}]}):
        assert_problem(requests.put(server.url + RETENTION, json=bad, headers=headers), 400,
                       "BadRequestData")
    assert requests.get(server.url + RETENTION, headers=headers).json() == rules
    requests.put(server.url + RETENTION, json={"rules": []}, headers=headers).raise_for_status()


def test_rollups_answer_as_raw_history_and_outlive_its_retention(server):
    samples = readings()
    response = requests.post(f"{server.url}/ngsi-ld/v1/temporal/entities", headers=TENANT, json={
        "id": SENSOR, "type": "Sensor",
        "level": [{"type": "Property", "value": value, "observedAt": stamp(day, hour, minute)}
                  for day, hour, minute, value in samples],
        "mode": [{"type": "Property", "value": "eco", "observedAt": stamp(10, 3, 1)}]})
    assert response.status_code == 201, response.text
    two_days = (stamp(10, 0), stamp(12, 0))

    # The raw history's answers, before any rule.
    raw_hourly = aggregated(server, "PT1H", *two_days)
    assert_matches(raw_hourly["level"], expected(samples, 1), 1)
    raw_everything = aggregated(server, "PT3H", *two_days, attrs=None)

    # Hourly and daily rollups; raw history kept two seconds.
    response = requests.put(server.url + RETENTION, headers=TENANT, json={"rules": [
        {"type": "Sensor", "keep": "PT2S", "rollups": ["PT1H", "P1D"],
         "rollupRetention": "P100Y"}]})
    assert response.status_code == 204, response.text
    assert_same_answer(aggregated(server, "PT1H", *two_days), raw_hourly)
    # The text attribute is answered from raw history beside the rollups' numbers.
    assert_same_answer(aggregated(server, "PT3H", *two_days, attrs=None), raw_everything)
    assert_matches(aggregated(server, "P1D", *two_days)["level"], expected(samples, 24), 24)
    # Not aligned to whole hours: the raw history answers, the same way.
    unaligned = aggregated(server, "PT1H", "2025-06-10T00:30:00Z", "2025-06-10T03:30:00Z")
    assert [p[0] for p in unaligned["level"]["totalCount"]] == [4, 4, 4]

    # The retention pass erases the raw samples (recorded over two seconds ago).
    time.sleep(2.5)
    response = requests.post(server.url + RETENTION + "/passes")
    assert response.status_code == 200, response.text
    response = requests.get(temporal_url(server), headers=TENANT, params={
        "timerel": "between", "timeAt": two_days[0], "endTimeAt": two_days[1]})
    assert response.status_code == 200, response.text
    assert response.json().get("level", []) == []  # raw instances: gone
    # Aggregations over the trimmed range still answer, from the rollups.
    assert_same_answer(aggregated(server, "PT1H", *two_days), raw_hourly)
    assert_matches(aggregated(server, "P1D", *two_days)["level"], expected(samples, 24), 24)

    # Late data into the trimmed range changes the answer.
    late = (10, 3, 30, 1000.0)
    response = requests.post(temporal_url(server) + "/attrs", headers=TENANT, json={
        "level": [{"type": "Property", "value": late[3], "observedAt": stamp(10, 3, 30)}]})
    assert response.status_code == 204, response.text
    assert_matches(aggregated(server, "PT1H", *two_days)["level"],
                   expected(samples + [late], 1), 1)
    assert_matches(aggregated(server, "P1D", *two_days)["level"],
                   expected(samples + [late], 24), 24)

    # Deleting that instance takes it out again.
    response = requests.get(temporal_url(server), headers=TENANT, params={"attrs": "level"})
    assert response.status_code == 200, response.text
    instances = response.json()["level"]
    instances = instances if isinstance(instances, list) else [instances]
    assert [i["value"] for i in instances] == [late[3]]
    response = requests.delete(
        f"{temporal_url(server)}/attrs/level/{quote(instances[0]['instanceId'])}", headers=TENANT)
    assert response.status_code == 204, response.text
    assert_same_answer(aggregated(server, "PT1H", *two_days), raw_hourly)

    # Rules without rollups: raw history (now empty) answers.
    requests.put(server.url + RETENTION, headers=TENANT,
                 json={"rules": [{"type": "Sensor", "keep": "P1Y"}]}).raise_for_status()
    assert aggregated(server, "PT1H", *two_days).get("level") is None
