"""Bad-input run (issue #7): thousands of mutated requests against the real server.

Every request is derived from a valid NGSI-LD request (a create, an attribute update, a merge,
a batch, queries with q / geo / scope / temporal parameters, @context registration) and then
mutated: JSON bodies are changed value by value and byte by byte, query parameters are
replaced with hostile text, headers are dropped or garbled, methods and paths are changed.
A second pass writes malformed HTTP/1.1 straight to the socket. The random generator has a
fixed seed, so a failure names a request that the next run sends again.

Asserted: no answer is a 5xx, every JSON body is UTF-8 JSON text, every request is answered
within the timeout (no hang), and the server is alive and answering /health after each batch
and at the end.

Only 127.0.0.1 is contacted. A mutated request that names any URL other than the NGSI-LD core
context (which the server answers locally) is not sent, so the server never tries to
download a @context from elsewhere.
"""
import copy
import json
import os
import random
import re
import socket
import sys
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402

SEED = int(os.environ.get("CITYTWIN_BAD_INPUT_SEED", "20261204"))
REQUESTS = int(os.environ.get("CITYTWIN_BAD_INPUT_REQUESTS", "10000"))
RAW_REQUESTS = int(os.environ.get("CITYTWIN_BAD_INPUT_RAW", "1000"))
TIMEOUT = 10.0  # seconds for one answer; longer counts as a hang

V1 = "/ngsi-ld/v1"
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
LINK_REL = 'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
ALLOWED_URLS = (CORE, "http://www.w3.org/ns/json-ld#context")

# Values a mutation puts where a valid one was.
HOSTILE_VALUES = [
    None, True, False, 0, -1, 1e308, -0.0, 2**63, -(2**63) - 1, 10**40, "", " ", "\u0000",
    "urn:ngsi-ld:null", "null", "a" * 5000, "\u00e9\u4e2d\U0001f600", "\ud7ff", "../../etc",
    "%00%zz", "<script>", "{}", "[]", [], {}, [None], [[[[[[[[[[1]]]]]]]]]], {"a": {"b": {}}},
    {"type": "Property"}, {"type": "Property", "value": None}, {"type": "Relationship"},
    {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1e10, "x"]}},
    {"type": "GeoProperty", "value": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}},
    {"type": "LanguageProperty", "languageMap": {"en": 5}}, {"type": "ListProperty"},
    {"type": "VocabProperty", "vocab": {}}, {"type": "JsonProperty", "json": None},
    {"@type": "DateTime", "@value": "2026-13-45T25:61:61Z"}, {"@context": {"a": 5}},
    {"@context": [None, {"@vocab": 5}]}, {"datasetId": "not a uri", "type": "Property", "value": 1},
    {"type": "Property", "value": 1, "observedAt": "yesterday"},
]
# Text a mutation puts in a query parameter, a header or a path segment.
HOSTILE_TEXT = [
    "", " ", "%", "%zz", "%00", "%2F", "..", "/", "//", ";", ",", "|", "(", ")", "((((((((", "))",
    "\"", "'", "\\", "*", "?", "#", "&", "=", "==", "!=", "~=", ">", "<=", "..", "a..b", "1..",
    "x" * 9000, "\u00ff", "\u4e2d", "\U0001f600", "-1", "0", "18446744073709551616", "1e999", "NaN",
    "null", "true", "[", "]", "[1,", "[[[[", "{", "near;maxDistance==-1", "near;minDistance==1e400",
    "Point", "Polygon", "[[[0,0]]]", "[181,91]", "2026-02-30T00:00:00Z", "P", "PT", "P1Y-2M",
    "/#", "/+", "/a/#/b", "urn:", "urn:ngsi-ld:x y", "temperature", "a[b][c][d]", "a.b.c.d",
    "application/json", "application/ld+json", "application/merge-patch+json",
    "application/geo+json", "text/plain", "*/*", "application/json;q=0", "multipart/form-data",
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "FOO"]


