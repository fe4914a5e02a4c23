"""The rendered-entity cache (docs/storage.md, "Rendered-entity cache"): GET by id answers
from bodies rendered earlier only while the entity's stored document is unchanged, so every
write path is seen at once, in every representation, tenant and @context."""
import requests

ENTITIES = "/ngsi-ld/v1/entities"
LD = "application/ld+json"

# Representations a client may ask for: query parameters and Accept.
REPRESENTATIONS = [
    ({}, None),
    ({"options": "keyValues"}, None),
    ({"options": "concise"}, None),
    ({"options": "sysAttrs"}, None),
    ({"attrs": "temperature"}, None),
    ({"pick": "id,temperature"}, None),
    ({"omit": "humidity"}, None),
    ({}, LD),
    ({"format": "keyValues"}, LD),
]


def get(server, entity_id, params, accept, tenant=None):
    headers = {}
    if accept:
        headers["Accept"] = accept
    if tenant:
        headers["NGSILD-Tenant"] = tenant
    return requests.get(f"{server.url}{ENTITIES}/{entity_id}", params=params, headers=headers)


def temperature_of(body):
    value = body.get("temperature")
    if isinstance(value, dict):
        return value.get("value")
    return value


def assert_everywhere(server, entity_id, temperature, tenant=None, rounds=2):
    """Every representation, asked `rounds` times (the later ones from the cache), shows
    `temperature`."""
    for params, accept in REPRESENTATIONS:
        for _ in range(rounds):
            response = get(server, entity_id, params, accept, tenant)
            assert response.status_code == 200, (params, accept, response.text)
            body = response.json()
            assert temperature_of(body) == temperature, (params, accept, body)
            assert ("@context" in body) == (accept == LD), (params, accept, body)


def lookups(server):
    counts = {}
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith("citytwin_rendered_entity_cache_lookups{"):
            name, value = line.rsplit(" ", 1)
            counts["hit" if 'result="hit"' in name else "miss"] = float(value)
    return counts


def test_every_write_path_is_seen_in_every_representation(server):
    entity_id = "urn:ngsi-ld:Sensor:rendered1"
    url = server.url + ENTITIES
    entity = {"id": entity_id, "type": "Sensor",
              "temperature": {"type": "Property", "value": 1},
              "humidity": {"type": "Property", "value": 50}}
    assert requests.post(url, json=entity).status_code == 201
    before = lookups(server)
    assert_everywhere(server, entity_id, 1)
    after = lookups(server)
    assert after["hit"] > before.get("hit", 0)  # the second round came from the cache

    # PATCH an attribute.
    assert requests.patch(f"{url}/{entity_id}/attrs",
                          json={"temperature": {"type": "Property", "value": 2}}
                          ).status_code == 204
    assert_everywhere(server, entity_id, 2)
    # PATCH one attribute by name.
    assert requests.patch(f"{url}/{entity_id}/attrs/temperature",
                          json={"type": "Property", "value": 3}).status_code == 204
    assert_everywhere(server, entity_id, 3)
    # Append (POST attrs).
    assert requests.post(f"{url}/{entity_id}/attrs",
                         json={"temperature": {"type": "Property", "value": 4}}
                         ).status_code == 204
    assert_everywhere(server, entity_id, 4)
    # Merge (PATCH the entity).
    assert requests.patch(f"{url}/{entity_id}",
                          json={"temperature": {"type": "Property", "value": 5}}
                          ).status_code == 204
    assert_everywhere(server, entity_id, 5)
    # Replace (PUT).
    assert requests.put(f"{url}/{entity_id}",
                        json={"id": entity_id, "type": "Sensor",
                              "temperature": {"type": "Property", "value": 6},
                              "humidity": {"type": "Property", "value": 51}}
                        ).status_code == 204
    assert_everywhere(server, entity_id, 6)
    # Batch upsert and batch update.
    batch = server.url + "/ngsi-ld/v1/entityOperations"
    response = requests.post(f"{batch}/upsert", params={"options": "update"},
                             json=[{"id": entity_id, "type": "Sensor",
                                    "temperature": {"type": "Property", "value": 7}}])
    assert response.status_code in (201, 204), response.text
    assert_everywhere(server, entity_id, 7)
    response = requests.post(f"{batch}/update",
                             json=[{"id": entity_id, "type": "Sensor",
                                    "temperature": {"type": "Property", "value": 8}}])
    assert response.status_code == 204, response.text
    assert_everywhere(server, entity_id, 8)
    # Delete one attribute: gone from every representation.
    assert requests.delete(f"{url}/{entity_id}/attrs/temperature").status_code == 204
    assert_everywhere(server, entity_id, None)
    # Delete the entity, then create it anew with another value.
    assert requests.delete(f"{url}/{entity_id}").status_code == 204
    for params, accept in REPRESENTATIONS:
        assert get(server, entity_id, params, accept).status_code == 404
    entity["temperature"]["value"] = 9
    assert requests.post(url, json=entity).status_code == 201
    assert_everywhere(server, entity_id, 9)


def test_tenants_never_share_a_body(server):
    entity_id = "urn:ngsi-ld:Sensor:rendered2"
    url = server.url + ENTITIES
    for tenant, value in (("rendera", 10), ("renderb", 20)):
        entity = {"id": entity_id, "type": "Sensor",
                  "temperature": {"type": "Property", "value": value}}
        response = requests.post(url, json=entity, headers={"NGSILD-Tenant": tenant})
        assert response.status_code == 201
    for _ in range(2):
        assert_everywhere(server, entity_id, 10, tenant="rendera", rounds=1)
        assert_everywhere(server, entity_id, 20, tenant="renderb", rounds=1)
    assert get(server, entity_id, {}, None).status_code == 404  # the default tenant has none


def test_the_context_of_the_request_shapes_the_cached_body(server):
    """The same entity asked with the core context and with a context that names its
    attribute: each gets its own compaction, every time."""
    entity_id = "urn:ngsi-ld:Sensor:rendered3"
    url = server.url + ENTITIES
    context = {"@context": {"temp": "https://example.org/vocab/temperature"}}
    response = requests.post(server.url + "/ngsi-ld/v1/jsonldContexts", json=context)
    assert response.status_code == 201, response.text
    context_url = response.headers["Location"]
    if context_url.startswith("/"):
        context_url = server.url + context_url
    link = {"Link": f'<{context_url}>; rel="http://www.w3.org/ns/json-ld#context"; '
                    'type="application/ld+json"'}
    entity = {"id": entity_id, "type": "Sensor",
              "temp": {"type": "Property", "value": 1}}
    assert requests.post(url, json=entity, headers=link).status_code == 201
    for _ in range(3):
        with_context = requests.get(f"{url}/{entity_id}", headers=link).json()
        assert with_context["temp"]["value"] == 1
        core = requests.get(f"{url}/{entity_id}").json()
        assert "temp" not in core
        assert core["https://example.org/vocab/temperature"]["value"] == 1


def test_metrics_report_the_cache_size(server):
    entity_id = "urn:ngsi-ld:Sensor:rendered4"
    url = server.url + ENTITIES
    assert requests.post(url, json={"id": entity_id, "type": "Sensor"}).status_code == 201
    assert requests.get(f"{url}/{entity_id}").status_code == 200
    text = requests.get(server.url + "/metrics").text
    line = next(l for l in text.splitlines()
                if l.startswith("citytwin_rendered_entity_cache_bytes "))
    assert float(line.rsplit(" ", 1)[1]) > 0
