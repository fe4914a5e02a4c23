"""Representations of entities (GS CIM 009 V1.8.1 clauses 4.5, 4.15, 4.18, 4.21, 6.3.6, 6.3.7,
6.3.15): normalized / concise / keyValues, sysAttrs, attrs / pick / omit, lang, datasetId, every
attribute kind, sub-attributes, scope, and the JSON, JSON-LD and GeoJSON media types."""
import copy
import os
import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from ngsild import (  # noqa: E402
    CONTEXT_REL, CORE_CONTEXT_URL, V1, assert_problem, create, get, get_ok)

ID = "urn:ngsi-ld:Showcase:1"

EVERY_KIND = {
    "id": ID,
    "type": "Showcase",
    "scope": ["/Madrid/Centro", "/Madrid/Retiro"],
    "temperature": {
        "type": "Property", "value": 21.5, "unitCode": "CEL",
        "observedAt": "2024-05-01T10:00:00.000Z",
        "accuracy": {"type": "Property", "value": 0.5},
        "measuredBy": {"type": "Relationship", "object": "urn:ngsi-ld:Device:t1"},
    },
    "status": {"type": "Property", "value": {"state": "ok", "since": [2024, 5]}},
    "owner": {"type": "Relationship", "object": "urn:ngsi-ld:Person:p1",
              "objectType": "Person"},
    "location": {"type": "GeoProperty",
                 "value": {"type": "Point", "coordinates": [-3.7038, 40.4168]}},
    "name": {"type": "LanguageProperty",
             "languageMap": {"en": "Main square", "es": "Plaza Mayor", "fr": "Grand-place"}},
    "category": {"type": "VocabProperty", "vocab": "Public"},
    "readings": {"type": "ListProperty", "valueList": [1, 2.5, "three", {"four": 4}]},
    "neighbours": {"type": "ListRelationship",
                   "objectList": [{"object": "urn:ngsi-ld:Showcase:2"},
                                  {"object": "urn:ngsi-ld:Showcase:3"}]},
    "config": {"type": "JsonProperty", "json": {"type": "raw", "nested": {"id": 1, "x": None}}},
}


@pytest.fixture(scope="module")
def showcase(server):
    create(server, EVERY_KIND)
    multi = {
        "id": "urn:ngsi-ld:Showcase:multi", "type": "Showcase",
        "speed": [{"type": "Property", "value": 50, "datasetId": "urn:ngsi-ld:Dataset:gps"},
                  {"type": "Property", "value": 52, "datasetId": "urn:ngsi-ld:Dataset:radar"},
                  {"type": "Property", "value": 51}],
        "location": {"type": "GeoProperty",
                     "value": {"type": "Point", "coordinates": [2.17, 41.38]}},
    }
    create(server, multi)
    return server


def test_every_attribute_kind_round_trips_in_normalized_form(showcase):
    body = get_ok(showcase, ID)
    expected = copy.deepcopy(EVERY_KIND)
    assert body.keys() == expected.keys()
    for name in expected:
        if name == "neighbours":
            continue
        assert body[name] == expected[name], name
    # ListRelationship objects may be given as objects or URIs; the URIs must survive in order.
    neighbours = body["neighbours"]
    assert neighbours["type"] == "ListRelationship"
    uris = [item["object"] if isinstance(item, dict) else item
            for item in neighbours["objectList"]]
    assert uris == ["urn:ngsi-ld:Showcase:2", "urn:ngsi-ld:Showcase:3"]


def test_key_values_renders_plain_values(showcase):
    body = get_ok(showcase, ID, {"options": "keyValues"})
    assert body["id"] == ID and body["type"] == "Showcase"
    assert body["temperature"] == 21.5
    assert body["status"] == {"state": "ok", "since": [2024, 5]}
    assert body["owner"] == "urn:ngsi-ld:Person:p1"
    assert body["location"] == {"type": "Point", "coordinates": [-3.7038, 40.4168]}
    assert body["scope"] == ["/Madrid/Centro", "/Madrid/Retiro"]
    assert "createdAt" not in body