def entity(n):
    return {
        "id": f"urn:ngsi-ld:BadInput:{n}",
        "type": "BadInput",
        "scope": "/City/District",
        "temperature": {"type": "Property", "value": 20 + n, "unitCode": "CEL",
                        "observedAt": "2026-11-22T10:00:00Z",
                        "accuracy": {"type": "Property", "value": 0.5}},
        "name": {"type": "Property", "value": f"sensor {n}"},
        "address": {"type": "Property", "value": {"street": "Main", "number": n}},
        "label": {"type": "LanguageProperty", "languageMap": {"en": "gate", "es": "puerta"}},
        "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:1"},
        "location": {"type": "GeoProperty",
                     "value": {"type": "Point", "coordinates": [2.0 + n / 100, 41.0]}},
    }


def base_requests():
    """Valid requests, as (method, path, params, headers, body) with body a JSON value."""
    json_h = {"Content-Type": "application/json"}
    ld_h = {"Content-Type": "application/ld+json"}
    link_h = {"Link": f"<{CORE}>; {LINK_REL}"}
    eid = "urn:ngsi-ld:BadInput:1"
    ld_entity = dict(entity(90), **{"@context": [{"BadInput": "urn:example:BadInput"}, CORE]})
    return [
        ("POST", f"{V1}/entities", [], json_h, entity(99)),
        ("POST", f"{V1}/entities", [], ld_h, ld_entity),
        ("GET", f"{V1}/entities/{eid}", [("options", "keyValues"), ("attrs", "temperature,name")],
         {}, None),
        ("GET", f"{V1}/entities/{eid}", [], {"Accept": "application/geo+json"}, None),
        ("GET", f"{V1}/entities", [("type", "BadInput"), ("q", "temperature>20;name==\"sensor 2\""),
                                   ("limit", "5"), ("offset", "1"), ("count", "true")], link_h, None),
        ("GET", f"{V1}/entities", [("type", "BadInput"), ("georel", "near;maxDistance==2000"),
                                   ("geometry", "Point"), ("coordinates", "[2.0,41.0]")], {}, None),
        ("GET", f"{V1}/entities", [("type", "BadInput"), ("georel", "within"),
                                   ("geometry", "Polygon"),
                                   ("coordinates", "[[[1,40],[3,40],[3,42],[1,42],[1,40]]]")], {}, None),
        ("GET", f"{V1}/entities", [("idPattern", "urn:ngsi-ld:BadInput:.*"),
                                   ("scopeQ", "/City/#"), ("attrs", "address"),
                                   ("q", "address[number]<5|label[en]==\"gate\"")], {}, None),
        ("PATCH", f"{V1}/entities/{eid}/attrs", [], json_h,
         {"temperature": {"type": "Property", "value": 30, "observedAt": "2026-11-22T11:00:00Z"}}),
        ("POST", f"{V1}/entities/{eid}/attrs", [("options", "noOverwrite")], json_h,
         {"humidity": {"type": "Property", "value": 50, "datasetId": "urn:ds:1"}}),
        ("PATCH", f"{V1}/entities/{eid}/attrs/name", [], json_h, {"value": "renamed"}),
        ("PUT", f"{V1}/entities/{eid}/attrs/name", [], json_h, {"type": "Property", "value": "x"}),
        ("PATCH", f"{V1}/entities/{eid}", [], {"Content-Type": "application/merge-patch+json"},
         {"address": {"value": {"street": None}}, "name": "urn:ngsi-ld:null"}),
        ("PUT", f"{V1}/entities/urn:ngsi-ld:BadInput:50", [], json_h,
         {"type": "BadInput", "name": {"type": "Property", "value": "replaced"}}),
        ("DELETE", f"{V1}/entities/{eid}/attrs/humidity", [("datasetId", "urn:ds:1")], {}, None),
        ("DELETE", f"{V1}/entities/urn:ngsi-ld:BadInput:98", [], {}, None),
        ("POST", f"{V1}/entityOperations/upsert", [("options", "update")], json_h,
         [entity(60), entity(61)]),
        ("POST", f"{V1}/entityOperations/update", [], json_h,
         [{"id": "urn:ngsi-ld:BadInput:60", "type": "BadInput", "name": "batch"}]),
        ("POST", f"{V1}/entityOperations/merge", [], json_h,
         [{"id": "urn:ngsi-ld:BadInput:61", "type": "BadInput", "name": None}]),
        ("POST", f"{V1}/entityOperations/delete", [], json_h, ["urn:ngsi-ld:BadInput:60"]),
        ("POST", f"{V1}/entityOperations/query", [("limit", "10")], json_h,
         {"type": "Query", "entities": [{"type": "BadInput"}], "q": "temperature>1",
          "geoQ": {"geometry": "Point", "coordinates": [2.0, 41.0],
                   "georel": "near;maxDistance==5000"}}),
        ("GET", f"{V1}/temporal/entities/{eid}",
         [("timerel", "between"), ("timeAt", "2026-01-01T00:00:00Z"),
          ("endTimeAt", "2027-01-01T00:00:00Z"), ("lastN", "2"), ("options", "temporalValues")],
         {}, None),
        ("GET", f"{V1}/types", [("details", "true")], {}, None),
        ("GET", f"{V1}/types/BadInput", [], {}, None),
        ("GET", f"{V1}/attributes", [("details", "true")], {}, None),
        ("GET", f"{V1}/attributes/temperature", [], {}, None),
        ("POST", f"{V1}/jsonldContexts", [], json_h,
         {"@context": {"BadInput": "urn:example:BadInput", "t": "urn:example:t"}}),
        ("GET", f"{V1}/jsonldContexts", [("details", "true")], {}, None),
        ("GET", "/health", [], {}, None),
        ("GET", "/metrics", [], {}, None),
    ]


