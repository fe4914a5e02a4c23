"""Persistent MQTT sessions survive kill -9 (issue #4 "persistent sessions for command
delivery"; docs/mqtt.md "Sessions"): what the broker acknowledged is durable before the
acknowledgement. A session's existence and subscriptions once CONNACK/SUBACK arrived, a QoS 1
message queued for an offline persistent session once the publisher got its PUBACK, and a
device command once the PATCH was answered, are all there after SIGKILL and a restart.
Raw MQTT 3.1.1 clients (tests/support/mqtt_raw.py) so the test knows exactly what was
acknowledged; 127.0.0.1 only."""
import json
import os
import random
import sys
import threading
import time

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from crash_cycle import kill_and_restart  # noqa: E402
from mqtt_raw import RawClient  # noqa: E402
from ngsild import V1, quote  # noqa: E402

WAIT = 20
# Large enough that no acknowledged message is dropped for a full queue while the random
# load runs (the bound itself is documented and tested elsewhere).
QUEUE_LIMIT = ["--mqtt-session-queue-limit", "1000000"]


@pytest.fixture
def server():
    instance = CityTwinServer(extra_args=QUEUE_LIMIT).start()
    yield instance
    instance.cleanup()


def receive_all(client, wanted, within=WAIT):
    """Receives until every payload in `wanted` arrived (or `within` seconds passed);
    returns the payloads received."""
    got = set()
    deadline = time.monotonic() + within
    while not wanted <= got and time.monotonic() < deadline:
        message = client.receive(timeout=0.5)
        if message is not None:
            got.add(message[1])
    return got


def leave_subscribed(server, client_id, topic_filter):
    """A new persistent session subscribed to `topic_filter` (SUBACK received), offline."""
    device = RawClient(server.mqtt_port, client_id, clean=False)
    assert not device.session_present
    device.subscribe_qos1(topic_filter)
    device.close()


def kill_and_resume(server, client_id):
    """SIGKILL, restart, and the client back on its persistent session (Session Present)."""
    server.kill()
    server.start()
    device = RawClient(server.mqtt_port, client_id, clean=False)
    assert device.session_present
    return device


def test_subscription_survives_kill(server):
    leave_subscribed(server, "keeper", "city/lights/#")
    device = kill_and_resume(server, "keeper")
    publisher = RawClient(server.mqtt_port, "publisher")
    publisher.publish_qos1("city/lights/7", "on")
    assert device.receive(timeout=WAIT) == ("city/lights/7", "on")
    device.close()
    publisher.close()


def test_acknowledged_message_for_an_offline_session_survives_kill(server):
    leave_subscribed(server, "offline", "alerts/#")
    publisher = RawClient(server.mqtt_port, "publisher")
    publisher.publish_qos1("alerts/flood", "level 3")  # PUBACK: durably queued
    device = kill_and_resume(server, "offline")
    assert device.receive(timeout=WAIT) == ("alerts/flood", "level 3")
    device.close()


def test_command_for_an_offline_device_survives_kill(server):
    response = requests.post(server.url + "/iot/devices", json={"devices": [
        {"device_id": "gate1", "apikey": "ck", "transport": "MQTT",
         "entity_name": "urn:ngsi-ld:Gate:gate1",
         "commands": [{"name": "open", "type": "command"}]}]})
    assert response.status_code == 201, response.text
    leave_subscribed(server, "gate1-device", "/ck/gate1/cmd")
    response = requests.patch(
        f"{server.url}{V1}/entities/{quote('urn:ngsi-ld:Gate:gate1')}/attrs/open",
        json={"value": 30})
    assert response.status_code == 204, response.text
    # Back on its persistent session, without subscribing again.
    device = kill_and_resume(server, "gate1-device")
    topic, payload = device.receive(timeout=WAIT)
    assert topic == "/ck/gate1/cmd"
    assert json.loads(payload) == {"open": 30}
    device.close()


class LoadThread(threading.Thread):
    """Runs work() until stopped or until the server is killed under it."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = False

    def run(self):
        try:
            self.work()
        except OSError:  # the server was killed (ConnectionError is an OSError)
            pass


class Publisher(LoadThread):
    """Publishes QoS 1 messages; records those the broker acknowledged."""

    def __init__(self, port, cycle, acknowledged):
        super().__init__(port)
        self.cycle, self.acknowledged = cycle, acknowledged

    def work(self):
        client = RawClient(self.port, f"pub-{self.cycle}")
        n = 0
        while not self.stop:
            payload = f"c{self.cycle}-{n}"
            client.publish_qos1(f"load/{n % 7}", payload)
            self.acknowledged.add(payload)
            n += 1


class Consumer(LoadThread):
    """The persistent session "sink" online during the load: records every delivery."""

    def __init__(self, port, received):
        super().__init__(port)
        self.received = received

    def work(self):
        client = RawClient(self.port, "sink", clean=False)
        while not self.stop:
            message = client.receive(timeout=0.2)
            if message is not None:
                self.received.add(message[1])


class Subscriber(LoadThread):
    """Creates persistent sessions with a subscription each; records those SUBACKed."""

    def __init__(self, port, cycle, subscribed):
        super().__init__(port)
        self.cycle, self.subscribed = cycle, subscribed

    def work(self):
        n = 0
        while not self.stop:
            client_id = f"s{self.cycle}-{n}"
            client = RawClient(self.port, client_id, clean=False)
            client.subscribe_qos1(f"sessions/{client_id}")
            self.subscribed.append(client_id)
            client.close()
            n += 1


def test_random_kills_lose_nothing_acknowledged(server):
    rng = random.Random(int(os.environ.get("CITYTWIN_CRASH_SEED", "79")))
    sink = RawClient(server.mqtt_port, "sink", clean=False)
    sink.subscribe_qos1("load/#")
    sink.close()
    acknowledged, received = set(), set()
    for cycle in range(8):
        subscribed = []
        threads = [Publisher(server.mqtt_port, cycle, acknowledged),
                   Consumer(server.mqtt_port, received),
                   Subscriber(server.mqtt_port, cycle, subscribed)]
        kill_and_restart(server, threads, rng, 0.05, 0.6,
                         ready=lambda: bool(acknowledged) and bool(subscribed))
        for client_id in subscribed:
            client = RawClient(server.mqtt_port, client_id, clean=False)
            assert client.session_present, f"session {client_id} lost in cycle {cycle}"
            client.close()
        sink = RawClient(server.mqtt_port, "sink", clean=False)
        assert sink.session_present
        received |= receive_all(sink, acknowledged - received)
        sink.close()
        missing = acknowledged - received
        assert not missing, f"cycle {cycle}: {len(missing)} acknowledged, never delivered"
    assert len(acknowledged) > 8  # the cycles did acknowledge something
    print(f"{len(acknowledged)} messages acknowledged over 8 kills, all delivered")