def test_key_values_keeps_the_value_member_of_the_newer_attribute_types(showcase):
    """Simplified representation (clause 4.5): LanguageProperty, VocabProperty, ListProperty,
    ListRelationship and JsonProperty are simplified to an object holding only their value
    member, which the core @context maps to the JSON-LD container or type that keeps their
    meaning."""
    body = get_ok(showcase, ID, {"options": "keyValues"})
    assert body["name"] == {"languageMap": EVERY_KIND["name"]["languageMap"]}
    assert body["category"] == {"vocab": "Public"}
    assert body["readings"] == {"valueList": EVERY_KIND["readings"]["valueList"]}
    assert body["neighbours"] == {"objectList": ["urn:ngsi-ld:Showcase:2",
                                                 "urn:ngsi-ld:Showcase:3"]}
    assert body["config"] == {"json": EVERY_KIND["config"]["json"]}
    assert get_ok(showcase, ID, {"options": "keyValues", "lang": "*"})["name"] == body["name"]


def test_concise_of_the_newer_attribute_types_and_lang(showcase):
    body = get_ok(showcase, ID, {"options": "concise", "lang": "es"})
    assert body["name"] == {"value": "Plaza Mayor", "lang": "es"}
    assert get_ok(showcase, ID, {"options": "concise"})["neighbours"] == {
        "objectList": ["urn:ngsi-ld:Showcase:2", "urn:ngsi-ld:Showcase:3"]}


def test_format_parameter_is_the_same_as_options(showcase):
    assert get_ok(showcase, ID, {"format": "keyValues"}) == get_ok(showcase, ID,
                                                                   {"options": "keyValues"})
    assert get_ok(showcase, ID, {"format": "simplified"}) == get_ok(showcase, ID,
                                                                    {"options": "keyValues"})
    assert get_ok(showcase, ID, {"format": "concise"}) == get_ok(showcase, ID,
                                                                 {"options": "concise"})
    assert get_ok(showcase, ID, {"format": "normalized"}) == get_ok(showcase, ID)


def test_unknown_format_or_option_is_400(showcase):
    assert_problem(get(showcase, ID, {"format": "fancy"}), 400, "BadRequestData")
    assert_problem(get(showcase, ID, {"options": "fancy"}), 400, "BadRequestData")


def test_concise_drops_types_that_can_be_inferred(showcase):
    body = get_ok(showcase, ID, {"options": "concise"})
    assert body["temperature"] == {"value": 21.5, "unitCode": "CEL",
                                   "observedAt": "2024-05-01T10:00:00.000Z",
                                   "accuracy": 0.5,
                                   "measuredBy": {"object": "urn:ngsi-ld:Device:t1"}}
    assert body["owner"] == {"object": "urn:ngsi-ld:Person:p1", "objectType": "Person"}
    assert body["location"] == {"type": "Point", "coordinates": [-3.7038, 40.4168]}
    assert body["name"] == {"languageMap": EVERY_KIND["name"]["languageMap"]}
    assert body["category"] == {"vocab": "Public"}
    assert body["readings"] == {"valueList": EVERY_KIND["readings"]["valueList"]}
    assert body["config"] == {"json": EVERY_KIND["config"]["json"]}


def test_concise_output_is_accepted_as_input_and_gives_the_same_entity(showcase):
    concise = get_ok(showcase, ID, {"options": "concise"})
    concise["id"] = "urn:ngsi-ld:Showcase:concise-copy"
    create(showcase, concise)
    original = get_ok(showcase, ID)
    copied = get_ok(showcase, concise["id"])
    copied["id"] = ID
    assert copied == original


def test_concise_input_infers_attribute_kinds(showcase):
    create(showcase, {
        "id": "urn:ngsi-ld:Showcase:concise-in", "type": "Showcase",
        "p": 7, "o": {"value": {"a": 1}},
        "r": {"object": "urn:ngsi-ld:X:1"},
        "g": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        "l": {"languageMap": {"de": "Platz"}},
        "v": {"vocab": "Open"},
        "lp": {"valueList": [1, 2]},
        "j": {"json": {"type": "Point"}},
    })
    body = get_ok(showcase, "urn:ngsi-ld:Showcase:concise-in")
    assert body["p"] == {"type": "Property", "value": 7}
    assert body["o"] == {"type": "Property", "value": {"a": 1}}
    assert body["r"] == {"type": "Relationship", "object": "urn:ngsi-ld:X:1"}
    assert body["g"] == {"type": "GeoProperty",
                         "value": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}
    assert body["l"] == {"type": "LanguageProperty", "languageMap": {"de": "Platz"}}
    assert body["v"] == {"type": "VocabProperty", "vocab": "Open"}
    assert body["lp"] == {"type": "ListProperty", "valueList": [1, 2]}
    assert body["j"] == {"type": "JsonProperty", "json": {"type": "Point"}}


