"""JSON-LD @context handling (GS CIM 009 V1.8.1 clauses 5.5.7, 6.3.5, 6.3.6) and @context
management (clause 5.13, HTTP binding 6.29-6.30). User contexts are Smart Data Models copies
from tests/fixtures, served by a local http.server on 127.0.0.1."""
import json
import os
import shutil
import sys
import tempfile

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import (  # noqa: E402
    CORE_CONTEXT_URL, DEFAULT_VOCAB, JSON, LD_JSON, SHARED, V1, ContextHttpServer,
    assert_problem, create, entity_url, free_port, get, get_ok, link_header, load_example,
    numbers_normalized, without_context)

ENV = "https://smartdatamodels.org/dataModel.Environment/"
AQO_PATH = "AirQualityObserved/example-normalized.jsonld"


@pytest.fixture(scope="module")
def contexts():
    instance = ContextHttpServer()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def env_link(contexts):
    return {**JSON, "Link": link_header(contexts.url("dataModel.Environment-context.jsonld"))}


def aqo():
    return without_context(load_example(AQO_PATH))


def closed_port_url():
    return f"http://127.0.0.1:{free_port()}/context.jsonld"


# --- Link header with a user context ---------------------------------------------------------


def test_link_context_expands_names_and_compacts_them_back(server, env_link):
    entity = aqo()
    create(server, entity, headers=env_link)
    with_context = get_ok(server, entity["id"], headers={"Link": env_link["Link"]})
    assert numbers_normalized(with_context) == numbers_normalized(entity)
    response = get(server, entity["id"], headers={"Link": env_link["Link"]})
    assert response.headers["Link"].startswith("<" + env_link["Link"][1:].split(">")[0] + ">")


def test_without_the_context_names_are_full_iris(server, env_link):
    entity = aqo()
    entity["id"] = "urn:ngsi-ld:AirQualityObserved:iris"
    create(server, entity, headers=env_link)
    plain = get_ok(server, entity["id"])
    assert plain["type"] == ENV + "AirQualityObserved"
    assert plain[ENV + "no2"] == entity["no2"]
    assert plain[ENV + "refPointOfInterest"] == entity["refPointOfInterest"]
    assert plain["location"] == entity["location"]  # a core term stays short
    assert "no2" not in plain


def test_query_with_the_context_finds_the_entity_and_without_it_does_not(server, env_link):
    entity = aqo()
    entity["id"] = "urn:ngsi-ld:AirQualityObserved:query"
    create(server, entity, headers=env_link)
    found = requests.get(f"{server.url}{V1}/entities",
                         params={"type": "AirQualityObserved", "q": "no2==69"},
                         headers={"Link": env_link["Link"]})
    assert found.status_code == 200, found.text
    assert entity["id"] in [e["id"] for e in found.json()]
    short = requests.get(f"{server.url}{V1}/entities", params={"type": "AirQualityObserved"})
    assert entity["id"] not in [e["id"] for e in short.json()]
    full = requests.get(f"{server.url}{V1}/entities",
                        params={"type": ENV + "AirQualityObserved"})
    assert entity["id"] in [e["id"] for e in full.json()]


def test_names_without_a_context_use_the_default_vocabulary(server, env_link):
    create(server, {"id": "urn:ngsi-ld:Thing:vocab", "type": "Thing",
                    "no2": {"type": "Property", "value": 1}})
    body = get_ok(server, "urn:ngsi-ld:Thing:vocab", headers={"Link": env_link["Link"]})
    # no2 of the default vocabulary is not the Environment no2, so it cannot compact to "no2":
    # it stays an IRI, full or as the compact IRI "ngsi-ld:default-context/no2" (JSON-LD 1.1
    # IRI compaction, clause 6.2, with the core context's "ngsi-ld" prefix).
    assert "no2" not in body
    names = [k for k in body if k in (DEFAULT_VOCAB + "no2", "ngsi-ld:default-context/no2")]
    assert len(names) == 1
    assert body[names[0]] == {"type": "Property", "value": 1}
    assert body["type"] == "Thing"  # not defined by the Environment context: default vocab


