"""Tenants (GS CIM 009 V1.8.1 clause 4.14, header NGSILD-Tenant clause 6.3.14) and error
handling (clause 5.5.2 ProblemDetails, 6.3.2-6.3.6 media types): every error is an
application/json ProblemDetails with type, title and status, and never a 5xx."""
import json
import os
import random
import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import (  # noqa: E402
    CORE_CONTEXT_URL, JSON, V1, assert_problem, attrs_url, create, entity_url, get, get_ok)


def thing(entity_id, value=1):
    return {"id": entity_id, "type": "Thing", "p": {"type": "Property", "value": value}}


def tenant(name):
    return {"NGSILD-Tenant": name}


# --- tenants -----------------------------------------------------------------------------------


def test_entities_are_isolated_per_tenant(server):
    entity_id = "urn:ngsi-ld:Thing:tenanted"
    create(server, thing(entity_id, 1), headers={**JSON, **tenant("alpha")})
    create(server, thing(entity_id, 2), headers={**JSON, **tenant("beta")})
    assert get_ok(server, entity_id, headers=tenant("alpha"))["p"]["value"] == 1
    assert get_ok(server, entity_id, headers=tenant("beta"))["p"]["value"] == 2
    assert_problem(get(server, entity_id), 404, "ResourceNotFound")


def test_entity_in_one_tenant_is_invisible_in_another_and_in_the_default(server):
    entity_id = "urn:ngsi-ld:Thing:only-in-gamma"
    create(server, thing(entity_id), headers={**JSON, **tenant("gamma")})
    create(server, thing("urn:ngsi-ld:Thing:in-delta"), headers={**JSON, **tenant("delta")})
    assert_problem(get(server, entity_id, headers=tenant("delta")), 404, "ResourceNotFound")
    assert_problem(get(server, entity_id), 404, "ResourceNotFound")
    listed = requests.get(f"{server.url}{V1}/entities", params={"type": "Thing"},
                          headers=tenant("delta")).json()
    assert [e["id"] for e in listed] == ["urn:ngsi-ld:Thing:in-delta"]
    default = requests.get(f"{server.url}{V1}/entities", params={"type": "Thing"}).json()
    assert entity_id not in [e["id"] for e in default]


def test_writes_in_one_tenant_do_not_touch_another(server):
    entity_id = "urn:ngsi-ld:Thing:shared-id"
    create(server, thing(entity_id, 1), headers={**JSON, **tenant("eps1")})
    create(server, thing(entity_id, 1), headers={**JSON, **tenant("eps2")})
    response = requests.patch(attrs_url(server, entity_id, "p"), json={"value": 9},
                              headers=tenant("eps1"))
    assert response.status_code == 204
    assert requests.delete(entity_url(server, entity_id), headers=tenant("eps2")).status_code == 204
    assert get_ok(server, entity_id, headers=tenant("eps1"))["p"]["value"] == 9
    assert_problem(get(server, entity_id, headers=tenant("eps2")), 404, "ResourceNotFound")


def test_unknown_tenant_is_404_nonexistent_tenant(server):
    assert_problem(get(server, "urn:ngsi-ld:Thing:x", headers=tenant("neverused")), 404,
                   "NonexistentTenant")
    response = requests.get(f"{server.url}{V1}/entities", params={"type": "Thing"},
                            headers=tenant("neverused2"))
    assert_problem(response, 404, "NonexistentTenant")


def test_writes_other_than_create_to_an_unknown_tenant_are_404(server):
    assert_problem(requests.delete(entity_url(server, "urn:ngsi-ld:Thing:x"),
                                   headers=tenant("neverused3")), 404, "NonexistentTenant")
    assert_problem(requests.patch(attrs_url(server, "urn:ngsi-ld:Thing:x"), json={"p": 1},
                                  headers=tenant("neverused3")), 404, "NonexistentTenant")
    # ... and they did not create the tenant.
    assert_problem(get(server, "urn:ngsi-ld:Thing:x", headers=tenant("neverused3")), 404,
                   "NonexistentTenant")


