"""Attributes of one entity: append, update, partial update, replace and delete
(GS CIM 009 V1.8.1 clauses 5.6.2-5.6.5, 5.6.19, 6.6, 6.7), multi-instance attributes with
datasetId (clause 4.5.5)."""
import json
import os
import sys

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from ngsild import (  # noqa: E402
    assert_problem, attrs_url, create, get_ok)

NOT_FOUND = "ResourceNotFound"


def sensor(entity_id):
    entity = {
        "id": entity_id,
        "type": "Sensor",
        "temperature": {"type": "Property", "value": 20.5, "unitCode": "CEL"},
        "humidity": {"type": "Property", "value": 40},
        "isIn": {"type": "Relationship", "object": "urn:ngsi-ld:Room:1"},
    }
    return entity


def fresh(server, name):
    entity = sensor(f"urn:ngsi-ld:Sensor:{name}")
    create(server, entity)
    return entity["id"]


def multi(entity_id):
    return {
        "id": entity_id,
        "type": "Sensor",
        "temperature": [
            {"type": "Property", "value": 20, "datasetId": "urn:ngsi-ld:Dataset:a"},
            {"type": "Property", "value": 21, "datasetId": "urn:ngsi-ld:Dataset:b"},
            {"type": "Property", "value": 22},
        ],
    }


def by_dataset(instances):
    if isinstance(instances, dict):
        instances = [instances]
    return {i.get("datasetId", "@none"): i["value"] for i in instances}


# --- POST /entities/{id}/attrs (append, clause 5.6.3) ---------------------------------------


def test_append_adds_and_overwrites_by_default(server):
    entity_id = fresh(server, "append-1")
    response = requests.post(attrs_url(server, entity_id), json={
        "temperature": {"type": "Property", "value": 25},
        "battery": {"type": "Property", "value": 0.9},
    })
    assert response.status_code == 204, response.text
    body = get_ok(server, entity_id)
    assert body["temperature"] == {"type": "Property", "value": 25}
    assert body["battery"] == {"type": "Property", "value": 0.9}
    assert body["humidity"] == {"type": "Property", "value": 40}


def test_append_with_no_overwrite_is_207_with_not_updated(server):
    entity_id = fresh(server, "append-2")
    response = requests.post(attrs_url(server, entity_id), params={"options": "noOverwrite"},
                             json={"temperature": {"type": "Property", "value": 99},
                                   "battery": {"type": "Property", "value": 0.5}})
    assert response.status_code == 207, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    result = response.json()
    assert result["updated"] == ["battery"]
    assert [item["attributeName"] for item in result["notUpdated"]] == ["temperature"]
    assert isinstance(result["notUpdated"][0]["reason"], str)
    body = get_ok(server, entity_id)
    assert body["temperature"]["value"] == 20.5
    assert body["battery"]["value"] == 0.5


def test_append_with_no_overwrite_and_only_new_attributes_is_204(server):
    entity_id = fresh(server, "append-3")
    response = requests.post(attrs_url(server, entity_id), params={"options": "noOverwrite"},
                             json={"battery": {"type": "Property", "value": 0.5}})
    assert response.status_code == 204


def test_append_to_unknown_entity_is_404(server):
    response = requests.post(attrs_url(server, "urn:ngsi-ld:Sensor:ghost"),
                             json={"battery": {"type": "Property", "value": 1}})
    assert_problem(response, 404, NOT_FOUND)


def test_append_invalid_attribute_is_400_and_changes_nothing(server):
    entity_id = fresh(server, "append-4")
    response = requests.post(attrs_url(server, entity_id), json={
        "battery": {"type": "Property", "value": 1},
        "owner": {"type": "Relationship", "object": 17}})
    assert_problem(response, 400, "BadRequestData")
    assert "battery" not in get_ok(server, entity_id)


def test_append_a_new_dataset_instance_keeps_the_others(server):
    entity_id = fresh(server, "append-5")
    response = requests.post(attrs_url(server, entity_id), json={
        "temperature": {"type": "Property", "value": 30, "datasetId": "urn:ngsi-ld:Dataset:x"}})
    assert response.status_code == 204, response.text
    assert by_dataset(get_ok(server, entity_id)["temperature"]) == {
        "@none": 20.5, "urn:ngsi-ld:Dataset:x": 30}


