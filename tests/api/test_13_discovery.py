"""Discovery: /types, /types/{type}, /attributes, /attributes/{attrId}
(GS CIM 009 V1.8.1 clauses 5.7.5-5.7.10, HTTP binding 6.25-6.28; data types 5.2.24-5.2.28).
Expected lists are computed from the generated city."""
import collections

import pytest
import requests

import city_dataset as city
from city_dataset import BASE, prop, types_of

ALL = city.entities()
PROBLEM_PREFIX = "https://uri.etsi.org/ngsi-ld/errors/"
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
# Terms of the NGSI-LD core @context among the generated names; the others fall to @vocab.
CORE_IRIS = {"location": "https://uri.etsi.org/ngsi-ld/location",
             "status": "https://uri.etsi.org/ngsi-ld/status"}
USER_CONTEXT = {"@context": {"Lamp": "https://example.org/city/Lamp",
                             "brightness": "https://example.org/city/brightness"}}
ENTITY_MEMBERS = {"id", "type", "scope"}


def attribute_names(entity):
    return set(entity) - ENTITY_MEMBERS


def attribute_kind(entity, name):
    return entity[name]["type"]


def instance_count(entities, name):
    """Clause 5.2.28 attributeCount: attribute instances (a multi-attribute counts each)."""
    return sum(len(e[name]) if isinstance(e[name], list) else 1 for e in entities if name in e)


def full_iri(name):
    return CORE_IRIS.get(name, DEFAULT_VOCAB + name)


@pytest.fixture(scope="module")
def url(server):
    city.upsert_all(server.url, ALL)
    return server.url