def test_attribute_paths_use_the_request_context(server, env_link):
    entity = aqo()
    entity["id"] = "urn:ngsi-ld:AirQualityObserved:attr-path"
    create(server, entity, headers=env_link)
    url = entity_url(server, entity["id"]) + "/attrs/no2"
    response = requests.patch(url, json={"value": 70}, headers=env_link)
    assert response.status_code == 204, response.text
    assert get_ok(server, entity["id"], headers={"Link": env_link["Link"]})["no2"]["value"] == 70
    # Without the context "no2" names another attribute, which the entity does not have.
    assert_problem(requests.patch(url, json={"value": 71}, headers=JSON), 404, "ResourceNotFound")
    enc = requests.utils.quote(ENV + "no2", safe="")
    response = requests.delete(entity_url(server, entity["id"]) + "/attrs/" + enc)
    assert response.status_code == 204
    assert "no2" not in get_ok(server, entity["id"], headers={"Link": env_link["Link"]})


# --- inline @context -------------------------------------------------------------------------


def test_inline_context_with_ld_json(server):
    entity = {"id": "urn:ngsi-ld:Thing:inline", "type": "Gadget",
              "brightness": {"type": "Property", "value": 3},
              "@context": [{"Gadget": "http://example.org/Gadget",
                            "brightness": "http://example.org/brightness"},
                           CORE_CONTEXT_URL]}
    response = requests.post(f"{server.url}{V1}/entities", data=json.dumps(entity),
                             headers=LD_JSON)
    assert response.status_code == 201, response.text
    plain = get_ok(server, entity["id"])
    assert plain == {"id": entity["id"], "type": "http://example.org/Gadget",
                     "http://example.org/brightness": {"type": "Property", "value": 3}}


