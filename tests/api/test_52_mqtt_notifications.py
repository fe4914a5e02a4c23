"""Notifications to mqtt:// and mqtts:// endpoints (GS CIM 009 V1.8.1 clause 7.2): published on
a real, separate Mosquitto broker started by the test on 127.0.0.1 (not CityTwin's built-in
broker), received by a Paho subscriber. Covers the message layout ("metadata" + "body"),
MQTT-QoS and MQTT-Version from notifierInfo, credentials in the URI, TLS with certificate
verification, a broker that is down then up (retries, status, recovery), and the 400s for
malformed endpoints."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as paho
import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ngsild import CORE_CONTEXT_URL, JSON, V1, assert_problem, create, quote  # noqa: E402

SUBS = f"{V1}/subscriptions"
HOST = "127.0.0.1"
# Fast retries so that a broker coming back is noticed quickly; a generous timeout so that a
# loaded machine does not turn a slow CONNACK into a failure.
FAST_RETRIES = ["--notify-retry-initial-ms", "100", "--notify-retry-max-ms", "300",
                "--notify-max-attempts", "1000", "--notify-timeout-ms", "5000"]
_counter = [0]


def unique(prefix):
    _counter[0] += 1
    return f"{prefix}{_counter[0]}-{time.monotonic_ns()}"


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Mosquitto:
    """A Mosquitto broker on 127.0.0.1, optionally with a password file or TLS."""

    def __init__(self, port=None, users=None, tls=None):
        self.port = port or free_port()
        self.directory = tempfile.mkdtemp(prefix="citytwin-mosquitto-")
        # Started as root, mosquitto drops to its own user before reading its files.
        os.chmod(self.directory, 0o755)
        lines = [f"listener {self.port} {HOST}", "persistence false", "log_dest stderr"]
        if users:
            password_file = os.path.join(self.directory, "passwords")
            for user, password in users.items():
                subprocess.run(["mosquitto_passwd", "-b"] + (["-c"] if not os.path.exists(
                    password_file) else []) + [password_file, user, password], check=True,
                    capture_output=True)
            os.chmod(password_file, 0o644)
            lines += ["allow_anonymous false", f"password_file {password_file}"]
        else:
            lines.append("allow_anonymous true")
        if tls:
            lines += [f"certfile {tls[0]}", f"keyfile {tls[1]}"]
        self.config = os.path.join(self.directory, "mosquitto.conf")
        with open(self.config, "w") as out:
            out.write("\n".join(lines) + "\n")
        self.process = None

    def start(self):
        log = os.path.join(self.directory, "mosquitto.log")
        self.process = subprocess.Popen(["mosquitto", "-c", self.config],
                                        stdout=subprocess.DEVNULL, stderr=open(log, "ab"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(open(log).read())
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def uri(self, topic, scheme="mqtt", userinfo=""):
        return f"{scheme}://{userinfo}{HOST}:{self.port}/{topic}"


class Subscriber:
    """A Paho client subscribed to one topic, recording every message it gets."""

    def __init__(self, broker, topic, username=None, password=None, ca_file=None):
        self.messages = []
        self.condition = threading.Condition()
        subscribed = threading.Event()
        self.client = paho.Client(client_id=unique("test-sub-"))
        if username:
            self.client.username_pw_set(username, password)
        if ca_file:
            self.client.tls_set(ca_certs=ca_file)
        self.client.on_connect = lambda client, *_: client.subscribe(topic, qos=2)
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(HOST, broker.port)
        self.client.loop_start()
        assert subscribed.wait(10), "the test subscriber could not subscribe"

    def _on_message(self, client, userdata, message):
        with self.condition:
            self.messages.append({"topic": message.topic, "qos": message.qos,
                                  "payload": json.loads(message.payload)})
            self.condition.notify_all()

    def wait_for(self, count, timeout=15.0):
        deadline = time.monotonic() + timeout
        with self.condition:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"got {len(self.messages)} of {count} messages"
                self.condition.wait(left)
            return list(self.messages[:count])

    def wait_for_luminosity(self, value, timeout=40.0):
        """Whether a notification with this luminosity arrives within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                for message in self.messages:
                    data = message["payload"]["body"]["data"]
                    if data and data[0].get("luminosity", {}).get("value") == value:
                        return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.condition.wait(left)

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()


