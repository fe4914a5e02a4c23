"""Entities: create, retrieve, delete, replace, merge (GS CIM 009 V1.8.1 clauses 5.6, 5.7, 6.4,
6.5), with the Smart Data Models examples as realistic payloads."""
import copy
import json
import os
import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from ngsild import (  # noqa: E402
    JSON, V1, assert_problem, create, entity_url, example_paths, get, get_ok, load_example,
    numbers_normalized, quote, without_context)

NOT_FOUND = "ResourceNotFound"


def streetlight(entity_id="urn:ngsi-ld:Streetlight:e1", **extra):
    entity = {
        "id": entity_id,
        "type": "Streetlight",
        "powerState": {"type": "Property", "value": "on"},
        "luminosity": {"type": "Property", "value": 120, "unitCode": "CDL"},
        "refGroup": {"type": "Relationship", "object": "urn:ngsi-ld:StreetlightGroup:g1"},
        "location": {"type": "GeoProperty",
                     "value": {"type": "Point", "coordinates": [-3.70, 40.41]}},
    }
    entity.update(extra)
    return entity


# --- create -------------------------------------------------------------------------------


def test_create_returns_201_with_location_and_empty_body(server):
    response = create(server, streetlight("urn:ngsi-ld:Streetlight:create-1"))
    assert response.status_code == 201
    assert response.headers["Location"] == f"{V1}/entities/urn:ngsi-ld:Streetlight:create-1"
    assert response.content == b""


def test_create_then_retrieve_returns_what_was_sent(server):
    entity = streetlight("urn:ngsi-ld:Streetlight:create-2")
    create(server, entity)
    assert get_ok(server, entity["id"]) == entity


def test_create_twice_is_409_already_exists(server):
    entity = streetlight("urn:ngsi-ld:Streetlight:create-3")
    create(server, entity)
    changed = copy.deepcopy(entity)
    changed["powerState"]["value"] = "off"
    response = requests.post(f"{server.url}{V1}/entities", json=changed)
    assert_problem(response, 409, "AlreadyExists")
    assert get_ok(server, entity["id"])["powerState"]["value"] == "on"


@pytest.mark.parametrize("bad_id", ["not a uri", "streetlight-7", "", "urn:", 42])
def test_create_with_an_id_that_is_not_a_uri_is_400(server, bad_id):
    response = requests.post(f"{server.url}{V1}/entities", json=streetlight(bad_id))
    assert_problem(response, 400, ("BadRequestData", "InvalidRequest"))


def test_create_without_type_is_400(server):
    entity = streetlight("urn:ngsi-ld:Streetlight:no-type")
    del entity["type"]
    assert_problem(requests.post(f"{server.url}{V1}/entities", json=entity), 400)
    assert_problem(get(server, entity["id"]), 404, NOT_FOUND)


def test_create_without_id_is_400(server):
    entity = streetlight()
    del entity["id"]
    assert_problem(requests.post(f"{server.url}{V1}/entities", json=entity), 400)


def test_create_with_invalid_attribute_is_400_and_stores_nothing(server):
    entity = streetlight("urn:ngsi-ld:Streetlight:bad-attr",
                         broken={"type": "Relationship", "object": "not a uri"})
    assert_problem(requests.post(f"{server.url}{V1}/entities", json=entity), 400,
                   "BadRequestData")
    assert_problem(get(server, entity["id"]), 404, NOT_FOUND)


def test_client_system_attributes_are_ignored(server):
    entity = streetlight("urn:ngsi-ld:Streetlight:sysattrs",
                         createdAt="1999-01-01T00:00:00Z", modifiedAt="1999-01-01T00:00:00Z")
    create(server, entity)
    body = get_ok(server, entity["id"], {"options": "sysAttrs"})
    assert body["createdAt"] != "1999-01-01T00:00:00Z"
    assert body["createdAt"].startswith("20")
    assert body["modifiedAt"] == body["createdAt"]


@pytest.mark.parametrize("path", example_paths())
def test_every_smart_data_models_example_round_trips(server, path):
    """Created with the core context only (names go to the default vocabulary), read back
    equal to the example modulo number formatting (clause 4.5.1 normalized form)."""
    example = without_context(load_example(path))
    create(server, example)
    stored = get_ok(server, example["id"])
    assert numbers_normalized(stored) == numbers_normalized(example)
    # application/json answers name the context in a Link header (clause 6.3.6).
    assert "Link" in get(server, example["id"]).headers


def test_smart_data_models_examples_are_counted_by_type(server):
    for path in example_paths():
        example = without_context(load_example(path))
        requests.post(f"{server.url}{V1}/entities", json=example)  # may already exist
        response = requests.get(f"{server.url}{V1}/entities",
                                params={"type": example["type"], "count": "true"})
        assert response.status_code == 200
        ids = [e["id"] for e in response.json()]
        assert example["id"] in ids


# --- retrieve / ids -------------------------------------------------------------------------


