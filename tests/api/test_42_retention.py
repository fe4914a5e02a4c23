"""History retention (issue #3): rules per tenant and entity type set through
/citytwin/v1/retention, applied by passes that erase the samples recorded (modifiedAt) longer
ago than the rule keeps; a pass can be asked for with POST /citytwin/v1/retention/passes."""
import os
import sys
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from ngsild import assert_problem  # noqa: E402

RETENTION = "/citytwin/v1/retention"


def entity(entity_id, entity_type, value):
    return {"id": entity_id, "type": entity_type, "level": {"type": "Property", "value": value}}


def patch_level(server, entity_id, value, tenant=None):
    headers = {"NGSILD-Tenant": tenant} if tenant else {}
    response = requests.patch(f"{server.url}/ngsi-ld/v1/entities/{entity_id}/attrs/level",
                              json={"value": value}, headers=headers)
    assert response.status_code == 204, response.text


def levels(server, entity_id, tenant=None):
    headers = {"NGSILD-Tenant": tenant} if tenant else {}
    response = requests.get(f"{server.url}/ngsi-ld/v1/temporal/entities/{entity_id}",
                            params={"options": "temporalValues", "timeproperty": "modifiedAt"},
                            headers=headers)
    assert response.status_code == 200, response.text
    return [value for value, _ in response.json().get("level", {}).get("values", [])]


def test_rules_are_kept_per_tenant_and_read_back_with_short_type_names(server):
    response = requests.put(server.url + RETENTION, json={
        "rules": [{"type": "AirQualityObserved", "keep": "P2Y"}, {"keep": "P5Y"}]})
    assert response.status_code == 204, response.text
    response = requests.get(server.url + RETENTION)
    assert response.status_code == 200
    assert response.json() == {"rules": [{"keep": "P2Y", "type": "AirQualityObserved"},
                                         {"keep": "P5Y"}]}
    # Another tenant has its own (none yet); an empty list removes them.
    assert requests.get(server.url + RETENTION,
                        headers={"NGSILD-Tenant": "elsewhere"}).json() == {"rules": []}
    assert requests.put(server.url + RETENTION, json={"rules": []}).status_code == 204
    assert requests.get(server.url + RETENTION).json() == {"rules": []}


def test_bad_rules_are_refused_and_nothing_changes(server):
    assert requests.put(server.url + RETENTION,
                        json={"rules": [{"keep": "P1Y"}]}).status_code == 204
    for body in ({"rules": [{"keep": "two years"}]},
                 {"rules": [{"keep": "P0D"}]},
                 {"rules": [{"type": "A", "keep": "P1D"}, {"type": "A", "keep": "P2D"}]},
                 {"rules": [{"type": "A"}]},
                 {"rules": [{"keep": "P1D", "colour": "red"}]},
                 {"rules": "P1D"},
                 [{"keep": "P1D"}]):
        response = requests.put(server.url + RETENTION, json=body)
        assert_problem(response, 400, "BadRequestData")
    assert requests.get(server.url + RETENTION).json() == {"rules": [{"keep": "P1Y"}]}
    requests.put(server.url + RETENTION, json={"rules": []}).raise_for_status()


def test_a_pass_erases_what_each_rule_no_longer_keeps(server):
    for tenant in (None, "other"):
        headers = {"NGSILD-Tenant": tenant} if tenant else {}
        for entity_id, entity_type in (("urn:ngsi-ld:Gauge:1", "Gauge"),
                                       ("urn:ngsi-ld:Meter:1", "Meter")):
            response = requests.post(server.url + "/ngsi-ld/v1/entities",
                                     json=entity(entity_id, entity_type, 0), headers=headers)
            assert response.status_code == 201, response.text
            patch_level(server, entity_id, 1, tenant)
    # Gauges keep 4 seconds; the default rule (every other type) keeps a day. The other
    # tenant has no rules: it keeps everything. (The new samples below must still be younger
    # than the rule's period when the pass runs: 4 s leaves room on a loaded machine, where 2 s
    # did not always.)
    response = requests.put(server.url + RETENTION, json={
        "rules": [{"type": "Gauge", "keep": "PT4S"}, {"keep": "P1D"}]})
    assert response.status_code == 204, response.text
    time.sleep(4.5)
    for tenant in (None, "other"):
        patch_level(server, "urn:ngsi-ld:Gauge:1", 2, tenant)
        patch_level(server, "urn:ngsi-ld:Meter:1", 2, tenant)
    response = requests.post(server.url + RETENTION + "/passes")
    assert response.status_code == 200, response.text
    assert response.json()["tenants"] == 1
    assert levels(server, "urn:ngsi-ld:Gauge:1") == [2]
    assert levels(server, "urn:ngsi-ld:Meter:1") == [0, 1, 2]
    assert levels(server, "urn:ngsi-ld:Gauge:1", "other") == [0, 1, 2]
    # The current state is untouched: retention erases history only.
    current = requests.get(server.url + "/ngsi-ld/v1/entities/urn:ngsi-ld:Gauge:1").json()
    assert current["level"]["value"] == 2
    requests.put(server.url + RETENTION, json={"rules": []}).raise_for_status()