def light(entity_id, level=10):
    return {"id": entity_id, "type": "Streetlight",
            "luminosity": {"type": "Property", "value": level}}


def subscription(uri, notifier_info=None, receiver_info=None, **extra):
    endpoint = {"uri": uri}
    if notifier_info is not None:
        endpoint["notifierInfo"] = notifier_info
    if receiver_info is not None:
        endpoint["receiverInfo"] = receiver_info
    body = {"type": "Subscription", "entities": [{"type": "Streetlight"}],
            "notification": {"endpoint": endpoint}}
    body.update(extra)
    return body


def subscribe(server, body, expect=201):
    response = requests.post(f"{server.url}{SUBS}", data=json.dumps(body), headers=JSON)
    assert response.status_code == expect, response.text
    if expect != 201:
        return response
    return response.headers["Location"].rsplit("/", 1)[1]


def get_sub(server, sub_id):
    response = requests.get(f"{server.url}{SUBS}/{quote(sub_id)}")
    assert response.status_code == 200, response.text
    return response.json()


def eventually(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


@pytest.fixture(scope="module")
def broker():
    instance = Mosquitto().start()
    yield instance
    instance.cleanup()


@pytest.fixture(scope="module")
def server():
    instance = CityTwinServer(extra_args=FAST_RETRIES).start()
    yield instance
    instance.cleanup()


@pytest.mark.parametrize("qos,version", [("0", "mqtt5.0"), ("1", "mqtt3.1.1"), ("2", "mqtt5.0"),
                                         (None, None)])
def test_notification_is_published_with_metadata_and_body(server, broker, qos, version):
    topic = "city/" + unique("alerts")
    subscriber = Subscriber(broker, topic)
    try:
        info = []
        if qos is not None:
            info.append({"key": "MQTT-QoS", "value": qos})
        if version is not None:
            info.append({"key": "MQTT-Version", "value": version})
        sub_id = subscribe(server, subscription(
            broker.uri(topic), notifier_info=info,
            receiver_info=[{"key": "X-City", "value": "Zurich"}]))
        entity_id = "urn:ngsi-ld:Streetlight:" + unique("m")
        create(server, light(entity_id, level=42))
        [message] = subscriber.wait_for(1)
        assert message["topic"] == topic
        # The broker forwards with min(publish QoS, subscription QoS): what we published.
        assert message["qos"] == int(qos or 0)
        payload = message["payload"]
        assert set(payload) == {"metadata", "body"}
        metadata = payload["metadata"]
        assert metadata["Content-Type"] == "application/json"
        assert CORE_CONTEXT_URL in metadata["Link"]
        assert metadata["X-City"] == "Zurich"
        body = payload["body"]
        assert body["type"] == "Notification"
        assert body["subscriptionId"] == sub_id
        assert body["triggerReason"] == "attributeCreated"  # the default triggers
        assert body["data"][0]["id"] == entity_id
        assert body["data"][0]["luminosity"]["value"] == 42
        status = eventually(lambda: (s := get_sub(server, sub_id))["notification"].get(
            "lastSuccess") and s)
        assert status["status"] == "active"
        assert status["notification"]["timesSent"] >= 1
        assert status["notification"]["timesFailed"] == 0
        assert status["notification"]["endpoint"]["uri"] == broker.uri(topic)
    finally:
        subscriber.stop()


def test_ld_json_accept_carries_the_context_in_the_body(server, broker):
    topic = "city/" + unique("ld")
    subscriber = Subscriber(broker, topic)
    try:
        body = subscription(broker.uri(topic))
        body["notification"]["endpoint"]["accept"] = "application/ld+json"
        body["notification"]["format"] = "keyValues"
        subscribe(server, body)
        create(server, light("urn:ngsi-ld:Streetlight:" + unique("ld"), level=7))
        [message] = subscriber.wait_for(1)
        assert message["payload"]["metadata"]["Content-Type"] == "application/ld+json"
        assert "Link" not in message["payload"]["metadata"]
        assert message["payload"]["body"]["@context"]
        assert message["payload"]["body"]["data"][0]["luminosity"] == 7
    finally:
        subscriber.stop()


@pytest.mark.parametrize("uri,info", [
    ("ftp://127.0.0.1/topic", None),
    ("ws://127.0.0.1:9001/topic", None),
    ("mqtt://127.0.0.1:1883", None),
    ("mqtt://127.0.0.1:1883/", None),
    ("mqtt://:1883/topic", None),
    ("mqtt://127.0.0.1:70000/topic", None),
    ("mqtt://127.0.0.1:x/topic", None),
    ("mqtt://127.0.0.1/city/+/alerts", None),
    ("mqtt://127.0.0.1/city/%23", None),
    ("mqtts://127.0.0.1/topic?qos=1", None),
    ("mqtt://127.0.0.1/topic", [{"key": "MQTT-QoS", "value": "3"}]),
    ("mqtt://127.0.0.1/topic", [{"key": "MQTT-QoS", "value": 1}]),
    ("mqtt://127.0.0.1/topic", [{"key": "MQTT-Version", "value": "mqtt3.1"}]),
])
def test_malformed_endpoints_are_refused_and_nothing_is_stored(server, uri, info):
    before = requests.get(f"{server.url}{SUBS}?count=true").headers["NGSILD-Results-Count"]
    response = subscribe(server, subscription(uri, notifier_info=info), expect=400)
    assert_problem(response, 400)
    after = requests.get(f"{server.url}{SUBS}?count=true").headers["NGSILD-Results-Count"]
    assert before == after


def test_patch_to_a_malformed_mqtt_endpoint_is_refused(server, broker):
    sub_id = subscribe(server, subscription(broker.uri("city/" + unique("p"))))
    response = requests.patch(f"{server.url}{SUBS}/{quote(sub_id)}", headers=JSON, data=json.dumps(
        {"notification": {"endpoint": {"uri": "mqtt://127.0.0.1/a/#"}}}))
    assert_problem(response, 400)
    assert get_sub(server, sub_id)["notification"]["endpoint"]["uri"].startswith("mqtt://")


def update_luminosity(server, entity_id, value):
    response = requests.patch(f"{server.url}{V1}/entities/{quote(entity_id)}/attrs", headers=JSON,
                              data=json.dumps({"luminosity": {"type": "Property", "value": value}}))
    assert response.status_code == 204, response.text


def test_broker_down_then_up_retries_and_recovers(server):
    broker = Mosquitto()  # its port is chosen, nothing listens yet
    topic = "city/" + unique("outage")
    subscriber = None
    try:
        sub_id = subscribe(server, subscription(broker.uri(topic),
                                                notifier_info=[{"key": "MQTT-QoS", "value": "1"}]))
        entity_id = "urn:ngsi-ld:Streetlight:" + unique("down")
        create(server, light(entity_id, level=1))
        # The status and the counters are read from the delivery state as it is at the GET;
        # wait until both show the failed attempt.
        failed = eventually(lambda: (s := get_sub(server, sub_id))["status"] == "failed"
                            and s["notification"].get("timesFailed", 0) >= 1 and s)
        assert failed, get_sub(server, sub_id)
        assert failed["notification"]["status"] == "failed"
        assert "lastFailure" in failed["notification"]
        assert "lastSuccess" not in failed["notification"]
        assert HOST in failed["notification"]["lastFailureReason"]
        # The notification is retried with backoff until the broker is back. The test's
        # subscriber can only subscribe once the broker runs, so the retried notification may
        # pass through the broker just before it does (a message nobody subscribes to is not
        # kept): recovery is read from the subscription's status, then a later change must
        # reach the subscriber over the re-established connection.
        broker.start()
        subscriber = Subscriber(broker, topic)
        recovered = eventually(lambda: (s := get_sub(server, sub_id))["status"] == "active" and s)
        assert recovered, get_sub(server, sub_id)
        assert recovered["notification"]["status"] == "ok"
        assert "lastSuccess" in recovered["notification"]
        assert "lastFailureReason" not in recovered["notification"]
        update_luminosity(server, entity_id, 2)
        assert subscriber.wait_for_luminosity(2)
        # The broker goes away again: failure, then recovery once more.
        subscriber.stop()
        subscriber = None
        broker.stop()
        update_luminosity(server, entity_id, 3)
        assert eventually(lambda: get_sub(server, sub_id)["status"] == "failed")
        broker.start()
        subscriber = Subscriber(broker, topic)
        assert eventually(lambda: get_sub(server, sub_id)["status"] == "active")
        update_luminosity(server, entity_id, 4)
        assert subscriber.wait_for_luminosity(4)
    finally:
        if subscriber:
            subscriber.stop()
        broker.cleanup()


def test_credentials_in_the_uri(server):
    broker = Mosquitto(users={"citytwin": "s3cret", "reader": "r"}).start()
    topic = "city/" + unique("auth")
    subscriber = Subscriber(broker, topic, username="reader", password="r")
    try:
        wrong = subscribe(server, subscription(broker.uri(topic, userinfo="citytwin:nope@")))
        right = subscribe(server, subscription(broker.uri(topic, userinfo="citytwin:s3cret@")))
        create(server, light("urn:ngsi-ld:Streetlight:" + unique("auth")))
        [message] = subscriber.wait_for(1)
        assert message["payload"]["body"]["subscriptionId"] == right
        refused = eventually(lambda: (s := get_sub(server, wrong))["status"] == "failed" and s)
        assert refused, get_sub(server, wrong)
        assert "refused the connection" in refused["notification"]["lastFailureReason"]
        time.sleep(0.5)
        assert len(subscriber.messages) == 1
    finally:
        subscriber.stop()
        broker.cleanup()


@pytest.fixture(scope="module")
def certificate():
    """A self-signed certificate for 127.0.0.1 (subjectAltName IP), made with the openssl CLI."""
    directory = tempfile.mkdtemp(prefix="citytwin-mqtts-")
    os.chmod(directory, 0o755)
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o644)  # mosquitto may drop privileges before reading it
    yield cert, key
    shutil.rmtree(directory, ignore_errors=True)