def test_retrieve_unknown_entity_is_404_problem_details(server):
    body = assert_problem(get(server, "urn:ngsi-ld:Streetlight:nope"), 404, NOT_FOUND)
    assert body["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"


def test_retrieve_with_an_id_that_is_not_a_uri_is_400(server):
    response = requests.get(f"{server.url}{V1}/entities/not-a-uri")
    assert_problem(response, 400, "BadRequestData")


def test_url_encoded_ids_round_trip(server):
    entity_id = "urn:ngsi-ld:Thing:a/b?c=1&d=%C3%A9#frag"
    entity = {"id": entity_id, "type": "Thing", "p": {"type": "Property", "value": 1}}
    response = create(server, entity)
    # The Location header addresses the new entity.
    located = requests.get(server.url + response.headers["Location"])
    assert located.status_code == 200, located.text
    assert located.json()["id"] == entity_id
    assert get_ok(server, entity_id)["id"] == entity_id
    assert requests.delete(entity_url(server, entity_id)).status_code == 204
    assert_problem(get(server, entity_id), 404, NOT_FOUND)


def test_http_uri_ids_are_accepted(server):
    entity_id = "http://example.org/things/42"
    create(server, {"id": entity_id, "type": "Thing"})
    assert get_ok(server, entity_id) == {"id": entity_id, "type": "Thing"}


def test_percent_encoded_plain_urn_matches_unencoded(server):
    create(server, {"id": "urn:ngsi-ld:Thing:enc-1", "type": "Thing"})
    response = requests.get(f"{server.url}{V1}/entities/urn%3Angsi-ld%3AThing%3Aenc-1")
    assert response.status_code == 200
    assert response.json()["id"] == "urn:ngsi-ld:Thing:enc-1"


# --- delete ---------------------------------------------------------------------------------


def test_delete_is_204_then_404(server):
    entity = streetlight("urn:ngsi-ld:Streetlight:delete-1")
    create(server, entity)
    response = requests.delete(entity_url(server, entity["id"]))
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(get(server, entity["id"]), 404, NOT_FOUND)
    assert_problem(requests.delete(entity_url(server, entity["id"])), 404, NOT_FOUND)


def test_deleted_entity_can_be_created_again(server):
    entity = streetlight("urn:ngsi-ld:Streetlight:delete-2")
    create(server, entity)
    requests.delete(entity_url(server, entity["id"]))
    create(server, entity)
    assert get_ok(server, entity["id"]) == entity


def test_delete_with_an_id_that_is_not_a_uri_is_400(server):
    assert_problem(requests.delete(f"{server.url}{V1}/entities/nope"), 400, "BadRequestData")


# --- replace (PUT, clause 5.6.18) -----------------------------------------------------------


def test_replace_is_204_and_drops_attributes_not_in_the_body(server):
    entity = streetlight("urn:ngsi-ld:Streetlight:replace-1")
    create(server, entity)
    created = get_ok(server, entity["id"], {"options": "sysAttrs"})["createdAt"]
    replacement = {"type": "Streetlight", "powerState": {"type": "Property", "value": "off"}}
    response = requests.put(entity_url(server, entity["id"]), json=replacement)
    assert response.status_code == 204, response.text
    assert get_ok(server, entity["id"]) == {"id": entity["id"], **replacement}
    after = get_ok(server, entity["id"], {"options": "sysAttrs"})
    assert after["createdAt"] == created
    assert after["modifiedAt"] >= created
    assert "luminosity" not in after and "location" not in after


def test_replace_can_change_the_type(server):
    create(server, streetlight("urn:ngsi-ld:Streetlight:replace-2"))
    response = requests.put(entity_url(server, "urn:ngsi-ld:Streetlight:replace-2"),
                            json={"type": "Lamp"})
    assert response.status_code == 204
    assert get_ok(server, "urn:ngsi-ld:Streetlight:replace-2")["type"] == "Lamp"


def test_replace_with_a_different_id_in_the_body_is_400(server):
    create(server, streetlight("urn:ngsi-ld:Streetlight:replace-3"))
    response = requests.put(entity_url(server, "urn:ngsi-ld:Streetlight:replace-3"),
                            json={"id": "urn:ngsi-ld:Streetlight:other", "type": "Streetlight"})
    assert_problem(response, 400, "BadRequestData")
    assert get_ok(server, "urn:ngsi-ld:Streetlight:replace-3")["powerState"]["value"] == "on"


def test_replace_unknown_entity_is_404(server):
    response = requests.put(entity_url(server, "urn:ngsi-ld:Streetlight:ghost"),
                            json={"type": "Streetlight"})
    assert_problem(response, 404, NOT_FOUND)
    assert_problem(get(server, "urn:ngsi-ld:Streetlight:ghost"), 404, NOT_FOUND)


# --- merge (PATCH, clause 5.6.17) ------------------------------------------------------------


def test_merge_updates_adds_and_keeps_other_attributes(server):
    entity = streetlight("urn:ngsi-ld:Streetlight:merge-1")
    create(server, entity)
    response = requests.patch(entity_url(server, entity["id"]), json={
        "powerState": {"type": "Property", "value": "off"},
        "voltage": {"type": "Property", "value": 230},
    })
    assert response.status_code == 204, response.text
    body = get_ok(server, entity["id"])
    assert body["powerState"] == {"type": "Property", "value": "off"}
    assert body["voltage"] == {"type": "Property", "value": 230}
    assert body["luminosity"] == entity["luminosity"]
    assert body["refGroup"] == entity["refGroup"]


def test_merge_with_ngsild_null_deletes_the_attribute(server):
    entity = streetlight("urn:ngsi-ld:Streetlight:merge-2")
    create(server, entity)
    response = requests.patch(entity_url(server, entity["id"]),
                              json={"luminosity": "urn:ngsi-ld:null"})
    assert response.status_code == 204, response.text
    body = get_ok(server, entity["id"])
    assert "luminosity" not in body
    assert body["powerState"] == entity["powerState"]


def test_merge_with_null_value_deletes_the_attribute(server):
    create(server, streetlight("urn:ngsi-ld:Streetlight:merge-2b"))
    response = requests.patch(entity_url(server, "urn:ngsi-ld:Streetlight:merge-2b"),
                              json={"luminosity": {"type": "Property", "value": "urn:ngsi-ld:null"}})
    assert response.status_code == 204, response.text
    assert "luminosity" not in get_ok(server, "urn:ngsi-ld:Streetlight:merge-2b")


def test_merge_merges_compound_values_as_json_merge_patch(server):
    entity = {"id": "urn:ngsi-ld:Building:merge-3", "type": "Building",
              "address": {"type": "Property",
                          "value": {"streetAddress": "Calle Mayor 1", "addressLocality": "Madrid",
                                    "postalCode": "28013"}}}
    create(server, entity)
    response = requests.patch(entity_url(server, entity["id"]), json={
        "address": {"type": "Property",
                    "value": {"streetAddress": "Calle Mayor 2", "postalCode": "urn:ngsi-ld:null",
                              "addressCountry": "ES"}}})
    assert response.status_code == 204, response.text
    assert get_ok(server, entity["id"])["address"]["value"] == {
        "streetAddress": "Calle Mayor 2", "addressLocality": "Madrid", "addressCountry": "ES"}


def test_merge_keeps_unmentioned_sub_attributes(server):
    create(server, {"id": "urn:ngsi-ld:Sensor:merge-4", "type": "Sensor",
                    "temperature": {"type": "Property", "value": 20, "unitCode": "CEL",
                                    "observedAt": "2024-01-01T00:00:00.000Z"}})
    requests.patch(entity_url(server, "urn:ngsi-ld:Sensor:merge-4"),
                   json={"temperature": {"type": "Property", "value": 21}})
    assert get_ok(server, "urn:ngsi-ld:Sensor:merge-4")["temperature"] == {
        "type": "Property", "value": 21, "unitCode": "CEL",
        "observedAt": "2024-01-01T00:00:00.000Z"}


def test_merge_accepts_merge_patch_content_type(server):
    create(server, streetlight("urn:ngsi-ld:Streetlight:merge-5"))
    response = requests.patch(entity_url(server, "urn:ngsi-ld:Streetlight:merge-5"),
                              data=json.dumps({"powerState": "off"}),
                              headers={"Content-Type": "application/merge-patch+json"})
    assert response.status_code == 204, response.text
    assert get_ok(server, "urn:ngsi-ld:Streetlight:merge-5")["powerState"]["value"] == "off"


def test_merge_unknown_entity_is_404(server):
    response = requests.patch(entity_url(server, "urn:ngsi-ld:Streetlight:ghost-2"),
                              json={"powerState": "off"})
    assert_problem(response, 404, NOT_FOUND)


def test_merge_with_a_different_id_is_400(server):
    create(server, streetlight("urn:ngsi-ld:Streetlight:merge-6"))
    response = requests.patch(entity_url(server, "urn:ngsi-ld:Streetlight:merge-6"),
                              json={"id": "urn:ngsi-ld:Streetlight:merge-other",
                                    "powerState": "off"})
    assert_problem(response, 400, "BadRequestData")
    assert get_ok(server, "urn:ngsi-ld:Streetlight:merge-6")["powerState"]["value"] == "on"


def test_merge_updates_modified_at_only(server):
    create(server, streetlight("urn:ngsi-ld:Streetlight:merge-7"))
    before = get_ok(server, "urn:ngsi-ld:Streetlight:merge-7", {"options": "sysAttrs"})
    requests.patch(entity_url(server, "urn:ngsi-ld:Streetlight:merge-7"),
                   json={"powerState": "off"})
    after = get_ok(server, "urn:ngsi-ld:Streetlight:merge-7", {"options": "sysAttrs"})
    assert after["createdAt"] == before["createdAt"]
    assert after["modifiedAt"] >= before["modifiedAt"]
    assert after["powerState"]["createdAt"] == before["powerState"]["createdAt"]
    assert after["refGroup"]["modifiedAt"] == before["refGroup"]["modifiedAt"]


def test_entity_ids_in_paths_are_percent_encoded_by_quote():
    # Guard for the helper itself: ids are sent percent-encoded.
    assert quote("urn:a/b") == "urn%3Aa%2Fb"