def test_inline_context_applies_to_its_request_only(server):
    context = {"Gadget2": "http://example.org/Gadget2"}
    requests.post(f"{server.url}{V1}/entities", headers=LD_JSON, data=json.dumps(
        {"id": "urn:ngsi-ld:Thing:inline2", "type": "Gadget2", "@context": context}))
    response = requests.get(f"{server.url}{V1}/entities",
                            params={"type": "http://example.org/Gadget2"},
                            headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    assert [e["type"] for e in response.json()] == ["http://example.org/Gadget2"]


def test_ld_json_without_context_is_400(server):
    response = requests.post(f"{server.url}{V1}/entities", headers=LD_JSON,
                             data=json.dumps({"id": "urn:ngsi-ld:Thing:noctx", "type": "Thing"}))
    assert_problem(response, 400, "BadRequestData")
    assert_problem(get(server, "urn:ngsi-ld:Thing:noctx"), 404, "ResourceNotFound")


def test_json_with_context_in_the_body_is_400(server):
    response = requests.post(f"{server.url}{V1}/entities", headers=JSON, data=json.dumps(
        {"id": "urn:ngsi-ld:Thing:ctxjson", "type": "Thing", "@context": CORE_CONTEXT_URL}))
    assert_problem(response, 400, "BadRequestData")


def test_ld_json_with_a_link_header_is_400(server, env_link):
    response = requests.post(f"{server.url}{V1}/entities",
                             headers={**LD_JSON, "Link": env_link["Link"]},
                             data=json.dumps({"id": "urn:ngsi-ld:Thing:both", "type": "Thing",
                                              "@context": CORE_CONTEXT_URL}))
    assert_problem(response, 400, "BadRequestData")


def test_invalid_inline_context_is_400(server):
    response = requests.post(f"{server.url}{V1}/entities", headers=LD_JSON, data=json.dumps(
        {"id": "urn:ngsi-ld:Thing:badctx", "type": "Thing", "@context": 42}))
    assert_problem(response, 400)


# --- unavailable contexts ---------------------------------------------------------------------


def test_unreachable_context_is_503_on_write(server):
    response = requests.post(f"{server.url}{V1}/entities",
                             json={"id": "urn:ngsi-ld:Thing:unreachable", "type": "Thing"},
                             headers={"Link": link_header(closed_port_url())})
    assert_problem(response, 503, "LdContextNotAvailable")
    assert_problem(get(server, "urn:ngsi-ld:Thing:unreachable"), 404, "ResourceNotFound")


def test_unreachable_context_is_503_on_read(server):
    create(server, {"id": "urn:ngsi-ld:Thing:read503", "type": "Thing"})
    response = get(server, "urn:ngsi-ld:Thing:read503",
                   headers={"Link": link_header(closed_port_url())})
    assert_problem(response, 503, "LdContextNotAvailable")


@pytest.mark.parametrize("url", ["urn:ngsi-ld:null", "ftp://127.0.0.1/c.jsonld"])
def test_context_that_is_not_an_http_url_is_400(server, url):
    # A URL that cannot be dereferenced is the client's mistake, not an unavailable server.
    response = requests.post(f"{server.url}{V1}/entities",
                             json={"id": "urn:ngsi-ld:Thing:scheme", "type": "Thing"},
                             headers={**JSON, "Link": link_header(url)})
    assert_problem(response, 400, ("BadRequestData", "InvalidRequest"))
    response = requests.post(f"{server.url}{V1}/entities", headers=LD_JSON, data=json.dumps(
        {"id": "urn:ngsi-ld:Thing:scheme", "type": "Thing", "@context": url}))
    assert_problem(response, 400, ("BadRequestData", "InvalidRequest"))


def test_context_url_that_is_404_is_503(server, contexts):
    response = get(server, "urn:ngsi-ld:Thing:read503",
                   headers={"Link": link_header(contexts.url("no-such-context.jsonld"))})
    assert_problem(response, 503, "LdContextNotAvailable")


def test_inline_context_referencing_an_unreachable_url_is_503(server):
    response = requests.post(f"{server.url}{V1}/entities", headers=LD_JSON, data=json.dumps(
        {"id": "urn:ngsi-ld:Thing:inline503", "type": "Thing",
         "@context": [closed_port_url(), CORE_CONTEXT_URL]}))
    assert_problem(response, 503, "LdContextNotAvailable")


# --- /ngsi-ld/v1/jsonldContexts -------------------------------------------------------------


def test_hosted_context_lifecycle(server):
    document = {"@context": {"Lamp": "http://example.org/lighting/Lamp",
                             "lux": "http://example.org/lighting/lux"}}
    response = requests.post(f"{server.url}{V1}/jsonldContexts", json=document)
    assert response.status_code == 201, response.text
    url = response.headers["Location"]
    assert url.startswith(f"{server.url}{V1}/jsonldContexts/")
    local_id = url.rsplit("/", 1)[1]

    listed = requests.get(f"{server.url}{V1}/jsonldContexts")
    assert listed.status_code == 200
    assert url in listed.json()
    hosted = requests.get(f"{server.url}{V1}/jsonldContexts", params={"kind": "Hosted"}).json()
    assert url in hosted

    served = requests.get(url)
    assert served.status_code == 200
    assert served.headers["Content-Type"].split(";")[0] == "application/ld+json"
    assert served.json() == document

    details = requests.get(url, params={"details": "true"})
    assert details.status_code == 200
    info = details.json()
    assert info["URL"] == url and info["localId"] == local_id and info["kind"] == "Hosted"
    assert info["createdAt"].endswith("Z")

    all_details = requests.get(f"{server.url}{V1}/jsonldContexts",
                               params={"details": "true"}).json()
    assert any(item["URL"] == url and item["kind"] == "Hosted" for item in all_details)

    # The hosted context is usable in a Link header.
    link = {**JSON, "Link": link_header(url)}
    create(server, {"id": "urn:ngsi-ld:Lamp:1", "type": "Lamp",
                    "lux": {"type": "Property", "value": 300}}, headers=link)
    plain = get_ok(server, "urn:ngsi-ld:Lamp:1")
    assert plain["type"] == "http://example.org/lighting/Lamp"
    assert plain["http://example.org/lighting/lux"]["value"] == 300
    assert get_ok(server, "urn:ngsi-ld:Lamp:1", headers={"Link": link["Link"]})["lux"] == {
        "type": "Property", "value": 300}

    assert requests.delete(url).status_code == 204
    assert_problem(requests.get(url), 404, "ResourceNotFound")
    assert url not in requests.get(f"{server.url}{V1}/jsonldContexts").json()
    assert_problem(requests.delete(url), 404, "ResourceNotFound")


@pytest.mark.parametrize("content_type", ["Application/JSON; charset=utf-8",
                                          "application/ld+json;charset=UTF-8",
                                          "APPLICATION/LD+JSON"])
def test_add_context_media_type_is_case_insensitive_and_may_have_parameters(server, content_type):
    """RFC 9110 clause 8.3.1: type and subtype compare case-insensitively, parameters apart."""
    response = requests.post(f"{server.url}{V1}/jsonldContexts",
                             data=json.dumps({"@context": {"Hut": "http://example.org/Hut"}}),
                             headers={"Content-Type": content_type})
    assert response.status_code == 201, response.text
    assert_problem(requests.post(f"{server.url}{V1}/jsonldContexts", data="{}",
                                 headers={"Content-Type": "text/json"}), 415)


def test_hosted_urls_follow_the_host_the_client_used(server):
    """The hosted URL is made from the request's Host header, not stored with a port."""
    alias = f"localhost:{server.port}"
    response = requests.post(f"{server.url}{V1}/jsonldContexts",
                             json={"@context": {"Shed": "http://example.org/Shed"}},
                             headers={"Host": alias})
    assert response.status_code == 201, response.text
    local_id = response.headers["Location"].rsplit("/", 1)[1]
    assert response.headers["Location"] == f"http://{alias}{V1}/jsonldContexts/{local_id}"
    direct = f"{server.url}{V1}/jsonldContexts/{local_id}"
    assert direct in requests.get(f"{server.url}{V1}/jsonldContexts").json()
    aliased = requests.get(f"{server.url}{V1}/jsonldContexts", headers={"Host": alias}).json()
    assert response.headers["Location"] in aliased
    details = requests.get(direct, params={"details": "true"}).json()
    assert details["URL"] == direct
    # Any of those URLs names the hosted context in a Link header, without a download.
    for context_url in (direct, response.headers["Location"],
                        f"http://broker.invalid:9{V1}/jsonldContexts/{local_id}"):
        entity_id = "urn:ngsi-ld:Shed:" + str(abs(hash(context_url)))
        create(server, {"id": entity_id, "type": "Shed"},
               headers={**JSON, "Link": link_header(context_url)})
        assert get_ok(server, entity_id)["type"] == "http://example.org/Shed"
    cached = requests.get(f"{server.url}{V1}/jsonldContexts", params={"kind": "Cached"}).json()
    assert not [u for u in cached if local_id in u]


def test_an_inline_context_is_stored_once_however_often_it_is_used(server):
    """Responses name an inline @context by an ImplicitlyCreated URL; repeating the request
    must not add an entry each time (they are never evicted)."""
    body = {"type": "Query", "entities": [{"type": "Kiln"}],
            "@context": [{"Kiln": "http://example.org/Kiln"}, CORE_CONTEXT_URL]}
    urls = set()
    for _ in range(3):
        response = requests.post(f"{server.url}{V1}/entityOperations/query",
                                 data=json.dumps(body), headers=LD_JSON)
        assert response.status_code == 200, response.text
        urls.add(response.links["http://www.w3.org/ns/json-ld#context"]["url"])
    assert len(urls) == 1
    (url,) = urls
    assert url.startswith(f"{server.url}{V1}/jsonldContexts/")
    implicit = requests.get(f"{server.url}{V1}/jsonldContexts",
                            params={"kind": "ImplicitlyCreated"}).json()
    assert implicit.count(url) == 1
    assert requests.get(url).json()["@context"] == body["@context"]


def test_posting_an_invalid_context_is_400(server):
    for body in ("not json", "[1,2]", '{"no": "context"}', '{"@context": 5}'):
        response = requests.post(f"{server.url}{V1}/jsonldContexts", data=body, headers=JSON)
        assert_problem(response, 400)


def test_unknown_context_id_is_404(server):
    assert_problem(requests.get(f"{server.url}{V1}/jsonldContexts/nope"), 404, "ResourceNotFound")
    assert_problem(requests.get(f"{server.url}{V1}/jsonldContexts/nope",
                                params={"details": "true"}), 404, "ResourceNotFound")


def test_context_endpoints_answer_406_to_an_accept_they_cannot_meet(server):
    response = requests.post(f"{server.url}{V1}/jsonldContexts",
                             json={"@context": {"Mill": "http://example.org/Mill"}})
    url = response.headers["Location"]
    html = {"Accept": "text/html"}
    assert_problem(requests.get(f"{server.url}{V1}/jsonldContexts", headers=html), 406,
                   "NotAcceptable")
    assert_problem(requests.get(url, headers=html), 406, "NotAcceptable")
    assert_problem(requests.get(url, params={"details": "true"}, headers=html), 406)
    for accept in ("application/json", "application/ld+json", "*/*"):
        served = requests.get(url, headers={"Accept": accept})
        assert served.status_code == 200, accept
        assert served.headers["Content-Type"].split(";")[0] == "application/ld+json"


def test_unknown_kind_is_400(server):
    assert_problem(requests.get(f"{server.url}{V1}/jsonldContexts", params={"kind": "Nope"}),
                   400, "BadRequestData")


def test_downloaded_context_is_listed_as_cached(server, env_link):
    get(server, "urn:ngsi-ld:Thing:whatever", headers={"Link": env_link["Link"]})
    url = env_link["Link"][1:].split(">")[0]
    cached = requests.get(f"{server.url}{V1}/jsonldContexts", params={"kind": "Cached"}).json()
    assert url in cached


# --- persistence and pre-seeding --------------------------------------------------------------


def test_downloaded_and_hosted_contexts_survive_a_restart_without_the_origin():
    data_dir = tempfile.mkdtemp(prefix="citytwin-ctx-")
    contexts = ContextHttpServer()
    first = CityTwinServer(data_dir=data_dir)
    second = CityTwinServer(data_dir=data_dir)
    try:
        first.start()
        link = link_header(contexts.url("dataModel.Environment-context.jsonld"))
        entity = aqo()
        create(first, entity, headers={**JSON, "Link": link})
        hosted = requests.post(f"{first.url}{V1}/jsonldContexts",
                               json={"@context": {"Kiosk": "http://example.org/Kiosk"}})
        assert hosted.status_code == 201
        hosted_id = hosted.headers["Location"].rsplit("/", 1)[1]
        assert first.stop() == 0
        contexts.stop()  # the origin is gone

        second.start()
        body = get_ok(second, entity["id"], headers={"Link": link})
        assert numbers_normalized(body) == numbers_normalized(entity)
        served = requests.get(f"{second.url}{V1}/jsonldContexts/{hosted_id}")
        assert served.status_code == 200
        assert served.json() == {"@context": {"Kiosk": "http://example.org/Kiosk"}}
        # Listed under the port of this run, and the URL of the first run still resolves
        # locally (the first process is gone, so a download would fail).
        listed = requests.get(f"{second.url}{V1}/jsonldContexts", params={"kind": "Hosted"})
        assert listed.json() == [f"{second.url}{V1}/jsonldContexts/{hosted_id}"]
        create(second, {"id": "urn:ngsi-ld:Kiosk:1", "type": "Kiosk"},
               headers={**JSON, "Link": link_header(hosted.headers["Location"])})
        assert get_ok(second, "urn:ngsi-ld:Kiosk:1")["type"] == "http://example.org/Kiosk"
    finally:
        contexts.stop()
        first.stop()
        second.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def test_context_dir_preseeds_an_offline_url(tmp_path):
    seed = tmp_path / "contexts"
    seed.mkdir()
    shutil.copy(os.path.join(SHARED, "dataModel.Environment-context.jsonld"), seed / "env.jsonld")
    offline_url = closed_port_url()
    (seed / "manifest.json").write_text(json.dumps([{"url": offline_url, "file": "env.jsonld"}]))
    instance = CityTwinServer(extra_args=["--context-dir", str(seed)]).start()
    try:
        link = link_header(offline_url)
        entity = aqo()
        create(instance, entity, headers={**JSON, "Link": link})
        assert get_ok(instance, entity["id"])["type"] == ENV + "AirQualityObserved"
        assert numbers_normalized(get_ok(instance, entity["id"], headers={"Link": link})) == \
            numbers_normalized(entity)
        listed = requests.get(f"{instance.url}{V1}/jsonldContexts").json()
        assert offline_url in listed
    finally:
        instance.cleanup()


def test_context_dir_with_a_broken_manifest_fails_at_start(tmp_path):
    seed = tmp_path / "contexts"
    seed.mkdir()
    (seed / "manifest.json").write_text('[{"url": "http://x.invalid/c.jsonld"}]')
    instance = CityTwinServer(extra_args=["--context-dir", str(seed)])
    try:
        with pytest.raises(RuntimeError):
            instance.start(timeout=10)
    finally:
        instance.cleanup()