def test_sys_attrs_at_every_level(showcase):
    body = get_ok(showcase, ID, {"options": "sysAttrs"})
    for member in ("createdAt", "modifiedAt"):
        assert body[member].endswith("Z")
        assert body["temperature"][member].endswith("Z")
        assert body["temperature"]["accuracy"][member].endswith("Z")
    assert body["temperature"]["createdAt"] >= body["createdAt"][:19]
    plain = get_ok(showcase, ID)
    assert "createdAt" not in plain and "createdAt" not in plain["temperature"]


def test_sys_attrs_with_key_values(showcase):
    body = get_ok(showcase, ID, {"options": "keyValues,sysAttrs"})
    assert body["temperature"] == 21.5
    assert "createdAt" in body and "modifiedAt" in body


def test_attrs_projection(showcase):
    body = get_ok(showcase, ID, {"attrs": "temperature,owner"})
    assert set(body) == {"id", "type", "scope", "temperature", "owner"}
    assert body["temperature"] == EVERY_KIND["temperature"]


def test_attrs_projection_with_an_unknown_attribute_returns_the_entity_without_it(showcase):
    body = get_ok(showcase, ID, {"attrs": "nothingHere"})
    assert body["id"] == ID
    assert "temperature" not in body


def test_pick(showcase):
    assert get_ok(showcase, ID, {"pick": "id,temperature", "options": "keyValues"}) == {
        "id": ID, "temperature": 21.5}


def test_omit(showcase):
    body = get_ok(showcase, ID, {"omit": "type,scope,temperature,name"})
    assert "type" not in body and "scope" not in body
    assert "temperature" not in body and "name" not in body
    assert body["id"] == ID and body["owner"] == EVERY_KIND["owner"]


def test_pick_and_omit_together_is_400(showcase):
    assert_problem(get(showcase, ID, {"pick": "id", "omit": "type"}), 400, "BadRequestData")


@pytest.mark.parametrize("lang, text, tag", [
    ("es", "Plaza Mayor", "es"),
    ("fr", "Grand-place", "fr"),
    ("de,es", "Plaza Mayor", "es"),
])
def test_lang_turns_a_language_property_into_a_property(showcase, lang, text, tag):
    body = get_ok(showcase, ID, {"lang": lang})
    assert body["name"] == {"type": "Property", "value": text, "lang": tag}
    assert body["temperature"] == EVERY_KIND["temperature"]
    assert get_ok(showcase, ID, {"lang": lang, "options": "keyValues"})["name"] == text


def test_lang_star_keeps_the_whole_language_map(showcase):
    assert get_ok(showcase, ID, {"lang": "*"})["name"] == EVERY_KIND["name"]


def test_multi_instance_attribute_is_an_array(showcase):
    body = get_ok(showcase, "urn:ngsi-ld:Showcase:multi")
    speeds = {i.get("datasetId", "@none"): i["value"] for i in body["speed"]}
    assert speeds == {"urn:ngsi-ld:Dataset:gps": 50, "urn:ngsi-ld:Dataset:radar": 52,
                      "@none": 51}


def test_key_values_of_a_multi_attribute_is_keyed_by_dataset_id(showcase):
    """Clause 4.5.5: {"dataset": {datasetId: value}}, the default instance under "@none"."""
    body = get_ok(showcase, "urn:ngsi-ld:Showcase:multi", {"options": "keyValues"})
    assert body["speed"] == {"dataset": {"urn:ngsi-ld:Dataset:gps": 50,
                                         "urn:ngsi-ld:Dataset:radar": 52, "@none": 51}}
    one = get_ok(showcase, "urn:ngsi-ld:Showcase:multi",
                 {"options": "keyValues", "datasetId": "urn:ngsi-ld:Dataset:gps"})
    assert one["speed"] == 50


def test_dataset_id_selects_one_instance(showcase):
    body = get_ok(showcase, "urn:ngsi-ld:Showcase:multi", {"datasetId": "urn:ngsi-ld:Dataset:radar"})
    assert body["speed"] == {"type": "Property", "value": 52,
                             "datasetId": "urn:ngsi-ld:Dataset:radar"}
    assert "location" not in body
    default = get_ok(showcase, "urn:ngsi-ld:Showcase:multi", {"datasetId": "@none"})
    assert default["speed"] == {"type": "Property", "value": 51}


