"""Batch entity operations (GS CIM 009 V1.8.1 clauses 5.6.7 create, 5.6.8 upsert, 5.6.9
update, 5.6.10 delete, 5.6.21 merge; HTTP binding 6.14-6.18, 6.31; result 5.2.16/5.2.17)."""
import itertools
import json

import pytest
import requests

from city_dataset import BASE, encode, prop, point

PROBLEM_PREFIX = "https://uri.etsi.org/ngsi-ld/errors/"
_counter = itertools.count()


def new_id(kind="Thing"):
    return f"urn:ngsi-ld:{kind}:b{next(_counter):05d}"


def thing(entity_id, **attrs):
    body = {"id": entity_id, "type": "Thing"}
    body.update(attrs or {"temperature": prop(20)})
    return body


def op(url, name, body, **kwargs):
    return requests.post(url + BASE + "/entityOperations/" + name, json=body, **kwargs)


def fetch(url, entity_id, **params):
    return requests.get(url + BASE + "/entities/" + entity_id, params=encode(params))


def kv(url, entity_id):
    response = fetch(url, entity_id, options="keyValues")
    assert response.status_code == 200, response.text
    return response.json()


def exists(url, entity_id):
    return fetch(url, entity_id).status_code == 200


def assert_batch_result(response, success, failed):
    """207 with BatchOperationResult: success ids, and a BatchEntityError per failed id."""
    assert response.status_code == 207, response.text
    body = response.json()
    assert sorted(body["success"]) == sorted(success)
    assert sorted(e["entityId"] for e in body["errors"]) == sorted(failed)
    for error in body["errors"]:
        problem = error["error"]
        assert problem["type"].startswith(PROBLEM_PREFIX), problem
        assert problem["title"]
        assert problem["status"] in (400, 404, 409, 422), problem
    return body


def error_of(body, entity_id):
    return next(e["error"] for e in body["errors"] if e["entityId"] == entity_id)


@pytest.fixture(scope="module")
def url(server):
    return server.url


# --- create ------------------------------------------------------------------------------


def test_create_all_new_is_201_with_the_ids(url):
    items = [thing(new_id()) for _ in range(5)]
    response = op(url, "create", items)
    assert response.status_code == 201, response.text
    assert sorted(response.json()) == sorted(e["id"] for e in items)
    for item in items:
        assert kv(url, item["id"])["temperature"] == 20


def test_create_existing_entity_is_reported_and_others_created(url):
    existing = new_id()
    assert op(url, "create", [thing(existing)]).status_code == 201
    fresh = new_id()
    response = op(url, "create", [thing(existing, temperature=prop(99)), thing(fresh)])
    body = assert_batch_result(response, [fresh], [existing])
    assert error_of(body, existing)["type"] == PROBLEM_PREFIX + "AlreadyExists"
    assert error_of(body, existing)["status"] == 409
    assert kv(url, existing)["temperature"] == 20  # untouched
    assert exists(url, fresh)


def test_create_duplicate_ids_in_one_batch(url):
    dup, other = new_id(), new_id()
    response = op(url, "create", [thing(dup, temperature=prop(1)), thing(other),
                                  thing(dup, temperature=prop(2))])
    body = assert_batch_result(response, [dup, other], [dup])
    assert error_of(body, dup)["type"] == PROBLEM_PREFIX + "AlreadyExists"
    assert kv(url, dup)["temperature"] == 1  # the first one won


