"""Small helpers shared by the NGSI-LD black-box tests (tests/api/test_0[2-6]_*.py).

Everything talks to 127.0.0.1 only; @context documents come from tests/fixtures through a
local http.server (ContextHttpServer), never from the internet.
"""
import copy
import functools
import http.server
import json
import os
import socket
import threading
import urllib.parse

import requests

V1 = "/ngsi-ld/v1"
CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
CONTEXT_REL = 'rel="http://www.w3.org/ns/json-ld#context"'

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")
DATA_MODELS = os.path.join(FIXTURES, "data-models")
SHARED = os.path.join(DATA_MODELS, "_shared")

JSON = {"Content-Type": "application/json"}
LD_JSON = {"Content-Type": "application/ld+json"}


def quote(entity_id):
    """Entity ids in a path are percent-encoded, clause 6.2."""
    return urllib.parse.quote(entity_id, safe="")


def entity_url(server, entity_id):
    return f"{server.url}{V1}/entities/{quote(entity_id)}"


def attrs_url(server, entity_id, attr=None):
    url = entity_url(server, entity_id) + "/attrs"
    return url if attr is None else url + "/" + urllib.parse.quote(attr, safe="")


def create(server, entity, headers=None, expect=201):
    response = requests.post(f"{server.url}{V1}/entities", data=json.dumps(entity),
                             headers=headers or JSON)
    assert response.status_code == expect, response.text
    return response


def get(server, entity_id, params=None, headers=None):
    return requests.get(entity_url(server, entity_id), params=params, headers=headers)


def get_ok(server, entity_id, params=None, headers=None):
    response = get(server, entity_id, params, headers)
    assert response.status_code == 200, response.text
    return response.json()


def link_header(url):
    return f'<{url}>; {CONTEXT_REL}; type="application/ld+json"'


def assert_problem(response, status, error_type=None):
    """An NGSI-LD error: ProblemDetails (clause 5.5.2) in application/json."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].split(";")[0] == "application/json"
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert body["type"].startswith(ERRORS)
    if error_type is not None:
        types = error_type if isinstance(error_type, tuple) else (error_type,)
        assert body["type"] in [ERRORS + t for t in types], body
    return body


def load_example(path):
    with open(os.path.join(DATA_MODELS, path), encoding="utf-8") as handle:
        return json.load(handle)


def example_paths():
    paths = []
    for model in sorted(os.listdir(DATA_MODELS)):
        folder = os.path.join(DATA_MODELS, model)
        if model.startswith("_") or not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.startswith("example-normalized"):
                paths.append(f"{model}/{name}")
    return paths


def numbers_normalized(value):
    """JSON with every number as float, so 1 and 1.0 (or 1e2 and 100) compare equal."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [numbers_normalized(v) for v in value]
    if isinstance(value, dict):
        return {k: numbers_normalized(v) for k, v in value.items()}
    return value


def without_context(entity):
    entity = copy.deepcopy(entity)
    entity.pop("@context", None)
    return entity


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def guess_type(self, path):
        if str(path).endswith(".jsonld"):
            return "application/ld+json"
        return super().guess_type(path)


class ContextHttpServer:
    """Serves a directory on 127.0.0.1 on a free port, for @context URLs in Link headers."""

    def __init__(self, directory=SHARED):
        handler = functools.partial(_QuietHandler, directory=directory)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None



def check_large_answers(session, base_url, verify=True, entities=40, hours=240):
    """Answers of hundreds of kilobytes, on one keep-alive connection (`session`): a page of
    aggregated histories (sent from one text per entity), a page of entities (one body, not
    copied after the head), then a small answer. Each arrives whole, as its Content-Length
    says, with the values written. `verify` as requests takes it (a CA file for TLS)."""
    def call(method, path, **args):
        return session.request(method, base_url + path, verify=verify, timeout=30, **args)

    temporal = "/ngsi-ld/v1/temporal/entities"
    padding = "x" * 2000
    for n in range(entities):
        entity = {"id": f"urn:ngsi-ld:Big:{n:03d}", "type": "Big"}
        response = call("POST", "/ngsi-ld/v1/entities",
                        json={**entity, "note": {"type": "Property", "value": padding}})
        assert response.status_code == 201, response.text
        instances = [{"type": "Property", "value": n * 1000 + h,
                      "observedAt": f"2026-01-{1 + h // 24:02d}T{h % 24:02d}:30:00Z"}
                     for h in range(hours)]
        response = call("POST", temporal, json={**entity, "level": instances})
        assert response.status_code == 204, response.text
    end = f"2026-01-{1 + hours // 24:02d}T00:00:00Z"
    for _ in range(2):
        page = call("GET", temporal, params={
            "type": "Big", "attrs": "level", "options": "aggregatedValues", "aggrMethods": "max",
            "aggrPeriodDuration": "PT1H", "timerel": "between", "timeAt": "2026-01-01T00:00:00Z",
            "endTimeAt": end, "limit": 1000})
        assert page.status_code == 200, page.text
        assert int(page.headers["Content-Length"]) == len(page.content) > 300_000
        body = page.json()
        assert [e["id"] for e in body] == [f"urn:ngsi-ld:Big:{n:03d}" for n in range(entities)]
        for n, entity in enumerate(body):
            assert [period[0] for period in entity["level"]["max"]] == \
                [n * 1000 + h for h in range(hours)]
        listed = call("GET", "/ngsi-ld/v1/entities",
                      params={"type": "Big", "attrs": "note", "limit": 1000})
        assert listed.status_code == 200, listed.text
        assert int(listed.headers["Content-Length"]) == len(listed.content) > 50_000
        assert [e["note"]["value"] for e in listed.json()] == [padding] * entities
        small = call("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:Big:000", params={"attrs": "note"})
        assert small.status_code == 200 and small.json()["note"]["value"] == padding