# --- mutations ------------------------------------------------------------------------------

def json_paths(value, prefix=()):
    """Every (path) to a member or element of a JSON value, the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from json_paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from json_paths(child, prefix + (index,))


def set_at(root, path, new):
    if not path:
        return new
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return root


DEEP_MARKER = "@@deep-nesting@@"


def json_text(body):
    """JSON text of a mutated body, with each deep-nesting marker replaced by [[[...]]]."""
    text = json.dumps(body)
    return re.sub(f'"{DEEP_MARKER}(\\d+)"',
                  lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), text).encode()


def mutate_json(rng, body):
    body = copy.deepcopy(body)
    for _ in range(rng.randint(1, 3)):
        paths = list(json_paths(body))
        path = rng.choice(paths)
        choice = rng.random()
        if choice < 0.45:
            body = set_at(body, path, copy.deepcopy(rng.choice(HOSTILE_VALUES)))
        elif choice < 0.6 and path:
            parent = body
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
        elif choice < 0.75:
            target = body
            for step in path:
                target = target[step]
            if isinstance(target, dict):
                target[rng.choice(["type", "value", "@context", "id", "object", "scope",
                                   "observedAt", "datasetId", "x" * rng.randint(1, 300),
                                   "bad name!", "", "@id"])] = copy.deepcopy(
                                       rng.choice(HOSTILE_VALUES))
            elif isinstance(target, list):
                target.append(copy.deepcopy(rng.choice(HOSTILE_VALUES)))
        elif choice < 0.85:
            # Deeply nested arrays, spliced in as text by json_text() (Python's own json
            # module cannot build them).
            body = set_at(body, path, f"{DEEP_MARKER}{rng.randint(1, 3000)}")
        else:
            target = body
            for step in path:
                target = target[step]
            body = set_at(body, path, [copy.deepcopy(target)] * rng.randint(0, 3))
    return body


def mutate_bytes(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.random()
        if not data or choice < 0.3:
            data[rng.randint(0, len(data)):rng.randint(0, len(data))] = bytes(
                rng.randint(0, 255) for _ in range(rng.randint(1, 4)))
        elif choice < 0.6:
            data[rng.randrange(len(data))] = rng.randint(0, 255)
        elif choice < 0.8:
            del data[rng.randint(0, len(data)):]
        else:
            start = rng.randrange(len(data))
            data[start:start] = data[start:start + rng.randint(1, 64)] * rng.randint(1, 20)
    return bytes(data)


def mutate_params(rng, params):
    params = list(params)
    for _ in range(rng.randint(1, 3)):
        choice = rng.random()
        if params and choice < 0.5:
            index = rng.randrange(len(params))
            params[index] = (params[index][0], rng.choice(HOSTILE_TEXT))
        elif params and choice < 0.6:
            del params[rng.randrange(len(params))]
        elif choice < 0.8:
            params.append((rng.choice(["q", "type", "attrs", "georel", "geometry", "coordinates",
                                       "geoproperty", "limit", "offset", "options", "scopeQ",
                                       "idPattern", "id", "timerel", "timeAt", "endTimeAt",
                                       "lastN", "timeproperty", "count", "format", "orderBy",
                                       "lang", "pick", "omit", "details", "datasetId",
                                       "deleteAll", "kind", "local", "", "%", "x" * 300]),
                           rng.choice(HOSTILE_TEXT)))
        elif params:
            index = rng.randrange(len(params))
            value = params[index][1].encode()
            params[index] = (params[index][0],
                             mutate_bytes(rng, value).decode("latin-1"))
    return params


def mutate_headers(rng, headers):
    headers = dict(headers)
    for _ in range(rng.randint(1, 2)):
        name = rng.choice(["Content-Type", "Accept", "NGSILD-Tenant", "Link", "Host",
                           "Content-Encoding", "Transfer-Encoding", "Expect", "X-Junk"])
        if rng.random() < 0.2:
            headers.pop(name, None)
        elif name == "Link":
            # Only the core context URL or text that is not a URL: nothing to download.
            headers[name] = rng.choice([f"<{CORE}>; {LINK_REL}", f"<{CORE}>", "<>; " + LINK_REL,
                                        "<not a url>; " + LINK_REL, "garbage", f"<{CORE}>, <{CORE}>"])
        elif name == "Transfer-Encoding":
            headers[name] = rng.choice(["gzip", "identity", "x"])
        elif name == "Expect":
            headers[name] = rng.choice(["100-continue", "200-ok"])
        else:
            headers[name] = rng.choice(HOSTILE_TEXT)[:200]
    return headers


def mutate_path(rng, path):
    segments = path.split("/")
    index = rng.randrange(1, len(segments))
    choice = rng.random()
    if choice < 0.5:
        segments[index] = rng.choice(HOSTILE_TEXT)[:300]
    elif choice < 0.7:
        segments.insert(index, rng.choice(["", "..", ".", "%2e%2e", "attrs", "entities"]))
    elif choice < 0.85:
        segments = segments[:index]
    else:
        segments[index] = segments[index] + rng.choice(["%", "%z", "%C0%AF", "%ff%fe", "\u00e9"])
    return "/".join(segments) or "/"


def names_a_remote_url(*texts):
    """True when a request would make the server fetch something: any URL but the allowed."""
    for text in texts:
        if text is None:
            continue
        for allowed in ALLOWED_URLS:
            text = text.replace(allowed, "")
        if re.search(r"(?i)https?:|//", text):
            return True
    return False


def mutated_request(rng, base):
    method, path, params, headers, body = base
    data = None if body is None else json.dumps(body).encode()
    kind = rng.random()
    if kind < 0.35 and body is not None:
        data = json_text(mutate_json(rng, body))
    elif kind < 0.5 and data is not None:
        data = mutate_bytes(rng, data)
    elif kind < 0.7:
        params = mutate_params(rng, params)
    elif kind < 0.82:
        headers = mutate_headers(rng, headers)
    elif kind < 0.92:
        path = mutate_path(rng, path)
    else:
        method = rng.choice(METHODS)
        if data is None and rng.random() < 0.5:
            data = json.dumps(rng.choice(HOSTILE_VALUES)).encode()
    return method, path, params, headers, data


def safe_to_send(method, path, params, headers, data):
    texts = [path, *(f"{k}={v}" for k, v in params), *(f"{k}: {v}" for k, v in headers.items())]
    if data is not None:
        texts.append(data.decode("latin-1"))
    return not names_a_remote_url(*texts)


def encode_query(params):
    from urllib.parse import quote
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)


# --- the run --------------------------------------------------------------------------------

def assert_json_body(response, what):
    """A body sent as JSON must be UTF-8 JSON text (RFC 8259), whatever the request held."""
    if not response.content or "json" not in response.headers.get("Content-Type", ""):
        return
    try:
        json.loads(response.content.decode("utf-8"))
    except ValueError as error:  # UnicodeDecodeError is a ValueError too
        raise AssertionError(f"{error} in body {response.content[:300]!r} for {what}")


def assert_alive(server):
    assert server.process.poll() is None, "server died: " + server.log()
    response = requests.get(server.url + "/health", timeout=TIMEOUT)
    assert response.status_code == 200, response.text


def test_mutated_requests_get_no_5xx_and_no_hang():
    server = CityTwinServer().start()
    try:
        session = requests.Session()
        for n in range(10):
            response = session.post(f"{server.url}{V1}/entities", json=entity(n), timeout=TIMEOUT)
            assert response.status_code == 201, response.text
        rng = random.Random(SEED)
        bases = base_requests()
        statuses = {}
        sent = 0
        started = time.monotonic()
        while sent < REQUESTS:
            method, path, params, headers, data = mutated_request(rng, rng.choice(bases))
            if not safe_to_send(method, path, params, headers, data):
                continue
            query = encode_query(params)
            url = server.url + path + ("?" + query if query else "")
            what = f"#{sent} {method} {url[:300]} headers={headers} body={data[:300] if data else None!r}"
            try:
                response = session.request(method, url, headers=headers, data=data,
                                           timeout=TIMEOUT, allow_redirects=False)
            except (ValueError, UnicodeError, requests.exceptions.InvalidHeader,
                    requests.exceptions.InvalidURL):
                continue  # the client library refuses to send it (e.g. a NUL in a header)
            except requests.Timeout:
                raise AssertionError(f"no answer within {TIMEOUT}s (hang?): {what}")
            except requests.ConnectionError:
                # The server may close a connection after a request it rejects; it must still
                # be alive (a crash is caught here).
                assert_alive(server)
                session = requests.Session()
                statuses["closed"] = statuses.get("closed", 0) + 1
                sent += 1
                continue
            assert response.status_code < 500, f"{response.status_code} {response.text[:500]} for {what}"
            assert_json_body(response, what)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            sent += 1
            if sent % 500 == 0:
                assert_alive(server)
        elapsed = time.monotonic() - started
        assert_alive(server)
        print(f"\nbad-input: {sent} mutated requests in {elapsed:.1f}s (seed {SEED}); "
              f"statuses {dict(sorted(statuses.items(), key=str))}")
        # The run must have reached the handlers, not only the router's 404s.
        assert sum(v for k, v in statuses.items() if k in (200, 201, 204, 207)) > 100
        assert statuses.get(400, 0) > 100
    finally:
        server.cleanup()


RAW_BASES = [
    b"GET /ngsi-ld/v1/entities?type=BadInput HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"POST /ngsi-ld/v1/entities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 40\r\n\r\n{\"id\":\"urn:raw:1\",\"type\":\"T\",\"a\":1}    ",
    b"POST /ngsi-ld/v1/entityOperations/upsert HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
    b"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[{\"id\r\n1a\r\n\":\"urn:raw:2\",\"type\":\"T\"}]\r\n0\r\n\r\n",
    b"GET /health HTTP/1.1\r\n\r\n",
]


def raw_exchange(port, payload):
    """Sends bytes, half-closes, reads until the server closes. Returns the status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return b""  # the server closed early: it rejected the request, which is fine
        reply = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except ConnectionResetError:
            pass
        except socket.timeout:
            raise AssertionError(f"no answer within {TIMEOUT}s (hang?) for {payload[:300]!r}")
        return reply.split(b"\r\n", 1)[0]


def test_malformed_http_gets_no_5xx_and_no_hang():
    server = CityTwinServer().start()
    try:
        rng = random.Random(SEED + 1)
        sent = 0
        for n in range(RAW_REQUESTS):
            payload = mutate_bytes(rng, rng.choice(RAW_BASES))
            if names_a_remote_url(payload.decode("latin-1")):
                continue
            status_line = raw_exchange(server.port, payload)
            sent += 1
            match = re.match(rb"HTTP/1\.[01] (\d{3})", status_line)
            if match:
                assert int(match.group(1)) < 500, f"{status_line!r} for {payload[:300]!r}"
            if n % 100 == 0:
                assert_alive(server)
        assert_alive(server)
        print(f"\nbad-input: {sent} malformed raw HTTP requests (seed {SEED + 1})")
    finally:
        server.cleanup()