@pytest.fixture(scope="module")
def user_context(url):
    response = requests.post(url + BASE + "/jsonldContexts", json=USER_CONTEXT)
    assert response.status_code == 201, response.text
    context_url = response.headers["Location"]
    lamps = [{"id": f"urn:ngsi-ld:Lamp:{i}", "type": "Lamp", "brightness": prop(i * 10),
              "power": prop("on"), "@context": context_url} for i in range(4)]
    response = requests.post(url + BASE + "/entityOperations/create", json=lamps,
                             headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 201, response.text
    return context_url


def link(context_url):
    return {"Link": f'<{context_url}>; rel="http://www.w3.org/ns/json-ld#context"; '
                    'type="application/ld+json"'}


def get(url, path, **kwargs):
    return requests.get(url + BASE + path, **kwargs)


def expected_types():
    return {t for e in ALL for t in types_of(e)}


def entities_of(type_name):
    return [e for e in ALL if type_name in types_of(e)]


def assert_not_found(response):
    assert response.status_code == 404, response.text
    assert response.json()["type"] == PROBLEM_PREFIX + "ResourceNotFound"


# --- /types ------------------------------------------------------------------------------


def test_type_list(url):
    response = get(url, "/types")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "EntityTypeList"
    assert body["id"].startswith("urn:")
    assert set(body["typeList"]) == expected_types()
    assert len(body["typeList"]) == len(set(body["typeList"]))


def test_type_list_details(url):
    body = get(url, "/types", params={"details": "true"}).json()
    assert isinstance(body, list)
    by_name = {item["typeName"]: item for item in body}
    assert set(by_name) == expected_types()
    for name, item in by_name.items():
        assert item["type"] == "EntityType"
        assert item["id"] == DEFAULT_VOCAB + name
        expected = set().union(*(attribute_names(e) for e in entities_of(name)))
        assert set(item["attributeNames"]) == expected, name


@pytest.mark.parametrize("type_name", ["Streetlight", "ParkingSpot", "Device", "WasteContainer"])
def test_type_info(url, type_name):
    response = get(url, "/types/" + type_name)
    assert response.status_code == 200, response.text
    body = response.json()
    members = entities_of(type_name)
    assert body["type"] == "EntityTypeInfo"
    assert body["id"] == DEFAULT_VOCAB + type_name
    assert body["typeName"] == type_name
    assert body["entityCount"] == len(members)
    kinds = collections.defaultdict(set)
    for entity in members:
        for name in attribute_names(entity):
            kinds[name].add(attribute_kind(entity, name))
    details = {a["attributeName"]: a for a in body["attributeDetails"]}
    assert set(details) == set(kinds)
    for name, attribute in details.items():
        assert attribute["type"] == "Attribute"
        assert attribute["id"] == full_iri(name)
        assert set(attribute["attributeTypes"]) == kinds[name]
        assert attribute["attributeCount"] == instance_count(members, name)


def test_type_info_by_full_iri(url):
    body = get(url, "/types/" + requests.utils.quote(DEFAULT_VOCAB + "RoadSegment", safe="")).json()
    assert body["entityCount"] == 20
    assert body["typeName"] == "RoadSegment"


def test_unknown_type_is_404(url):
    assert_not_found(get(url, "/types/NoSuchType"))


# --- /attributes -------------------------------------------------------------------------


def test_attribute_list(url):
    body = get(url, "/attributes").json()
    assert body["type"] == "AttributeList"
    assert body["id"].startswith("urn:")
    expected = set().union(*(attribute_names(e) for e in ALL))
    assert set(body["attributeList"]) == expected
    assert "qualityFlag" not in body["attributeList"]  # a sub-attribute, not an attribute


def test_attribute_list_details(url):
    body = get(url, "/attributes", params={"details": "true"}).json()
    assert isinstance(body, list)
    by_name = {item["attributeName"]: item for item in body}
    assert set(by_name) == set().union(*(attribute_names(e) for e in ALL))
    for name, item in by_name.items():
        having = [e for e in ALL if name in e]
        assert item["type"] == "Attribute"
        assert item["id"] == full_iri(name)
        assert item["attributeCount"] == instance_count(having, name), name
        assert set(item["attributeTypes"]) == {attribute_kind(e, name) for e in having}
        assert set(item["typeNames"]) == {t for e in having for t in types_of(e)}


@pytest.mark.parametrize("name", ["status", "location", "refParkingSite", "pm25"])
def test_attribute_info(url, name):
    response = get(url, "/attributes/" + name)
    assert response.status_code == 200, response.text
    body = response.json()
    having = [e for e in ALL if name in e]
    assert body["type"] == "Attribute"
    assert body["attributeName"] == name
    assert body["id"] == full_iri(name)
    assert body["attributeCount"] == instance_count(having, name)
    assert set(body["attributeTypes"]) == {attribute_kind(e, name) for e in having}
    assert set(body["typeNames"]) == {t for e in having for t in types_of(e)}


def test_unknown_attribute_is_404(url):
    assert_not_found(get(url, "/attributes/noSuchAttribute"))


# --- user @context -----------------------------------------------------------------------


def test_types_are_compacted_with_the_link_context(url, user_context):
    with_link = get(url, "/types", headers=link(user_context)).json()["typeList"]
    assert "Lamp" in with_link
    assert "Streetlight" in with_link  # still compacted through the core default vocabulary
    without = get(url, "/types").json()["typeList"]
    assert "https://example.org/city/Lamp" in without
    assert "Lamp" not in without


def test_type_info_with_link_context(url, user_context):
    response = get(url, "/types/Lamp", headers=link(user_context))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "https://example.org/city/Lamp"
    assert body["typeName"] == "Lamp"
    assert body["entityCount"] == 4
    names = {a["attributeName"] for a in body["attributeDetails"]}
    assert names == {"brightness", "power"}
    assert_not_found(get(url, "/types/Lamp"))  # without the context it is another type


def test_attributes_with_link_context(url, user_context):
    names = get(url, "/attributes", headers=link(user_context)).json()["attributeList"]
    assert "brightness" in names
    assert "power" in names  # not in the user context: through the core default vocabulary
    assert "https://example.org/city/brightness" in get(url, "/attributes").json()["attributeList"]
    body = get(url, "/attributes/brightness", headers=link(user_context)).json()
    assert body["typeNames"] == ["Lamp"]
    assert body["attributeCount"] == 4
    assert_not_found(get(url, "/attributes/brightness"))


def test_details_with_link_context(url, user_context):
    body = get(url, "/types", params={"details": "true"}, headers=link(user_context)).json()
    lamp = next(item for item in body if item["typeName"] == "Lamp")
    assert sorted(lamp["attributeNames"]) == ["brightness", "power"]


def test_ld_json_responses_carry_the_context(url, user_context):
    response = get(url, "/types", headers={**link(user_context), "Accept": "application/ld+json"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/ld+json")
    body = response.json()
    assert "@context" in body
    assert "Lamp" in body["typeList"]


# --- multi-attributes ---------------------------------------------------------------------


def test_attribute_count_counts_every_instance_of_a_multi_attribute(url):
    """Clause 5.2.28: attributeCount is the number of attribute instances, so two entities
    with three and one instances of "gauge" give 4, not 2."""
    entities = [
        {"id": "urn:ngsi-ld:Meter:1", "type": "Meter",
         "gauge": [prop(1), {**prop(2), "datasetId": "urn:ngsi-ld:Dataset:a"},
                   {**prop(3), "datasetId": "urn:ngsi-ld:Dataset:b"}]},
        {"id": "urn:ngsi-ld:Meter:2", "type": "Meter", "gauge": prop(4)},
    ]
    for entity in entities:
        assert requests.post(url + BASE + "/entities", json=entity).status_code == 201
    try:
        assert get(url, "/attributes/gauge").json()["attributeCount"] == 4
        details = get(url, "/attributes", params={"details": "true"}).json()
        assert next(a for a in details if a["attributeName"] == "gauge")["attributeCount"] == 4
        meter = get(url, "/types/Meter").json()
        assert meter["entityCount"] == 2
        assert meter["attributeDetails"][0]["attributeCount"] == 4
    finally:
        for entity in entities:
            requests.delete(url + BASE + "/entities/" + entity["id"])


# --- lifecycle and tenants ---------------------------------------------------------------


def test_a_type_disappears_with_its_last_entity(url):
    entity = {"id": "urn:ngsi-ld:Ephemeral:1", "type": "Ephemeral", "blip": prop(1)}
    assert requests.post(url + BASE + "/entities", json=entity).status_code == 201
    assert "Ephemeral" in get(url, "/types").json()["typeList"]
    assert get(url, "/types/Ephemeral").json()["entityCount"] == 1
    assert "blip" in get(url, "/attributes").json()["attributeList"]
    assert requests.delete(url + BASE + "/entities/urn:ngsi-ld:Ephemeral:1").status_code == 204
    assert "Ephemeral" not in get(url, "/types").json()["typeList"]
    assert "blip" not in get(url, "/attributes").json()["attributeList"]
    assert_not_found(get(url, "/types/Ephemeral"))
    assert_not_found(get(url, "/attributes/blip"))


def test_discovery_in_an_unknown_tenant_is_404(url):
    for path in ("/types", "/attributes", "/types/Streetlight", "/attributes/status"):
        response = get(url, path, headers={"NGSILD-Tenant": "nosuchtenant"})
        assert response.status_code == 404, path


def test_discovery_is_per_tenant(url):
    headers = {"NGSILD-Tenant": "discovery2"}
    entity = {"id": "urn:ngsi-ld:Kiosk:1", "type": "Kiosk", "open": prop(True)}
    assert requests.post(url + BASE + "/entities", json=entity, headers=headers).status_code == 201
    assert get(url, "/types", headers=headers).json()["typeList"] == ["Kiosk"]
    assert get(url, "/attributes", headers=headers).json()["attributeList"] == ["open"]
    assert "Kiosk" not in get(url, "/types").json()["typeList"]


def test_queries_expand_names_with_the_link_context(url, user_context):
    params = {"type": "Lamp", "q": "brightness>=20", "attrs": "brightness"}
    response = get(url, "/entities", params=params, headers=link(user_context))
    assert response.status_code == 200, response.text
    got = response.json()
    assert sorted(e["id"] for e in got) == ["urn:ngsi-ld:Lamp:2", "urn:ngsi-ld:Lamp:3"]
    assert all(set(e) == {"id", "type", "brightness"} and e["type"] == "Lamp" for e in got)
    assert get(url, "/entities", params=params).json() == []  # other IRIs without it
    body = {"type": "Query", "entities": [{"type": "Lamp"}], "q": "brightness<20"}
    response = requests.post(url + BASE + "/entityOperations/query", json=body,
                             headers=link(user_context))
    assert sorted(e["id"] for e in response.json()) == ["urn:ngsi-ld:Lamp:0",
                                                        "urn:ngsi-ld:Lamp:1"]