@pytest.mark.parametrize("name", ["has space", "slash/inside", "x" * 65, "semi;colon", "ünï"])
def test_invalid_tenant_name_is_400(server, name):
    response = requests.post(f"{server.url}{V1}/entities", json=thing("urn:ngsi-ld:Thing:bad-t"),
                             headers={**JSON, "NGSILD-Tenant": name.encode("utf-8")})
    assert_problem(response, 400, "BadRequestData")
    response = requests.get(entity_url(server, "urn:ngsi-ld:Thing:bad-t"),
                            headers={"NGSILD-Tenant": name.encode("utf-8")})
    assert_problem(response, 400, "BadRequestData")


# --- media types and bodies ------------------------------------------------------------------


def test_text_plain_body_is_415(server):
    response = requests.post(f"{server.url}{V1}/entities", data=json.dumps(thing("urn:a:b")),
                             headers={"Content-Type": "text/plain"})
    assert_problem(response, 415, "UnsupportedMediaType")


def test_missing_content_type_is_415(server):
    response = requests.post(f"{server.url}{V1}/entities", data=b'{"id":"urn:a:c","type":"T"}')
    assert_problem(response, 415)


def test_content_type_with_charset_is_accepted(server):
    response = requests.post(f"{server.url}{V1}/entities",
                             data=json.dumps(thing("urn:ngsi-ld:Thing:charset")),
                             headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("content_type", ["Application/JSON; charset=UTF-8",
                                          "APPLICATION/JSON", "application/json ;charset=utf-8"])
def test_content_type_is_case_insensitive(server, content_type):
    """RFC 9110 clause 8.3.1: media types compare case-insensitively, parameters apart."""
    entity_id = "urn:ngsi-ld:Thing:ct-" + str(abs(hash(content_type)))
    response = requests.post(f"{server.url}{V1}/entities", data=json.dumps(thing(entity_id)),
                             headers={"Content-Type": content_type})
    assert response.status_code == 201, response.text


def test_ld_json_content_type_in_upper_case_takes_the_context_from_the_body(server):
    entity = {**thing("urn:ngsi-ld:Thing:ld-upper"), "@context": CORE_CONTEXT_URL}
    response = requests.post(f"{server.url}{V1}/entities", data=json.dumps(entity),
                             headers={"Content-Type": "Application/LD+JSON; charset=utf-8"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("accept", ["Application/LD+JSON",
                                    "application/json;q=0.2, application/ld+json; Q=0.9",
                                    "application/json; charset=utf-8; q=0.1, application/ld+json"])
def test_accept_is_case_insensitive_and_reads_q_among_parameters(server, accept):
    requests.post(f"{server.url}{V1}/entities", data=json.dumps(thing("urn:ngsi-ld:Thing:acc")),
                  headers=JSON)  # 201 the first time, 409 after
    response = get(server, "urn:ngsi-ld:Thing:acc", headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == "application/ld+json"


def test_accept_text_html_is_406(server):
    create(server, thing("urn:ngsi-ld:Thing:html"))
    assert_problem(get(server, "urn:ngsi-ld:Thing:html", headers={"Accept": "text/html"}), 406,
                   "NotAcceptable")
    response = requests.get(f"{server.url}{V1}/entities", params={"type": "Thing"},
                            headers={"Accept": "text/html"})
    assert_problem(response, 406, "NotAcceptable")


def test_malformed_json_is_400_invalid_request_and_store_unchanged(server):
    create(server, thing("urn:ngsi-ld:Thing:malformed", 5))
    for url, method in [(f"{server.url}{V1}/entities", "POST"),
                        (entity_url(server, "urn:ngsi-ld:Thing:malformed"), "PATCH"),
                        (entity_url(server, "urn:ngsi-ld:Thing:malformed"), "PUT"),
                        (attrs_url(server, "urn:ngsi-ld:Thing:malformed"), "POST"),
                        (attrs_url(server, "urn:ngsi-ld:Thing:malformed"), "PATCH"),
                        (attrs_url(server, "urn:ngsi-ld:Thing:malformed", "p"), "PATCH"),
                        (attrs_url(server, "urn:ngsi-ld:Thing:malformed", "p"), "PUT")]:
        response = requests.request(method, url, data='{"p": {"type": "Property", "value": 6',
                                    headers=JSON)
        assert_problem(response, 400, "InvalidRequest")
    assert get_ok(server, "urn:ngsi-ld:Thing:malformed") == thing("urn:ngsi-ld:Thing:malformed", 5)


@pytest.mark.parametrize("body", ["[]", "[{\"id\": \"urn:a:b\", \"type\": \"T\"}]", "42",
                                  "\"text\"", "null", "true"])
def test_body_that_is_not_an_object_is_400(server, body):
    response = requests.post(f"{server.url}{V1}/entities", data=body, headers=JSON)
    assert_problem(response, 400, ("BadRequestData", "InvalidRequest"))
    response = requests.patch(attrs_url(server, "urn:ngsi-ld:Thing:any"), data=body, headers=JSON)
    assert_problem(response, 400, ("BadRequestData", "InvalidRequest"))


def test_empty_body_is_400(server):
    response = requests.post(f"{server.url}{V1}/entities", data=b"", headers=JSON)
    assert_problem(response, 400, "InvalidRequest")


def test_oversized_body_is_413():
    instance = CityTwinServer(extra_args=["--max-body-bytes", "1000"]).start()
    try:
        big = thing("urn:ngsi-ld:Thing:big")
        big["blob"] = {"type": "Property", "value": "x" * 2000}
        response = requests.post(f"{instance.url}{V1}/entities", data=json.dumps(big),
                                 headers=JSON)
        assert_problem(response, 413)
        small = thing("urn:ngsi-ld:Thing:small")
        assert requests.post(f"{instance.url}{V1}/entities", data=json.dumps(small),
                             headers=JSON).status_code == 201
        assert_problem(get(instance, "urn:ngsi-ld:Thing:big"), 404, "ResourceNotFound")
    finally:
        instance.cleanup()


def test_deeply_nested_body_is_rejected_not_crashing(server):
    body = '{"id": "urn:ngsi-ld:Thing:deep", "type": "T", "p": ' + "[" * 5000 + "]" * 5000 + "}"
    response = requests.post(f"{server.url}{V1}/entities", data=body, headers=JSON)
    assert_problem(response, 400)
    assert requests.get(server.url + "/health").status_code == 200


# --- garbage never yields a 5xx -----------------------------------------------------------------

GARBAGE_SEEDS = [
    None, True, 0, -1.5e308, "", "urn:ngsi-ld:null", [], {}, [None], {"type": None},
    {"type": "Property"}, {"type": "Relationship"}, {"type": "GeoProperty", "value": {}},
    {"type": "GeoProperty", "value": {"type": "Polygon", "coordinates": [[1, 2]]}},
    {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1e400, "a"]}},
    {"type": "LanguageProperty", "languageMap": {"en": 5}}, {"type": "VocabProperty", "vocab": 3},
    {"type": "ListProperty", "valueList": 3}, {"type": "ListRelationship", "objectList": [1]},
    {"type": "JsonProperty"}, {"value": 1, "datasetId": 7}, {"value": 1, "observedAt": "never"},
    {"value": 1, "unitCode": 5}, [{"value": 1}, {"value": 2}],
    {"object": ["urn:a:b", 5]}, {"type": ["Property"], "value": 1}, {"@context": 5},
    {"value": {"@type": "DateTime", "@value": 5}}, {"languageMap": []}, {"vocab": []},
]


def garbage_bodies(rng, count):
    keys = ["id", "type", "scope", "p", "@context", "location", "createdAt", "", "a b",
            "urn:ngsi-ld:null", "datasetId", "value", "object"]
    bodies = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.15:
            text = json.dumps(rng.choice(GARBAGE_SEEDS))
        elif kind < 0.3:
            raw = json.dumps(thing("urn:ngsi-ld:Thing:garbage"))
            cut = rng.randrange(len(raw))
            text = raw[:cut] + rng.choice(["", "\x00", "\ud800", "}", "{", "\\", "\""]) + raw[cut:]
        else:
            body = {}
            for _ in range(rng.randrange(0, 6)):
                body[rng.choice(keys)] = rng.choice(GARBAGE_SEEDS + ["urn:ngsi-ld:Thing:g",
                                                                     "Thing", "/a/b"])
            if rng.random() < 0.5:
                body["id"] = rng.choice(["urn:ngsi-ld:Thing:garbage", "x", 5, None])
            text = json.dumps(body)
        bodies.append(text.encode("utf-8", "surrogatepass"))
    return bodies


def test_random_garbage_to_every_write_endpoint_never_yields_5xx(server):
    create(server, thing("urn:ngsi-ld:Thing:garbage-target"))
    target = "urn:ngsi-ld:Thing:garbage-target"
    endpoints = [
        ("POST", f"{server.url}{V1}/entities"),
        ("PUT", entity_url(server, target)),
        ("PATCH", entity_url(server, target)),
        ("POST", attrs_url(server, target)),
        ("PATCH", attrs_url(server, target)),
        ("PATCH", attrs_url(server, target, "p")),
        ("PUT", attrs_url(server, target, "p")),
        ("POST", f"{server.url}{V1}/jsonldContexts"),
    ]
    rng = random.Random(20240501)
    session = requests.Session()
    failures = []
    for method, url in endpoints:
        for content_type in ("application/json", "application/ld+json"):
            for body in garbage_bodies(rng, 40):
                response = session.request(method, url, data=body,
                                           headers={"Content-Type": content_type})
                if response.status_code >= 500:
                    failures.append((method, url, body[:200], response.status_code,
                                     response.text[:200]))
                elif response.status_code >= 400:
                    ctype = response.headers.get("Content-Type", "")
                    problem = response.json() if ctype.startswith("application/json") else None
                    if not problem or not {"type", "title", "status"} <= set(problem):
                        failures.append((method, url, body[:200], "not ProblemDetails",
                                         response.text[:200]))
    assert not failures, "\n".join(repr(f) for f in failures)
    # The target may have been changed by valid-looking garbage, but it is still readable.
    assert get(server, target).status_code in (200, 404)
    assert requests.get(server.url + "/health").json()["ready"] is True


def test_garbage_query_parameters_never_yield_5xx(server):
    rng = random.Random(7)
    values = ["", ",", ",,", "*", "@none", "urn:ngsi-ld:null", "%", "a b", "\u00e9", "1" * 300,
              "keyValues,concise", "sysAttrs,sysAttrs", "en;q=x", "http://", ";", "()"]
    params = ["options", "format", "attrs", "pick", "omit", "lang", "datasetId",
              "geometryProperty", "deleteAll", "details"]
    create(server, thing("urn:ngsi-ld:Thing:params"))
    for _ in range(150):
        query = {rng.choice(params): rng.choice(values) for _ in range(rng.randrange(1, 4))}
        for accept in ("application/json", "application/ld+json", "application/geo+json"):
            response = get(server, "urn:ngsi-ld:Thing:params", params=query,
                           headers={"Accept": accept})
            assert response.status_code < 500, (query, response.text)
            if response.status_code >= 400:
                assert_problem(response, response.status_code)


@pytest.mark.parametrize("value", ["1e999", "-1e400", '{"deep": [0, 2e308]}'])
def test_number_beyond_a_doubles_range_is_400_and_nothing_is_stored(server, value):
    """Boost.JSON reads such a number as infinity, which JSON cannot carry back: it would be
    stored and served as null. Refused instead, in creates and in updates."""
    body = '{"id": "urn:ngsi-ld:Thing:huge", "type": "Thing", "p": {"type": "Property", "value": %s}}'
    response = requests.post(server.url + V1 + "/entities", data=body % value,
                             headers=JSON)
    assert_problem(response, 400, "BadRequestData")
    assert get(server, "urn:ngsi-ld:Thing:huge").status_code == 404
    create(server, thing("urn:ngsi-ld:Thing:finite", 5))
    response = requests.patch(attrs_url(server, "urn:ngsi-ld:Thing:finite"),
                              data='{"p": {"type": "Property", "value": %s}}' % value,
                              headers=JSON)
    assert_problem(response, 400, "BadRequestData")
    assert get_ok(server, "urn:ngsi-ld:Thing:finite")["p"]["value"] == 5
    requests.delete(entity_url(server, "urn:ngsi-ld:Thing:finite"))