# --- PATCH /entities/{id}/attrs (update, clause 5.6.2) --------------------------------------


def test_update_changes_existing_attributes_only(server):
    entity_id = fresh(server, "update-1")
    response = requests.patch(attrs_url(server, entity_id),
                              json={"temperature": {"type": "Property", "value": 18}})
    assert response.status_code == 204, response.text
    assert get_ok(server, entity_id)["temperature"] == {"type": "Property", "value": 18}


def test_update_with_a_missing_attribute_is_207(server):
    entity_id = fresh(server, "update-2")
    response = requests.patch(attrs_url(server, entity_id), json={
        "temperature": {"type": "Property", "value": 18},
        "pressure": {"type": "Property", "value": 1013}})
    assert response.status_code == 207, response.text
    result = response.json()
    assert result["updated"] == ["temperature"]
    assert [item["attributeName"] for item in result["notUpdated"]] == ["pressure"]
    body = get_ok(server, entity_id)
    assert body["temperature"]["value"] == 18
    assert "pressure" not in body


def test_update_unknown_entity_is_404(server):
    response = requests.patch(attrs_url(server, "urn:ngsi-ld:Sensor:ghost"),
                              json={"temperature": {"type": "Property", "value": 1}})
    assert_problem(response, 404, NOT_FOUND)


# --- PATCH /entities/{id}/attrs/{attrId} (partial update, clause 5.6.4) -----------------------


def test_partial_update_merges_into_the_attribute(server):
    entity_id = fresh(server, "patch-1")
    response = requests.patch(attrs_url(server, entity_id, "temperature"), json={"value": 19})
    assert response.status_code == 204, response.text
    assert get_ok(server, entity_id)["temperature"] == {
        "type": "Property", "value": 19, "unitCode": "CEL"}


def test_partial_update_adds_sub_attributes(server):
    entity_id = fresh(server, "patch-2")
    response = requests.patch(attrs_url(server, entity_id, "temperature"), json={
        "value": 19, "observedAt": "2024-05-01T10:00:00Z",
        "accuracy": {"type": "Property", "value": 0.2}})
    assert response.status_code == 204, response.text
    assert get_ok(server, entity_id)["temperature"] == {
        "type": "Property", "value": 19, "unitCode": "CEL",
        "observedAt": "2024-05-01T10:00:00.000Z",
        "accuracy": {"type": "Property", "value": 0.2}}


def test_partial_update_of_a_relationship(server):
    entity_id = fresh(server, "patch-3")
    response = requests.patch(attrs_url(server, entity_id, "isIn"),
                              json={"object": "urn:ngsi-ld:Room:2"})
    assert response.status_code == 204, response.text
    assert get_ok(server, entity_id)["isIn"] == {"type": "Relationship",
                                                 "object": "urn:ngsi-ld:Room:2"}


def test_partial_update_of_a_missing_attribute_is_404(server):
    entity_id = fresh(server, "patch-4")
    response = requests.patch(attrs_url(server, entity_id, "pressure"), json={"value": 1})
    assert_problem(response, 404, NOT_FOUND)
    assert "pressure" not in get_ok(server, entity_id)


def test_partial_update_of_a_missing_entity_is_404(server):
    response = requests.patch(attrs_url(server, "urn:ngsi-ld:Sensor:ghost", "temperature"),
                              json={"value": 1})
    assert_problem(response, 404, NOT_FOUND)


def test_partial_update_selects_the_dataset_instance(server):
    entity = multi("urn:ngsi-ld:Sensor:patch-5")
    create(server, entity)
    response = requests.patch(attrs_url(server, entity["id"], "temperature"),
                              json={"value": 31, "datasetId": "urn:ngsi-ld:Dataset:b"})
    assert response.status_code == 204, response.text
    assert by_dataset(get_ok(server, entity["id"])["temperature"]) == {
        "urn:ngsi-ld:Dataset:a": 20, "urn:ngsi-ld:Dataset:b": 31, "@none": 22}


def test_partial_update_of_a_missing_dataset_instance_is_404(server):
    entity = multi("urn:ngsi-ld:Sensor:patch-6")
    create(server, entity)
    response = requests.patch(attrs_url(server, entity["id"], "temperature"),
                              json={"value": 31, "datasetId": "urn:ngsi-ld:Dataset:zzz"})
    assert_problem(response, 404, NOT_FOUND)


