"""Subscriptions and notifications (GS CIM 009 V1.8.1 clauses 5.2.12, 5.3, 5.8, 5.11): CRUD,
validation, every trigger, every format, showChanges, throttling, periodic notifications,
expiry, pausing, a receiver that is down then up, receivers that hang or answer garbage, and
restart.

Notifications go to a real HTTP receiver on 127.0.0.1 started by the test (Receiver below)."""
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import proc_threads  # noqa: E402
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import (  # noqa: E402
    CORE_CONTEXT_URL, CONTEXT_REL, JSON, LD_JSON, V1, ContextHttpServer, assert_problem, attrs_url,
    create, entity_url, link_header, quote)

SUBS = f"{V1}/subscriptions"
ENV = "https://smartdatamodels.org/dataModel.Environment/"
# Fast retries so that a receiver coming back is noticed within the test's patience.
FAST_RETRIES = ["--notify-retry-initial-ms", "100", "--notify-retry-max-ms", "300",
                "--notify-max-attempts", "1000", "--notify-timeout-ms", "1000"]


class Receiver:
    """An HTTP server on 127.0.0.1 that records every notification POSTed to it."""

    def __init__(self, port=0, status=204, tls=None, hold=None):
        self.notifications = []
        self.status = status
        self.arrived = 0  # POSTs received, recorded or still held
        # A threading.Event: while it is not set, every POST waits for it before it is
        # recorded and answered (a receiver slower than the changes).
        self.hold = hold
        self.condition = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with receiver.condition:
                    receiver.arrived += 1
                    receiver.condition.notify_all()
                if receiver.hold is not None:
                    receiver.hold.wait(20)
                with receiver.condition:
                    receiver.notifications.append(
                        {"path": self.path, "headers": dict(self.headers),
                         "body": json.loads(body)})
                    receiver.condition.notify_all()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.scheme = "http"
        if tls is not None:  # (certificate file, key file)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/notify"):
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def wait_for(self, count, timeout=10.0, path=None):
        """The first `count` notifications (to `path` when given); fails after `timeout`."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                got = [n for n in self.notifications if path is None or n["path"] == path]
                if len(got) >= count:
                    return got
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} notifications, got {len(got)}: {got}")
                self.condition.wait(remaining)

    def received(self, path=None):
        with self.condition:
            return [n for n in self.notifications if path is None or n["path"] == path]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server():
    instance = CityTwinServer(extra_args=FAST_RETRIES).start()
    yield instance
    instance.cleanup()


@pytest.fixture
def receiver():
    instance = Receiver()
    yield instance
    instance.stop()


_counter = [0]


def unique(prefix):
    _counter[0] += 1
    return f"{prefix}{_counter[0]}-{time.monotonic_ns()}"


def light(entity_id, power="on", level=10):
    return {"id": entity_id, "type": "Streetlight",
            "powerState": {"type": "Property", "value": power},
            "luminosity": {"type": "Property", "value": level},
            "refGroup": {"type": "Relationship", "object": "urn:ngsi-ld:Group:g1"}}


def subscription(receiver, path="/notify", **extra):
    notification = extra.pop("notification", {})
    endpoint = notification.pop("endpoint", {})
    body = {"type": "Subscription",
            "entities": [{"type": "Streetlight"}],
            "notification": {"endpoint": {"uri": receiver.url(path), **endpoint},
                             **notification}}
    body.update(extra)
    return body


def subscribe(server, body, headers=None, expect=201):
    response = requests.post(f"{server.url}{SUBS}", data=json.dumps(body),
                             headers=headers or JSON)
    assert response.status_code == expect, response.text
    if expect != 201:
        return response
    location = response.headers["Location"]
    assert location.startswith(f"{SUBS}/urn:ngsi-ld:Subscription:") or "id" in body
    return location.rsplit("/", 1)[1]


def sub_url(server, sub_id):
    return f"{server.url}{SUBS}/{quote(sub_id)}"


def get_sub(server, sub_id, headers=None):
    response = requests.get(sub_url(server, sub_id), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def patch_sub(server, sub_id, fragment, expect=204, headers=None):
    response = requests.patch(sub_url(server, sub_id), data=json.dumps(fragment),
                              headers={**JSON, **(headers or {})})
    assert response.status_code == expect, response.text
    return response


def eventually(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def patch_attrs(server, entity_id, attrs, headers=None):
    response = requests.patch(attrs_url(server, entity_id), data=json.dumps(attrs),
                              headers=headers or JSON)
    assert response.status_code == 204, response.text


# --- CRUD --------------------------------------------------------------------------------


def test_create_get_list_patch_delete(server, receiver):
    sub_id = f"urn:ngsi-ld:Subscription:{unique('crud')}"
    body = subscription(receiver, id=sub_id, description="lights", watchedAttributes=["luminosity"],
                        q="luminosity>5", throttling=1)
    response = requests.post(f"{server.url}{SUBS}", data=json.dumps(body), headers=JSON)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"{SUBS}/{sub_id}"
    assert response.content == b""

    got = get_sub(server, sub_id)
    assert got["id"] == sub_id
    assert got["type"] == "Subscription"
    assert got["description"] == "lights"
    assert got["entities"] == [{"type": "Streetlight"}]
    assert got["watchedAttributes"] == ["luminosity"]
    assert got["q"] == "luminosity>5"
    assert got["status"] == "active"
    assert got["notification"]["endpoint"]["uri"] == receiver.url()
    assert got["notification"]["timesSent"] == 0

    response = requests.post(f"{server.url}{SUBS}", data=json.dumps(body), headers=JSON)
    assert_problem(response, 409, "AlreadyExists")

    patch_sub(server, sub_id, {"description": "all lights", "isActive": False,
                               "notification": {"format": "keyValues"}})
    got = get_sub(server, sub_id)
    assert got["description"] == "all lights"
    assert got["status"] == "paused"
    assert got["notification"]["format"] == "keyValues"
    assert got["notification"]["endpoint"]["uri"] == receiver.url()

    response = requests.delete(sub_url(server, sub_id))
    assert response.status_code == 204
    assert_problem(requests.get(sub_url(server, sub_id)), 404, "ResourceNotFound")
    assert_problem(requests.delete(sub_url(server, sub_id)), 404, "ResourceNotFound")
    assert_problem(requests.patch(sub_url(server, sub_id), data="{}", headers=JSON), 404,
                   "ResourceNotFound")


def test_list_pages_and_counts_per_tenant(server, receiver):
    tenant = {"NGSILD-Tenant": unique("subs")}
    ids = [subscribe(server, subscription(receiver), headers={**JSON, **tenant})
           for _ in range(3)]
    response = requests.get(f"{server.url}{SUBS}", params={"count": "true", "limit": 2},
                            headers=tenant)
    assert response.status_code == 200
    assert response.headers["NGSILD-Results-Count"] == "3"
    page = response.json()
    assert len(page) == 2
    rest = requests.get(f"{server.url}{SUBS}", params={"offset": 2}, headers=tenant).json()
    assert sorted([s["id"] for s in page + rest]) == sorted(ids)
    # Another tenant sees none of them.
    assert all(s["id"] not in ids for s in requests.get(f"{server.url}{SUBS}").json())
    assert_problem(requests.get(sub_url(server, ids[0])), 404, "ResourceNotFound")
    assert_problem(requests.get(f"{server.url}{SUBS}", params={"limit": "x"}), 400)


def test_names_are_expanded_with_the_context_and_compacted_on_get(server, receiver):
    contexts = ContextHttpServer()
    try:
        link = link_header(contexts.url("dataModel.Environment-context.jsonld"))
        body = subscription(receiver, entities=[{"type": "AirQualityObserved"}],
                            watchedAttributes=["temperature"])
        sub_id = subscribe(server, body, headers={**JSON, "Link": link})
        assert get_sub(server, sub_id, headers={"Link": link})["entities"] == [
            {"type": "AirQualityObserved"}]
        plain = get_sub(server, sub_id)
        assert plain["entities"] == [{"type": ENV + "AirQualityObserved"}]
        assert plain["watchedAttributes"] == [ENV + "temperature"]
        ld = requests.get(sub_url(server, sub_id), headers={"Accept": "application/ld+json",
                                                            "Link": link})
        assert ld.headers["Content-Type"] == "application/ld+json"
        assert ld.json()["@context"] == contexts.url("dataModel.Environment-context.jsonld")
    finally:
        contexts.stop()


def test_inline_context_is_hosted_and_named_in_notifications(server, receiver):
    tenant = {"NGSILD-Tenant": unique("inline")}
    inline = {"lum": "https://example.org/luminosity", "Light": "https://example.org/Light"}
    body = subscription(receiver, entities=[{"type": "Light"}], watchedAttributes=["lum"])
    body["@context"] = inline
    sub_id = subscribe(server, body, headers={**LD_JSON, **tenant})
    assert get_sub(server, sub_id, headers=tenant)["watchedAttributes"] == [
        "https://example.org/luminosity"]
    entity = {"id": "urn:ngsi-ld:Light:" + unique("i"), "type": "https://example.org/Light",
              "https://example.org/luminosity": {"type": "Property", "value": 3}}
    create(server, entity, headers={**JSON, **tenant})
    [got] = receiver.wait_for(1)
    assert got["body"]["data"][0]["type"] == "Light"
    assert got["body"]["data"][0]["lum"]["value"] == 3
    link = {k.lower(): v for k, v in got["headers"].items()}["link"]
    url = link[link.index("<") + 1:link.index(">")]
    assert f"{V1}/jsonldContexts/" in url
    served = requests.get(url)
    assert served.status_code == 200
    assert served.json()["@context"] == inline


def _valid(receiver):
    return subscription(receiver)


@pytest.mark.parametrize("change", [
    {"type": "NotASubscription"},
    {"type": None},
    {"entities": []},
    {"entities": [{"id": "urn:x:1"}]},
    {"entities": [{"type": "Streetlight", "id": "not a uri"}]},
    {"entities": None, "watchedAttributes": None},
    {"notificationTrigger": ["entityExploded"]},
    {"notificationTrigger": "entityCreated"},
    {"q": "luminosity=="},
    {"geoQ": {"georel": "near;maxDistance==10", "geometry": "Point"}},
    {"geoQ": {"georel": "sideways", "geometry": "Point", "coordinates": [1, 2]}},
    {"expiresAt": "2001-01-01T00:00:00Z"},
    {"expiresAt": "soon"},
    {"throttling": 5, "timeInterval": 10},
    {"throttling": 0},
    {"isActive": "yes"},
    {"notification": None},
    {"notification": {"format": "pretty", "endpoint": {"uri": "http://127.0.0.1:9/x"}}},
    {"notification": {"endpoint": {"uri": "ftp://127.0.0.1/x"}}},
    {"notification": {"endpoint": {"uri": "mqtt://127.0.0.1:1883"}}},  # no topic
    {"notification": {"endpoint": {"uri": "mqtt://127.0.0.1:1883/a/#"}}},
    {"notification": {"endpoint": {}}},
    {"notification": {"endpoint": {"uri": "http://127.0.0.1:9/x", "accept": "text/html"}}},
    {"notification": {"attributes": [], "endpoint": {"uri": "http://127.0.0.1:9/x"}}},
    {"notification": {"endpoint": {"uri": "http://127.0.0.1:9/x",
                                   "receiverInfo": [{"key": "Bad Header", "value": "1"}]}}},
    {"notification": {"endpoint": {"uri": "http://127.0.0.1:9/x",
                                   "receiverInfo": [{"key": "Content-Type", "value": "x/y"}]}}},
])
def test_invalid_subscriptions_are_400_and_nothing_is_stored(server, receiver, change):
    tenant = {"NGSILD-Tenant": unique("bad")}
    body = _valid(receiver)
    for key, value in change.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    response = requests.post(f"{server.url}{SUBS}", data=json.dumps(body),
                             headers={**JSON, **tenant})
    assert_problem(response, 400, ("BadRequestData", "InvalidRequest"))
    listed = requests.get(f"{server.url}{SUBS}", params={"count": "true"}, headers=tenant)
    assert listed.headers["NGSILD-Results-Count"] == "0"


def test_invalid_patch_is_400_and_changes_nothing(server, receiver):
    sub_id = subscribe(server, subscription(receiver, q="luminosity>1"))
    before = get_sub(server, sub_id)
    for fragment in ({"q": "(("}, {"notificationTrigger": ["nope"]}, {"throttling": -1},
                     {"notification": {"endpoint": {"uri": "mqtt://x/y/+"}}}):
        response = requests.patch(sub_url(server, sub_id), data=json.dumps(fragment), headers=JSON)
        assert_problem(response, 400, ("BadRequestData", "InvalidRequest"))
    assert get_sub(server, sub_id) == before


def test_periodic_subscription_sends_matching_entities_every_interval(server, receiver):
    tenant = {"NGSILD-Tenant": unique("periodic")}
    headers = {**JSON, **tenant}
    ids = ["urn:ngsi-ld:Streetlight:" + unique("per") for _ in range(2)]
    for entity_id in ids:
        create(server, light(entity_id), headers=headers)
    sub_id = subscribe(server, subscription(receiver, timeInterval=1, q="luminosity>5",
                                            notification={"format": "keyValues"}),
                       headers=headers)
    started = time.monotonic()
    first, second = receiver.wait_for(2, timeout=6)
    assert time.monotonic() - started >= 1.5  # one interval each, not a burst
    for notification in (first, second):
        body = notification["body"]
        assert body["subscriptionId"] == sub_id
        assert sorted(e["id"] for e in body["data"]) == sorted(ids)
        assert "triggerReason" not in body
    # Pausing stops it.
    patch_sub(server, sub_id, {"isActive": False}, headers=tenant)
    time.sleep(0.3)
    count = len(receiver.received())
    time.sleep(1.5)
    assert len(receiver.received()) == count
    response = requests.post(f"{server.url}{SUBS}",
                             data=json.dumps(subscription(receiver, timeInterval=5,
                                                          watchedAttributes=["luminosity"])),
                             headers=headers)
    assert_problem(response, 400, "BadRequestData")


# --- notifications -----------------------------------------------------------------------


def test_entity_creation_notifies_with_the_spec_body_and_headers(server, receiver):
    tenant = {"NGSILD-Tenant": unique("notify")}
    sub_id = subscribe(server, subscription(receiver), headers={**JSON, **tenant})
    entity = light("urn:ngsi-ld:Streetlight:" + unique("n"))
    create(server, entity, headers={**JSON, **tenant})
    [notification] = receiver.wait_for(1)
    body = notification["body"]
    assert body["type"] == "Notification"
    assert body["id"].startswith("urn:ngsi-ld:Notification:")
    assert body["subscriptionId"] == sub_id
    assert body["triggerReason"] == "attributeCreated"
    assert "notifiedAt" in body
    assert body["data"] == [entity]
    headers = {k.lower(): v for k, v in notification["headers"].items()}
    assert headers["content-type"] == "application/json"
    assert headers["link"] == link_header(CORE_CONTEXT_URL)
    assert headers["ngsild-tenant"] == tenant["NGSILD-Tenant"]
    stats = eventually(lambda: (s := get_sub(server, sub_id, headers=tenant))["notification"]
                       ["timesSent"] == 1 and s)
    assert stats["notification"]["timesFailed"] == 0
    assert "lastSuccess" in stats["notification"] and "lastNotification" in stats["notification"]
    metrics = requests.get(f"{server.url}/metrics").text
    labels = f'{{tenant="{tenant["NGSILD-Tenant"]}",subscription="{sub_id}"}}'
    assert f"citytwin_subscription_notifications_sent{labels} 1" in metrics
    assert f"citytwin_subscription_notifications_failed{labels} 0" in metrics
    assert f"citytwin_subscription_notifications_queued{labels} 0" in metrics


def test_each_trigger(server, receiver):
    tenant = {"NGSILD-Tenant": unique("triggers")}
    headers = {**JSON, **tenant}
    paths = {}
    for trigger in ("entityCreated", "entityUpdated", "entityDeleted", "attributeCreated",
                    "attributeUpdated", "attributeDeleted"):
        paths[trigger] = "/" + trigger
        subscribe(server, subscription(receiver, path=paths[trigger],
                                       notificationTrigger=[trigger]), headers=headers)
    entity_id = "urn:ngsi-ld:Streetlight:" + unique("t")
    create(server, light(entity_id), headers=headers)                       # 1 creation
    patch_attrs(server, entity_id, {"luminosity": {"type": "Property", "value": 50}},
                headers=headers)                                             # 2 update
    response = requests.post(attrs_url(server, entity_id),
                             data=json.dumps({"colour": {"type": "Property", "value": "red"}}),
                             headers=headers)                                # 3 new attribute
    assert response.status_code == 204, response.text
    response = requests.delete(attrs_url(server, entity_id, "colour"), headers=tenant)
    assert response.status_code == 204                                      # 4 attribute gone
    response = requests.delete(entity_url(server, entity_id), headers=tenant)
    assert response.status_code == 204                                      # 5 entity gone

    def reasons(trigger, count):
        got = receiver.wait_for(count, path=paths[trigger])
        assert all(n["body"]["triggerReason"] == trigger for n in got)
        return got

    [created] = reasons("entityCreated", 1)
    assert created["body"]["data"][0]["id"] == entity_id
    assert len(reasons("entityUpdated", 3)) == 3          # 2, 3, 4
    [deleted] = reasons("entityDeleted", 1)
    assert deleted["body"]["data"][0]["id"] == entity_id
    assert deleted["body"]["data"][0]["type"] == "Streetlight"
    assert "powerState" not in deleted["body"]["data"][0]
    assert len(reasons("attributeCreated", 2)) == 2       # 1, 3
    [updated] = reasons("attributeUpdated", 1)            # 2
    assert updated["body"]["data"][0]["luminosity"]["value"] == 50
    [attr_deleted] = reasons("attributeDeleted", 1)       # 4
    assert "colour" not in attr_deleted["body"]["data"][0]
    time.sleep(0.5)  # nothing more arrives than what each trigger allows
    assert len(receiver.received(paths["entityCreated"])) == 1
    assert len(receiver.received(paths["attributeUpdated"])) == 1
    assert len(receiver.received(paths["entityUpdated"])) == 3


def test_batch_and_replace_notify(server, receiver):
    tenant = {"NGSILD-Tenant": unique("batch")}
    headers = {**JSON, **tenant}
    subscribe(server, subscription(receiver), headers=headers)
    ids = ["urn:ngsi-ld:Streetlight:" + unique("b") for _ in range(3)]
    response = requests.post(f"{server.url}{V1}/entityOperations/upsert",
                             data=json.dumps([light(i) for i in ids]), headers=headers)
    assert response.status_code in (201, 204), response.text
    got = receiver.wait_for(3)
    assert sorted(n["body"]["data"][0]["id"] for n in got) == sorted(ids)
    response = requests.put(entity_url(server, ids[0]), data=json.dumps(light(ids[0], "off")),
                            headers=headers)
    assert response.status_code == 204, response.text
    last = receiver.wait_for(4)[3]["body"]
    assert last["data"][0]["id"] == ids[0]
    assert last["data"][0]["powerState"]["value"] == "off"


def test_q_and_watched_attributes_filter(server, receiver):
    tenant = {"NGSILD-Tenant": unique("filter")}
    headers = {**JSON, **tenant}
    subscribe(server, subscription(receiver, q="luminosity>100",
                                   watchedAttributes=["luminosity"]), headers=headers)
    entity_id = "urn:ngsi-ld:Streetlight:" + unique("f")
    create(server, light(entity_id, level=10), headers=headers)  # q false
    patch_attrs(server, entity_id, {"powerState": {"type": "Property", "value": "off"}},
                headers=headers)  # not watched
    patch_attrs(server, entity_id, {"luminosity": {"type": "Property", "value": 200}},
                headers=headers)  # watched and q true
    [got] = receiver.wait_for(1)
    assert got["body"]["data"][0]["luminosity"]["value"] == 200
    time.sleep(0.3)
    assert len(receiver.received()) == 1


@pytest.mark.parametrize("fmt,expected", [
    ("keyValues", {"powerState": "on", "luminosity": 10, "refGroup": "urn:ngsi-ld:Group:g1"}),
    ("concise", {"powerState": "on", "luminosity": 10,
                 "refGroup": {"object": "urn:ngsi-ld:Group:g1"}}),
    ("normalized", {"powerState": {"type": "Property", "value": "on"},
                    "luminosity": {"type": "Property", "value": 10},
                    "refGroup": {"type": "Relationship", "object": "urn:ngsi-ld:Group:g1"}}),
])
def test_formats(server, receiver, fmt, expected):
    tenant = {"NGSILD-Tenant": unique("fmt")}
    subscribe(server, subscription(receiver, notification={"format": fmt}),
              headers={**JSON, **tenant})
    entity_id = "urn:ngsi-ld:Streetlight:" + unique("fmt")
    create(server, light(entity_id), headers={**JSON, **tenant})
    [got] = receiver.wait_for(1)
    assert got["body"]["data"] == [{"id": entity_id, "type": "Streetlight", **expected}]


def test_attributes_and_json_ld_accept(server, receiver):
    tenant = {"NGSILD-Tenant": unique("ld")}
    subscribe(server, subscription(receiver, notification={
        "attributes": ["luminosity"], "format": "keyValues",
        "endpoint": {"accept": "application/ld+json",
                     "receiverInfo": [{"key": "X-City", "value": "Madrid"}]}}),
        headers={**JSON, **tenant})
    entity_id = "urn:ngsi-ld:Streetlight:" + unique("ld")
    create(server, light(entity_id), headers={**JSON, **tenant})
    [got] = receiver.wait_for(1)
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert headers["content-type"] == "application/ld+json"
    assert "link" not in headers
    assert headers["x-city"] == "Madrid"
    assert got["body"]["@context"] == CORE_CONTEXT_URL
    assert got["body"]["data"] == [{"id": entity_id, "type": "Streetlight", "luminosity": 10}]


def test_sys_attrs_and_geo_q(server, receiver):
    tenant = {"NGSILD-Tenant": unique("geo")}
    headers = {**JSON, **tenant}
    subscribe(server, subscription(receiver, notification={"sysAttrs": True}, geoQ={
        "georel": "near;maxDistance==1000", "geometry": "Point",
        "coordinates": [-3.7038, 40.4168]}), headers=headers)
    near, far = ("urn:ngsi-ld:Streetlight:" + unique("g") for _ in range(2))
    for entity_id, point in ((far, [2.1734, 41.3851]), (near, [-3.7040, 40.4170])):
        entity = light(entity_id)
        entity["location"] = {"type": "GeoProperty",
                              "value": {"type": "Point", "coordinates": point}}
        create(server, entity, headers=headers)
    [got] = receiver.wait_for(1)
    data = got["body"]["data"][0]
    assert data["id"] == near
    assert "createdAt" in data and "modifiedAt" in data
    assert "createdAt" in data["luminosity"]
    time.sleep(0.3)
    assert len(receiver.received()) == 1


def test_jsonld_context_member_compacts_notifications(server, receiver):
    contexts = ContextHttpServer()
    try:
        tenant = {"NGSILD-Tenant": unique("jsonldctx")}
        url = contexts.url("dataModel.Environment-context.jsonld")
        subscribe(server, subscription(receiver, entities=[{"type": ENV + "AirQualityObserved"}],
                                       jsonldContext=url), headers={**JSON, **tenant})
        entity = {"id": "urn:ngsi-ld:AirQualityObserved:" + unique("a"),
                  "type": ENV + "AirQualityObserved",
                  ENV + "temperature": {"type": "Property", "value": 12.5}}
        create(server, entity, headers={**JSON, **tenant})
        [got] = receiver.wait_for(1)
        data = got["body"]["data"][0]
        assert data["type"] == "AirQualityObserved"
        assert data["temperature"]["value"] == 12.5
        assert {k.lower(): v for k, v in got["headers"].items()}["link"] == link_header(url)
    finally:
        contexts.stop()


def test_show_changes_gives_previous_values(server, receiver):
    tenant = {"NGSILD-Tenant": unique("changes")}
    headers = {**JSON, **tenant}
    subscribe(server, subscription(receiver, notification={"showChanges": True}),
              headers=headers)
    entity_id = "urn:ngsi-ld:Streetlight:" + unique("c")
    create(server, light(entity_id), headers=headers)
    patch_attrs(server, entity_id, {"luminosity": {"type": "Property", "value": 99},
                                    "refGroup": {"type": "Relationship",
                                                 "object": "urn:ngsi-ld:Group:g2"}},
                headers=headers)
    first, second = receiver.wait_for(2)
    assert "previousValue" not in first["body"]["data"][0]["luminosity"]  # a creation
    data = second["body"]["data"][0]
    assert data["luminosity"] == {"type": "Property", "value": 99, "previousValue": 10}
    assert data["refGroup"]["previousObject"] == "urn:ngsi-ld:Group:g1"
    assert data["refGroup"]["object"] == "urn:ngsi-ld:Group:g2"


def test_throttling_limits_notifications(server, receiver):
    tenant = {"NGSILD-Tenant": unique("throttle")}
    headers = {**JSON, **tenant}
    subscribe(server, subscription(receiver, throttling=2), headers=headers)
    entity_id = "urn:ngsi-ld:Streetlight:" + unique("th")
    create(server, light(entity_id), headers=headers)
    for level in range(5):
        patch_attrs(server, entity_id, {"luminosity": {"type": "Property", "value": level}},
                    headers=headers)
    receiver.wait_for(1)
    time.sleep(0.5)
    assert len(receiver.received()) == 1
    time.sleep(2)
    patch_attrs(server, entity_id, {"luminosity": {"type": "Property", "value": 77}},
                headers=headers)
    assert receiver.wait_for(2)[1]["body"]["data"][0]["luminosity"]["value"] == 77


def test_a_subscription_that_falls_behind_gets_its_waiting_changes_joined(tmp_path):
    config = tmp_path / "citytwin.toml"
    config.write_text("[notify]\nmax_entities_per_notification = 3\n")
    instance = CityTwinServer(extra_args=["--config", str(config)]).start()
    gate = threading.Event()
    slow = Receiver(hold=gate)
    try:
        ids = ["urn:ngsi-ld:Streetlight:" + unique("join") for _ in range(7)]
        for entity_id in ids:
            create(instance, light(entity_id))
        subscribe(instance, subscription(slow, watchedAttributes=["luminosity"]))
        # The first change's notification is sent and held by the receiver; what follows
        # waits behind it.
        patch_attrs(instance, ids[0], {"luminosity": {"type": "Property", "value": 1}})
        assert eventually(lambda: slow.arrived == 1)
        for entity_id, level in [(ids[1], 2), (ids[2], 3), (ids[1], 4), (ids[3], 5),
                                 (ids[4], 6), (ids[5], 7), (ids[6], 8)]:
            patch_attrs(instance, entity_id, {"luminosity": {"type": "Property", "value": level}})
        time.sleep(0.5)  # dispatched and queued (the writes were acknowledged)
        gate.set()
        got = slow.wait_for(4)
        time.sleep(0.3)
        assert len(slow.received()) == 4
        data = [[(e["id"], e["luminosity"]["value"]) for e in n["body"]["data"]] for n in got]
        # In the order of the changes, at most 3 entities each, never one entity twice in one.
        assert data == [[(ids[0], 1)],
                        [(ids[1], 2), (ids[2], 3)],
                        [(ids[1], 4), (ids[3], 5), (ids[4], 6)],
                        [(ids[5], 7), (ids[6], 8)]]
        for notification in got:
            assert notification["body"]["type"] == "Notification"
            assert notification["body"]["triggerReason"] == "attributeUpdated"
    finally:
        gate.set()
        slow.stop()
        instance.cleanup()


def test_expired_subscription_stops_notifying(server, receiver):
    tenant = {"NGSILD-Tenant": unique("expiry")}
    headers = {**JSON, **tenant}
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 4))
    sub_id = subscribe(server, subscription(receiver, expiresAt=expires), headers=headers)
    entity_id = "urn:ngsi-ld:Streetlight:" + unique("e")
    create(server, light(entity_id), headers=headers)
    receiver.wait_for(1)
    assert get_sub(server, sub_id, headers=tenant)["status"] == "active"
    assert eventually(lambda: get_sub(server, sub_id, headers=tenant)["status"] == "expired",
                      timeout=8)
    patch_attrs(server, entity_id, {"luminosity": {"type": "Property", "value": 1}},
                headers=headers)
    time.sleep(0.5)
    assert len(receiver.received()) == 1


def test_paused_subscription_is_silent_until_resumed(server, receiver):
    tenant = {"NGSILD-Tenant": unique("pause")}
    headers = {**JSON, **tenant}
    sub_id = subscribe(server, subscription(receiver, isActive=False), headers=headers)
    assert get_sub(server, sub_id, headers=tenant)["status"] == "paused"
    entity_id = "urn:ngsi-ld:Streetlight:" + unique("p")
    create(server, light(entity_id), headers=headers)
    time.sleep(0.5)
    assert receiver.received() == []
    response = requests.patch(sub_url(server, sub_id), data=json.dumps({"isActive": True}),
                              headers=headers)
    assert response.status_code == 204
    assert get_sub(server, sub_id, headers=tenant)["status"] == "active"
    patch_attrs(server, entity_id, {"luminosity": {"type": "Property", "value": 3}},
                headers=headers)
    [got] = receiver.wait_for(1)
    assert got["body"]["data"][0]["luminosity"]["value"] == 3


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_receiver_down_then_up_retries_reports_failed_and_recovers(server):
    tenant = {"NGSILD-Tenant": unique("down")}
    headers = {**JSON, **tenant}
    port = free_port()
    uri = f"http://127.0.0.1:{port}/notify"
    sub_id = subscribe(server, {"type": "Subscription", "entities": [{"type": "Streetlight"}],
                                "notification": {"endpoint": {"uri": uri}}}, headers=headers)
    entity_id = "urn:ngsi-ld:Streetlight:" + unique("d")
    create(server, light(entity_id), headers=headers)   # nobody listens on the port
    failed = eventually(lambda: (s := get_sub(server, sub_id, headers=tenant))["notification"]
                        ["timesFailed"] >= 2 and s)
    assert failed, get_sub(server, sub_id, headers=tenant)
    assert failed["status"] == "failed"
    assert "lastFailure" in failed["notification"]
    assert "lastSuccess" not in failed["notification"]

    receiver = Receiver(port=port)
    try:
        [got] = receiver.wait_for(1)                       # the retried notification
        assert got["body"]["data"][0]["id"] == entity_id
        recovered = eventually(lambda: (s := get_sub(server, sub_id, headers=tenant))["status"]
                               == "active" and s)
        assert recovered, get_sub(server, sub_id, headers=tenant)
        assert "lastSuccess" in recovered["notification"]
        sent = recovered["notification"]["timesSent"]
        assert sent == recovered["notification"]["timesFailed"] + 1
    finally:
        receiver.stop()


class BadReceiver:
    """Accepts connections on 127.0.0.1 and either never answers or answers garbage."""

    def __init__(self, mode):
        self.mode = mode
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.connections = []
        self.running = True
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)
            if self.mode == "garbage":
                try:
                    connection.recv(65536)
                    connection.sendall(b"\x00\xffthis is not HTTP\r\n\r\n")
                    connection.close()
                except OSError:
                    pass

    def stop(self):
        self.running = False
        self.socket.close()
        for connection in self.connections:
            connection.close()


def test_hanging_and_garbage_receivers_do_not_stall_others(server, receiver):
    tenant = {"NGSILD-Tenant": unique("stall")}
    headers = {**JSON, **tenant}
    bad = [BadReceiver("hang") for _ in range(6)] + [BadReceiver("garbage") for _ in range(2)]
    try:
        bad_ids = [subscribe(server, {"type": "Subscription", "entities": [{"type": "Streetlight"}],
                                      "notification": {"endpoint": {
                                          "uri": f"http://127.0.0.1:{b.port}/n"}}},
                             headers=headers) for b in bad]
        subscribe(server, subscription(receiver), headers=headers)
        started = time.monotonic()
        for i in range(5):
            create(server, light("urn:ngsi-ld:Streetlight:" + unique("s")), headers=headers)
        receiver.wait_for(5, timeout=10)
        assert time.monotonic() - started < 8
        garbage = eventually(lambda: (s := get_sub(server, bad_ids[-1], headers=tenant))
                             ["status"] == "failed" and s)
        assert garbage, get_sub(server, bad_ids[-1], headers=tenant)
    finally:
        for b in bad:
            b.stop()


def test_redirecting_receiver_is_a_failed_delivery(server):
    """A 3xx is not followed, so a receiver that redirects forever cannot hold a thread."""
    tenant = {"NGSILD-Tenant": unique("redirect")}
    receiver = Receiver(status=307)
    try:
        sub_id = subscribe(server, subscription(receiver), headers={**JSON, **tenant})
        create(server, light("urn:ngsi-ld:Streetlight:" + unique("r")), headers={**JSON, **tenant})
        failed = eventually(lambda: (s := get_sub(server, sub_id, headers=tenant))["status"]
                            == "failed" and s)
        assert failed, get_sub(server, sub_id, headers=tenant)
        assert len(receiver.received()) >= 1
    finally:
        receiver.stop()


def test_writes_do_not_wait_for_receivers():
    """A receiver that never answers, with a notification timeout longer than the test: every
    write is acknowledged while the notification it caused is still in flight (neither a
    success nor a failure recorded), so no write waited for delivery. Had one waited, its
    request would hang for the 10 minutes of the timeout and fail on the client's own
    timeout (a safety net, not a measure of speed)."""
    instance = CityTwinServer(extra_args=["--notify-timeout-ms", "600000"]).start()
    hang = BadReceiver("hang")
    try:
        headers = {**JSON, "NGSILD-Tenant": "async"}
        sub_id = subscribe(instance, {
            "type": "Subscription", "entities": [{"type": "Streetlight"}],
            "notification": {"endpoint": {"uri": f"http://127.0.0.1:{hang.port}/"}}},
            headers=headers)
        for n in range(20):
            response = requests.post(f"{instance.url}{V1}/entities", headers=headers,
                                     data=json.dumps(light(f"urn:ngsi-ld:Streetlight:async-{n}")),
                                     timeout=120)
            assert response.status_code == 201, response.text
        assert eventually(lambda: hang.connections), "the receiver was never contacted"
        notification = get_sub(instance, sub_id, headers={"NGSILD-Tenant": "async"})["notification"]
        assert "lastFailure" not in notification and "lastSuccess" not in notification
    finally:
        hang.stop()
        instance.cleanup()


def test_subscriptions_survive_restart(receiver):
    instance = CityTwinServer(extra_args=FAST_RETRIES).start()
    try:
        tenant = {"NGSILD-Tenant": "restart"}
        headers = {**JSON, **tenant}
        sub_id = subscribe(server=instance, body=subscription(receiver, watchedAttributes=[
            "luminosity"]), headers=headers)
        entity_id = "urn:ngsi-ld:Streetlight:restart-1"
        create(instance, light(entity_id), headers=headers)
        receiver.wait_for(1)
        before = eventually(lambda: (s := get_sub(instance, sub_id, headers=tenant))
                            ["notification"]["timesSent"] == 1 and s)
        assert before
        assert instance.stop() == 0
        instance.start()
        after = get_sub(instance, sub_id, headers=tenant)
        assert after["watchedAttributes"] == ["luminosity"]
        assert after["notification"]["timesSent"] == 1
        patch_attrs(instance, entity_id, {"luminosity": {"type": "Property", "value": 5}},
                    headers=headers)
        got = receiver.wait_for(2)
        assert got[1]["body"]["subscriptionId"] == sub_id
        assert got[1]["body"]["data"][0]["luminosity"]["value"] == 5
        # A deleted subscription stays deleted after a restart.
        assert requests.delete(sub_url(instance, sub_id), headers=tenant).status_code == 204
        assert instance.stop() == 0
        instance.start()
        assert_problem(requests.get(sub_url(instance, sub_id), headers=tenant), 404)
    finally:
        instance.cleanup()


@pytest.fixture(scope="module")
def certificate():
    """A self-signed certificate for 127.0.0.1 (subjectAltName IP), made with the openssl CLI."""
    directory = tempfile.mkdtemp(prefix="citytwin-tls-")
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    yield cert, key
    shutil.rmtree(directory, ignore_errors=True)


def test_https_receiver_with_a_trusted_certificate(certificate):
    receiver = Receiver(tls=certificate)
    instance = CityTwinServer(extra_args=FAST_RETRIES + ["--notify-ca-file", certificate[0]])
    try:
        instance.start()
        sub_id = subscribe(instance, subscription(receiver))
        assert receiver.url().startswith("https://")
        create(instance, light("urn:ngsi-ld:Streetlight:tls-1"))
        [got] = receiver.wait_for(1)
        assert got["body"]["subscriptionId"] == sub_id
        assert got["body"]["data"][0]["id"] == "urn:ngsi-ld:Streetlight:tls-1"
    finally:
        instance.cleanup()
        receiver.stop()


def test_https_receiver_with_an_untrusted_certificate_fails(server, certificate):
    """Certificate verification is on by default: the module server does not trust it."""
    receiver = Receiver(tls=certificate)
    try:
        tenant = {"NGSILD-Tenant": unique("untrusted")}
        sub_id = subscribe(server, subscription(receiver), headers={**JSON, **tenant})
        create(server, light("urn:ngsi-ld:Streetlight:" + unique("u")), headers={**JSON, **tenant})
        failed = eventually(lambda: (s := get_sub(server, sub_id, headers=tenant))["status"]
                            == "failed" and s)
        assert failed, get_sub(server, sub_id, headers=tenant)
        assert receiver.received() == []
    finally:
        receiver.stop()


def test_notifications_pending_at_a_clean_shutdown_are_sent_after_restart():
    port = free_port()
    instance = CityTwinServer(extra_args=FAST_RETRIES).start()
    receiver = None
    try:
        sub_id = subscribe(instance, {"type": "Subscription",
                                      "entities": [{"type": "Streetlight"}],
                                      "notification": {"endpoint": {
                                          "uri": f"http://127.0.0.1:{port}/notify"}}})
        create(instance, light("urn:ngsi-ld:Streetlight:pending-1"))   # receiver is down
        assert eventually(lambda: get_sub(instance, sub_id)["notification"]["timesFailed"] >= 1)
        assert instance.stop() == 0                                     # SIGTERM: clean
        receiver = Receiver(port=port)
        instance.start()
        [got] = receiver.wait_for(1)
        assert got["body"]["subscriptionId"] == sub_id
        assert got["body"]["data"][0]["id"] == "urn:ngsi-ld:Streetlight:pending-1"
    finally:
        instance.cleanup()
        if receiver is not None:
            receiver.stop()


def test_notifications_due_at_a_crash_are_sent_after_restart():
    port = free_port()
    instance = CityTwinServer(extra_args=FAST_RETRIES).start()
    receiver = None
    try:
        sub_id = subscribe(instance, {"type": "Subscription",
                                      "entities": [{"type": "Streetlight"}],
                                      "notification": {"endpoint": {
                                          "uri": f"http://127.0.0.1:{port}/notify"}}})
        create(instance, light("urn:ngsi-ld:Streetlight:crash-1"))     # receiver is down
        # A batch mixing an entity the subscription watches with one it cannot match: only the
        # first is recorded for the restart (docs/subscriptions.md), and it is still notified.
        bench = {"id": "urn:ngsi-ld:Bench:crash-b", "type": "Bench",
                 "seats": {"type": "Property", "value": 4}}
        response = requests.post(f"{instance.url}{V1}/entityOperations/upsert", headers=JSON,
                                 data=json.dumps([bench, light("urn:ngsi-ld:Streetlight:crash-2")]))
        assert response.status_code in (201, 204), response.text
        assert eventually(lambda: get_sub(instance, sub_id)["notification"]["timesFailed"] >= 1)
        instance.kill()                                                  # kill -9
        receiver = Receiver(port=port)
        instance.start()
        got = receiver.wait_for(2)
        assert [n["body"]["subscriptionId"] for n in got] == [sub_id, sub_id]
        assert [n["body"]["data"][0]["id"] for n in got] == [
            "urn:ngsi-ld:Streetlight:crash-1", "urn:ngsi-ld:Streetlight:crash-2"]
        # Delivered once: a further restart sends nothing again.
        time.sleep(0.5)
        assert instance.stop() == 0
        instance.start()
        time.sleep(1)
        assert len(receiver.received()) == 2
    finally:
        instance.cleanup()
        if receiver is not None:
            receiver.stop()


def thread_nices(pid):
    """Nice value of each thread of process `pid`, by thread name (the highest if several)."""
    nices = {}
    for name, fields in proc_threads.threads(pid):
        nice = int(fields[proc_threads.NICE])
        nices[name] = max(nice, nices.get(name, nice))
    return nices


def test_notification_threads_yield_to_writes(server, receiver):
    """notify.nice (default 10): the dispatcher, the notifier and the periodic ticker run at a
    lower priority than the threads that take writes, and still deliver."""
    nices = thread_nices(server.process.pid)
    base = proc_threads.process_nice(server.process.pid)  # the main thread: HTTP and startup
    for name in ("ct-dispatch", "ct-notify", "ct-sub-timer"):
        assert nices[name] == max(base, 10), (name, nices)
    assert nices["ct-commit"] == base
    entity_id = unique("urn:ngsi-ld:Streetlight:nice")
    subscribe(server, subscription(receiver, entities=[{"id": entity_id, "type": "Streetlight"}]))
    create(server, light(entity_id))
    assert receiver.wait_for(1)[0]["body"]["data"][0]["id"] == entity_id
    # The dispatcher's backlog and the writes that waited for it (notify.dispatch_backlog).
    metrics = requests.get(f"{server.url}/metrics").text
    for name in ("citytwin_notify_dispatch_backlog", "citytwin_notify_dispatch_writer_waits",
                 "citytwin_notify_dispatch_writer_wait_seconds"):
        assert f"\n{name} " in metrics, name


def test_notify_nice_zero_keeps_the_server_priority(receiver):
    instance = CityTwinServer(extra_args=["--notify-nice", "0"]).start()
    try:
        nices = thread_nices(instance.process.pid)
        base = proc_threads.process_nice(instance.process.pid)
        assert nices["ct-dispatch"] == base and nices["ct-notify"] == base, nices
    finally:
        instance.cleanup()


def test_a_small_dispatch_backlog_slows_writes_and_loses_nothing(tmp_path, receiver):
    """notify.dispatch_backlog = 1: nearly every write waits for the dispatcher before it is
    acknowledged; concurrent batch writes still all succeed and every change is notified."""
    config = tmp_path / "citytwin.toml"
    config.write_text("[notify]\ndispatch_backlog = 1\n")
    instance = CityTwinServer(extra_args=["--config", str(config)]).start()
    try:
        subscribe(instance, subscription(receiver))
        ids = [f"urn:ngsi-ld:Streetlight:backlog-{n}" for n in range(40)]
        failures = []

        def write(part):
            session = requests.Session()
            for round_ in range(5):
                body = [light(i, level=round_) for i in ids[part::2]]
                response = session.post(f"{instance.url}{V1}/entityOperations/upsert",
                                        data=json.dumps(body), headers=JSON)
                if response.status_code not in (201, 204):
                    failures.append(response.text)

        writers = [threading.Thread(target=write, args=(part,)) for part in (0, 1)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(60)
        assert not failures
        got = receiver.wait_for(200, timeout=30)
        assert len(got) == 200
        # Per entity, the last notification carries the last write.
        last = {}
        for notification in got:
            entity = notification["body"]["data"][0]
            last[entity["id"]] = entity
        assert sorted(last) == sorted(ids)
        assert all(entity["luminosity"]["value"] == 4 for entity in last.values()), last
        metrics = requests.get(f"{instance.url}/metrics").text
        assert "\ncitytwin_notify_dispatch_backlog 0" in metrics
    finally:
        instance.cleanup()