def test_scope_round_trips_as_string_or_array(showcase):
    create(showcase, {"id": "urn:ngsi-ld:Showcase:scope1", "type": "Showcase",
                      "scope": "/Madrid"})
    assert get_ok(showcase, "urn:ngsi-ld:Showcase:scope1")["scope"] in ("/Madrid", ["/Madrid"])


def test_invalid_scope_is_400(showcase):
    response = requests.post(f"{showcase.url}{V1}/entities",
                             json={"id": "urn:ngsi-ld:Showcase:scope2", "type": "Showcase",
                                   "scope": "no-leading-slash"})
    assert_problem(response, 400, "BadRequestData")


def test_multi_typed_entity(showcase):
    create(showcase, {"id": "urn:ngsi-ld:Showcase:types", "type": ["Showcase", "Landmark"]})
    body = get_ok(showcase, "urn:ngsi-ld:Showcase:types")
    assert sorted(body["type"]) == ["Landmark", "Showcase"]


# --- media types -----------------------------------------------------------------------------


def test_application_json_has_a_link_header_to_the_core_context(showcase):
    response = get(showcase, ID)
    assert response.headers["Content-Type"].split(";")[0] == "application/json"
    assert "@context" not in response.json()
    link = response.headers["Link"]
    assert link.startswith(f"<{CORE_CONTEXT_URL}>")
    assert CONTEXT_REL in link


def test_application_ld_json_puts_the_context_in_the_body(showcase):
    response = get(showcase, ID, headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == "application/ld+json"
    body = response.json()
    context = body["@context"]
    contexts = context if isinstance(context, list) else [context]
    assert CORE_CONTEXT_URL in contexts
    assert "Link" not in response.headers
    del body["@context"]
    assert body == get_ok(showcase, ID)


def test_accept_with_quality_values_prefers_the_highest(showcase):
    response = get(showcase, ID, headers={
        "Accept": "application/json;q=0.5, application/ld+json;q=0.9"})
    assert response.headers["Content-Type"].split(";")[0] == "application/ld+json"
    response = get(showcase, ID, headers={"Accept": "text/html, */*;q=0.1"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == "application/json"


def test_geo_json_feature(showcase):
    response = get(showcase, ID, headers={"Accept": "application/geo+json"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["id"] == ID
    assert feature["geometry"] == {"type": "Point", "coordinates": [-3.7038, 40.4168]}
    properties = feature["properties"]
    assert properties["type"] == "Showcase"
    assert properties["temperature"]["value"] == 21.5
    assert properties["location"]["type"] == "GeoProperty"


def test_geo_json_feature_with_key_values(showcase):
    response = get(showcase, ID, {"options": "keyValues"},
                   headers={"Accept": "application/geo+json"})
    feature = response.json()
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"]["temperature"] == 21.5


def test_geo_json_feature_of_an_entity_without_location_has_null_geometry(showcase):
    create(showcase, {"id": "urn:ngsi-ld:Showcase:nowhere", "type": "Showcase",
                      "p": {"type": "Property", "value": 1}})
    feature = get(showcase, "urn:ngsi-ld:Showcase:nowhere",
                  headers={"Accept": "application/geo+json"}).json()
    assert feature["type"] == "Feature"
    assert feature["geometry"] is None


def test_geometry_property_selects_another_geo_property(showcase):
    create(showcase, {"id": "urn:ngsi-ld:Showcase:two-geo", "type": "Showcase",
                      "location": {"type": "GeoProperty",
                                   "value": {"type": "Point", "coordinates": [1, 2]}},
                      "area": {"type": "GeoProperty",
                               "value": {"type": "Point", "coordinates": [3, 4]}}})
    feature = get(showcase, "urn:ngsi-ld:Showcase:two-geo", {"geometryProperty": "area"},
                  headers={"Accept": "application/geo+json"}).json()
    assert feature["geometry"] == {"type": "Point", "coordinates": [3, 4]}


def test_geo_json_query_is_a_feature_collection(showcase):
    response = requests.get(f"{showcase.url}{V1}/entities", params={"type": "Showcase"},
                            headers={"Accept": "application/geo+json"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    ids = {feature["id"] for feature in collection["features"]}
    assert {ID, "urn:ngsi-ld:Showcase:multi"} <= ids
    assert all(feature["type"] == "Feature" for feature in collection["features"])


def test_query_in_json_ld_has_context_in_every_entity(showcase):
    response = requests.get(f"{showcase.url}{V1}/entities", params={"type": "Showcase"},
                            headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == "application/ld+json"
    entities = response.json()
    assert entities and all("@context" in entity for entity in entities)