def test_partial_update_cannot_delete_the_attribute_itself(server):
    # Clause 5.6.4.1: a partial update "supports the deletion of sub-Attributes but not the
    # deletion of the whole Attribute itself".
    entity_id = fresh(server, "patch-7")
    response = requests.patch(attrs_url(server, entity_id, "humidity"),
                              json={"value": "urn:ngsi-ld:null"})
    assert_problem(response, 400, "BadRequestData")
    assert get_ok(server, entity_id)["humidity"] == {"type": "Property", "value": 40}


def test_partial_update_with_ngsild_null_deletes_a_sub_attribute(server):
    entity_id = fresh(server, "patch-8")
    response = requests.patch(attrs_url(server, entity_id, "temperature"),
                              json={"unitCode": "urn:ngsi-ld:null"})
    assert response.status_code == 204, response.text
    assert get_ok(server, entity_id)["temperature"] == {"type": "Property", "value": 20.5}



def test_partial_update_of_metadata_only_keeps_the_value(server):
    # The body is an Attribute fragment (clause 5.6.4): without "value" only the members given
    # change; it is not a concise Property whose value is the whole object.
    entity_id = fresh(server, "patch-9")
    response = requests.patch(attrs_url(server, entity_id, "temperature"),
                              json={"observedAt": "2024-06-01T12:00:00Z"})
    assert response.status_code == 204, response.text
    assert get_ok(server, entity_id)["temperature"] == {
        "type": "Property", "value": 20.5, "unitCode": "CEL",
        "observedAt": "2024-06-01T12:00:00.000Z"}


def test_partial_update_of_a_sub_attribute_only_keeps_the_value(server):
    entity_id = fresh(server, "patch-10")
    response = requests.patch(attrs_url(server, entity_id, "isIn"), json={
        "since": {"type": "Property", "value": "2024"}})
    assert response.status_code == 204, response.text
    assert get_ok(server, entity_id)["isIn"] == {
        "type": "Relationship", "object": "urn:ngsi-ld:Room:1",
        "since": {"type": "Property", "value": "2024"}}


def test_partial_update_cannot_change_the_attribute_type(server):
    entity_id = fresh(server, "patch-11")
    response = requests.patch(attrs_url(server, entity_id, "temperature"),
                              json={"type": "Relationship", "object": "urn:ngsi-ld:X:1"})
    assert_problem(response, 400, "BadRequestData")
    assert get_ok(server, entity_id)["temperature"]["value"] == 20.5


def test_partial_update_with_an_array_body_is_400(server):
    entity_id = fresh(server, "patch-12")
    response = requests.patch(attrs_url(server, entity_id, "temperature"),
                              json=[{"value": 1}, {"value": 2, "datasetId": "urn:ngsi-ld:D:1"}])
    assert_problem(response, 400, "BadRequestData")


# --- PUT /entities/{id}/attrs/{attrId} (replace, clause 5.6.19) ------------------------------


def test_replace_attribute_drops_old_sub_attributes(server):
    entity_id = fresh(server, "put-1")
    response = requests.put(attrs_url(server, entity_id, "temperature"),
                            json={"type": "Property", "value": 7})
    assert response.status_code == 204, response.text
    assert get_ok(server, entity_id)["temperature"] == {"type": "Property", "value": 7}


def test_replace_attribute_can_change_its_kind(server):
    entity_id = fresh(server, "put-2")
    response = requests.put(attrs_url(server, entity_id, "humidity"),
                            json={"type": "Relationship", "object": "urn:ngsi-ld:Hygrometer:1"})
    assert response.status_code == 204, response.text
    assert get_ok(server, entity_id)["humidity"] == {"type": "Relationship",
                                                     "object": "urn:ngsi-ld:Hygrometer:1"}


def test_replace_missing_attribute_is_404(server):
    entity_id = fresh(server, "put-3")
    response = requests.put(attrs_url(server, entity_id, "pressure"),
                            json={"type": "Property", "value": 7})
    assert_problem(response, 404, NOT_FOUND)
    assert "pressure" not in get_ok(server, entity_id)


def test_replace_attribute_on_missing_entity_is_404(server):
    response = requests.put(attrs_url(server, "urn:ngsi-ld:Sensor:ghost", "temperature"),
                            json={"type": "Property", "value": 7})
    assert_problem(response, 404, NOT_FOUND)