def test_mqtts_with_a_trusted_certificate(certificate):
    broker = Mosquitto(tls=certificate).start()
    instance = CityTwinServer(extra_args=FAST_RETRIES + ["--notify-ca-file", certificate[0]])
    topic = "city/" + unique("tls")
    subscriber = Subscriber(broker, topic, ca_file=certificate[0])
    try:
        instance.start()
        sub_id = subscribe(instance, subscription(broker.uri(topic, scheme="mqtts")))
        create(instance, light("urn:ngsi-ld:Streetlight:" + unique("tls")))
        [message] = subscriber.wait_for(1)
        assert message["payload"]["body"]["subscriptionId"] == sub_id
    finally:
        subscriber.stop()
        instance.cleanup()
        broker.cleanup()


def test_mqtts_with_an_untrusted_certificate_fails(server, certificate):
    """Certificate verification is on: the module server does not trust the test CA."""
    broker = Mosquitto(tls=certificate).start()
    topic = "city/" + unique("untrusted")
    subscriber = Subscriber(broker, topic, ca_file=certificate[0])
    try:
        sub_id = subscribe(server, subscription(broker.uri(topic, scheme="mqtts")))
        create(server, light("urn:ngsi-ld:Streetlight:" + unique("untrusted")))
        failed = eventually(lambda: (s := get_sub(server, sub_id))["status"] == "failed" and s)
        assert failed, get_sub(server, sub_id)
        reason = failed["notification"]["lastFailureReason"]
        assert "TLS" in reason or "SSL" in reason or "certificate" in reason, reason
        time.sleep(0.5)
        assert subscriber.messages == []
    finally:
        subscriber.stop()
        broker.cleanup()