@pytest.mark.parametrize("bad", [
    {"id": "not a uri", "type": "Thing", "temperature": prop(1)},
    {"id": "urn:ngsi-ld:Thing:no-type", "temperature": prop(1)},
    {"id": "urn:ngsi-ld:Thing:bad-geo", "type": "Thing", "temperature": prop(1),
     "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [500, 0]}}},
    {"id": "urn:ngsi-ld:Thing:bad-rel", "type": "Thing", "temperature": prop(1),
     "owner": {"type": "Relationship"}},
    {"id": "urn:ngsi-ld:Thing:bad-attr", "type": "Thing", "temperature": prop(1),
     "humidity": {"type": "Property"}},
])
def test_create_invalid_item_fails_alone_and_is_never_half_stored(url, bad):
    good = [thing(new_id()), thing(new_id())]
    response = op(url, "create", [good[0], bad, good[1]])
    assert response.status_code == 207, response.text
    body = response.json()
    assert sorted(body["success"]) == sorted(e["id"] for e in good)
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["entityId"] == bad.get("id", "") or bad["id"] == "not a uri"
    assert error["error"]["status"] == 400
    assert error["error"]["type"] in (PROBLEM_PREFIX + "BadRequestData",
                                      PROBLEM_PREFIX + "InvalidRequest")
    for item in good:
        assert exists(url, item["id"])
    if bad.get("id", "").startswith("urn:"):
        assert not exists(url, bad["id"])


def test_create_non_object_item_is_an_item_error(url):
    good = thing(new_id())
    response = op(url, "create", [good, 42, "urn:ngsi-ld:Thing:x"])
    assert response.status_code == 207, response.text
    body = response.json()
    assert body["success"] == [good["id"]]
    assert len(body["errors"]) == 2


@pytest.mark.parametrize("name", ["create", "upsert", "update", "delete", "merge"])
@pytest.mark.parametrize("body", [[], {"id": "urn:ngsi-ld:Thing:1", "type": "Thing"}, "x", None])
def test_empty_or_non_array_body_is_400(url, name, body):
    response = requests.post(url + BASE + "/entityOperations/" + name, data=json.dumps(body),
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["type"] == PROBLEM_PREFIX + "BadRequestData"


def test_malformed_json_is_400_and_wrong_media_type_415(url):
    response = requests.post(url + BASE + "/entityOperations/create", data="[{",
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    response = requests.post(url + BASE + "/entityOperations/create", data="[]",
                             headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_unknown_entity_operation_is_404(url):
    response = op(url, "frobnicate", [thing(new_id())])
    assert response.status_code in (404, 405)


# --- upsert ------------------------------------------------------------------------------


def test_upsert_replace_is_the_default(url):
    old, new = new_id(), new_id()
    assert op(url, "create", [thing(old, temperature=prop(1), humidity=prop(50))]).status_code == 201
    response = op(url, "upsert", [thing(old, temperature=prop(2)), thing(new)])
    assert response.status_code == 201, response.text
    # clause 6.15.3.1: only the ids of the entities that were created
    assert response.json() == [new]
    replaced = kv(url, old)
    assert replaced["temperature"] == 2
    assert "humidity" not in replaced


def test_upsert_all_existing_is_204(url):
    a, b = new_id(), new_id()
    assert op(url, "create", [thing(a), thing(b)]).status_code == 201
    response = op(url, "upsert", [thing(a, temperature=prop(5)), thing(b, temperature=prop(6))])
    assert response.status_code == 204, response.text
    assert response.text == ""
    assert kv(url, a)["temperature"] == 5
    assert kv(url, b)["temperature"] == 6


def test_upsert_update_keeps_other_attributes(url):
    old, new = new_id(), new_id()
    assert op(url, "create", [thing(old, temperature=prop(1), humidity=prop(50))]).status_code == 201
    response = op(url, "upsert", [thing(old, temperature=prop(3), pressure=prop(1013)),
                                  thing(new)], params={"options": "update"})
    assert response.status_code == 201, response.text
    assert response.json() == [new]
    updated = kv(url, old)
    assert (updated["temperature"], updated["humidity"], updated["pressure"]) == (3, 50, 1013)


def test_upsert_update_all_existing_is_204(url):
    a = new_id()
    assert op(url, "create", [thing(a)]).status_code == 201
    response = op(url, "upsert", [thing(a, humidity=prop(7))], params={"options": "update"})
    assert response.status_code == 204
    assert kv(url, a)["humidity"] == 7
    assert kv(url, a)["temperature"] == 20


def test_upsert_same_id_twice_applies_in_order(url):
    a = new_id()
    response = op(url, "upsert", [thing(a, temperature=prop(1)), thing(a, temperature=prop(2))])
    assert response.status_code == 201, response.text
    assert response.json() == [a]
    assert kv(url, a)["temperature"] == 2


def test_upsert_with_invalid_item_is_207(url):
    good, bad = new_id(), new_id()
    response = op(url, "upsert", [thing(good), {"id": bad, "type": "Thing",
                                               "temperature": {"type": "Property"}}])
    assert_batch_result(response, [good], [bad])
    assert exists(url, good)
    assert not exists(url, bad)


def test_upsert_1000_entities(url):
    items = [{"id": f"urn:ngsi-ld:Bulk:{i:05d}", "type": "Bulk", "n": prop(i),
              "location": point(-3.7 + i * 1e-5, 40.4)} for i in range(1000)]
    response = op(url, "upsert", items)
    assert response.status_code == 201, response.text
    assert len(response.json()) == 1000
    count = requests.get(url + BASE + "/entities",
                         params={"type": "Bulk", "count": "true", "limit": 0})
    assert count.headers["NGSILD-Results-Count"] == "1000"
    response = op(url, "upsert", [dict(item, n=prop(-1)) for item in items])
    assert response.status_code == 204
    high = requests.get(url + BASE + "/entities",
                        params={"type": "Bulk", "q": "n>=0", "count": "true", "limit": 0})
    assert high.headers["NGSILD-Results-Count"] == "0"


# --- update ------------------------------------------------------------------------------


def test_update_existing_is_204_and_overwrites(url):
    a = new_id()
    assert op(url, "create", [thing(a, temperature=prop(1), humidity=prop(2))]).status_code == 201
    response = op(url, "update", [{"id": a, "temperature": prop(10), "pressure": prop(3)}])
    assert response.status_code == 204, response.text
    got = kv(url, a)
    assert (got["temperature"], got["humidity"], got["pressure"]) == (10, 2, 3)


def test_update_no_overwrite_only_adds(url):
    a = new_id()
    assert op(url, "create", [thing(a, temperature=prop(1))]).status_code == 201
    response = op(url, "update", [{"id": a, "type": "Thing", "temperature": prop(10),
                                   "pressure": prop(3)}], params={"options": "noOverwrite"})
    assert response.status_code == 204, response.text
    got = kv(url, a)
    assert (got["temperature"], got["pressure"]) == (1, 3)


def test_update_unknown_entity_is_207_not_found(url):
    a, missing = new_id(), new_id()
    assert op(url, "create", [thing(a)]).status_code == 201
    response = op(url, "update", [{"id": a, "type": "Thing", "temperature": prop(11)},
                                  {"id": missing, "type": "Thing", "temperature": prop(12)}])
    body = assert_batch_result(response, [a], [missing])
    assert error_of(body, missing)["type"] == PROBLEM_PREFIX + "ResourceNotFound"
    assert error_of(body, missing)["status"] == 404
    assert kv(url, a)["temperature"] == 11
    assert not exists(url, missing)


def test_update_invalid_attribute_leaves_the_entity_untouched(url):
    a, b = new_id(), new_id()
    assert op(url, "create", [thing(a), thing(b)]).status_code == 201
    response = op(url, "update", [
        {"id": a, "temperature": prop(30), "location": {"type": "GeoProperty",
                                                         "value": {"type": "Point"}}},
        {"id": b, "temperature": prop(31)}])
    assert_batch_result(response, [b], [a])
    assert kv(url, a)["temperature"] == 20
    assert "location" not in kv(url, a)
    assert kv(url, b)["temperature"] == 31


# --- delete ------------------------------------------------------------------------------


def test_delete_is_204(url):
    victims = [new_id() for _ in range(3)]
    assert op(url, "create", [thing(v) for v in victims]).status_code == 201
    response = op(url, "delete", victims)
    assert response.status_code == 204, response.text
    assert not any(exists(url, v) for v in victims)


def test_delete_unknown_id_is_207(url):
    victim, missing = new_id(), new_id()
    assert op(url, "create", [thing(victim)]).status_code == 201
    body = assert_batch_result(op(url, "delete", [victim, missing]), [victim], [missing])
    assert error_of(body, missing)["type"] == PROBLEM_PREFIX + "ResourceNotFound"
    assert not exists(url, victim)


def test_delete_same_id_twice_deletes_once(url):
    victim = new_id()
    assert op(url, "create", [thing(victim)]).status_code == 201
    assert_batch_result(op(url, "delete", [victim, victim]), [victim], [victim])
    assert not exists(url, victim)


def test_delete_invalid_item_is_reported(url):
    victim = new_id()
    assert op(url, "create", [thing(victim)]).status_code == 201
    response = op(url, "delete", [victim, "not a uri", {"id": victim}])
    assert response.status_code == 207, response.text
    body = response.json()
    assert body["success"] == [victim]
    assert len(body["errors"]) == 2
    assert all(e["error"]["status"] == 400 for e in body["errors"])


# --- merge -------------------------------------------------------------------------------


def test_merge_patches_and_deletes_with_null(url):
    a, b = new_id(), new_id()
    assert op(url, "create", [
        thing(a, temperature=prop(1), humidity=prop(2),
              address=prop({"street": "Mayor", "number": 1}))]).status_code == 201
    response = op(url, "merge", [
        {"id": a, "temperature": prop(5), "humidity": "urn:ngsi-ld:null",
         "address": prop({"number": 3})},
        {"id": b, "temperature": prop(5)}])
    body = assert_batch_result(response, [a], [b])
    assert error_of(body, b)["type"] == PROBLEM_PREFIX + "ResourceNotFound"
    got = kv(url, a)
    assert got["temperature"] == 5
    assert "humidity" not in got
    assert got["address"] == {"street": "Mayor", "number": 3}


def test_merge_all_existing_is_204(url):
    a = new_id()
    assert op(url, "create", [thing(a)]).status_code == 201
    response = op(url, "merge", [{"id": a, "type": "Thing", "pressure": prop(900)}])
    assert response.status_code == 204, response.text
    assert kv(url, a)["pressure"] == 900


# --- tenants and JSON-LD -----------------------------------------------------------------


def test_batch_in_a_tenant_is_isolated(url):
    a = new_id()
    response = op(url, "create", [thing(a)], headers={"NGSILD-Tenant": "batchtenant"})
    assert response.status_code == 201, response.text
    assert not exists(url, a)
    in_tenant = requests.get(url + BASE + "/entities/" + a,
                             headers={"NGSILD-Tenant": "batchtenant"})
    assert in_tenant.status_code == 200


def test_ld_json_items_carry_their_own_context(url):
    a = new_id()
    context = {"temp": "https://example.org/vocab/temperature"}
    body = [{"id": a, "type": "Thing", "temp": prop(7), "@context": [context]}]
    response = requests.post(url + BASE + "/entityOperations/create", json=body,
                             headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 201, response.text
    got = kv(url, a)
    assert got["https://example.org/vocab/temperature"] == 7