def test_replace_attribute_with_invalid_body_is_400(server):
    entity_id = fresh(server, "put-4")
    response = requests.put(attrs_url(server, entity_id, "temperature"),
                            json={"type": "Relationship", "object": 3})
    assert_problem(response, 400, "BadRequestData")
    assert get_ok(server, entity_id)["temperature"]["value"] == 20.5


# --- DELETE /entities/{id}/attrs/{attrId} (clause 5.6.5) -------------------------------------


def test_delete_attribute_is_204_then_404(server):
    entity_id = fresh(server, "delete-1")
    response = requests.delete(attrs_url(server, entity_id, "humidity"))
    assert response.status_code == 204
    assert "humidity" not in get_ok(server, entity_id)
    assert_problem(requests.delete(attrs_url(server, entity_id, "humidity")), 404, NOT_FOUND)


def test_delete_attribute_of_missing_entity_is_404(server):
    assert_problem(requests.delete(attrs_url(server, "urn:ngsi-ld:Sensor:ghost", "humidity")),
                   404, NOT_FOUND)


def test_delete_one_dataset_instance(server):
    entity = multi("urn:ngsi-ld:Sensor:delete-2")
    create(server, entity)
    response = requests.delete(attrs_url(server, entity["id"], "temperature"),
                               params={"datasetId": "urn:ngsi-ld:Dataset:a"})
    assert response.status_code == 204, response.text
    assert by_dataset(get_ok(server, entity["id"])["temperature"]) == {
        "urn:ngsi-ld:Dataset:b": 21, "@none": 22}


def test_delete_without_dataset_id_removes_the_default_instance_only(server):
    entity = multi("urn:ngsi-ld:Sensor:delete-3")
    create(server, entity)
    response = requests.delete(attrs_url(server, entity["id"], "temperature"))
    assert response.status_code == 204, response.text
    assert by_dataset(get_ok(server, entity["id"])["temperature"]) == {
        "urn:ngsi-ld:Dataset:a": 20, "urn:ngsi-ld:Dataset:b": 21}


def test_delete_all_removes_every_instance(server):
    entity = multi("urn:ngsi-ld:Sensor:delete-4")
    create(server, entity)
    response = requests.delete(attrs_url(server, entity["id"], "temperature"),
                               params={"deleteAll": "true"})
    assert response.status_code == 204, response.text
    assert "temperature" not in get_ok(server, entity["id"])


def test_delete_missing_dataset_instance_is_404(server):
    entity = multi("urn:ngsi-ld:Sensor:delete-5")
    create(server, entity)
    response = requests.delete(attrs_url(server, entity["id"], "temperature"),
                               params={"datasetId": "urn:ngsi-ld:Dataset:zzz"})
    assert_problem(response, 404, NOT_FOUND)
    assert len(get_ok(server, entity["id"])["temperature"]) == 3


def test_delete_with_a_dataset_id_that_is_not_a_uri_is_400(server):
    entity = multi("urn:ngsi-ld:Sensor:delete-6")
    create(server, entity)
    response = requests.delete(attrs_url(server, entity["id"], "temperature"),
                               params={"datasetId": "not-a-uri"})
    assert_problem(response, 400, "BadRequestData")
    assert len(get_ok(server, entity["id"])["temperature"]) == 3


def test_delete_all_must_be_a_boolean(server):
    entity = multi("urn:ngsi-ld:Sensor:delete-7")
    create(server, entity)
    response = requests.delete(attrs_url(server, entity["id"], "temperature"),
                               params={"deleteAll": "yes"})
    assert_problem(response, 400, "BadRequestData")
    assert len(get_ok(server, entity["id"])["temperature"]) == 3


def test_multi_instance_attribute_round_trips(server):
    entity = multi("urn:ngsi-ld:Sensor:multi-1")
    create(server, entity)
    assert by_dataset(get_ok(server, entity["id"])["temperature"]) == by_dataset(
        entity["temperature"])


def test_duplicate_dataset_ids_are_400(server):
    entity = multi("urn:ngsi-ld:Sensor:multi-2")
    entity["temperature"][1]["datasetId"] = "urn:ngsi-ld:Dataset:a"
    response = requests.post(f"{server.url}/ngsi-ld/v1/entities", data=json.dumps(entity),
                             headers={"Content-Type": "application/json"})
    assert_problem(response, 400, "BadRequestData")
