"""Crash consistency across interfaces (issue #7; docs/reliability.md): HTTP entity writes and
batch upserts (the writers of test_20_crash), MQTT QoS 1 measurements on IoT Agent device
topics, and subscription creation run together while the server is killed with SIGKILL at a
random moment, over several cycles. After each restart:
  - every acknowledged write is present and intact: HTTP 2xx entities, patches and batches;
    every measurement whose PUBACK arrived (current value and history); every subscription
    answered 201, with the body it was created with;
  - the one write each client had in flight may be present or absent, never half-applied;
  - indexes agree with the data: type, attribute, `q` and geo queries return exactly the
    entities the GETs return;
  - provisioning survived (the devices measure again after the restart).
Restart time is printed. CITYTWIN_CRASH_MIXED_CYCLES sets the number of cycles (default 6,
about 30-40 s); CITYTWIN_CRASH_MIXED_SEED the random seed. 127.0.0.1 only."""
import json
import os
import random
import threading
import time

import requests

from citytwin_server import CityTwinServer
from crash_cycle import kill_and_restart
from mqtt_raw import RawPublisher
from test_20_crash import BATCH, Writer, count, fetch, verify

CYCLES = int(os.environ.get("CITYTWIN_CRASH_MIXED_CYCLES", "6"))
SEED = int(os.environ.get("CITYTWIN_CRASH_MIXED_SEED", "7077"))
HTTP_WRITERS = 3
DEVICES = 3
APIKEY = "crash-key"
V1 = "/ngsi-ld/v1"


def meter_id(device):
    return f"urn:ngsi-ld:Meter:{device}"


def provision(url):
    group = {"apikey": APIKEY, "entity_type": "Meter", "resource": "/iot/json",
             "attributes": [{"object_id": "n", "name": "reading", "type": "Number"}]}
    response = requests.post(url + "/iot/services", json={"services": [group]}, timeout=30)
    assert response.status_code == 201, response.text
    devices = [{"device_id": f"m{i}", "entity_name": meter_id(f"m{i}"), "entity_type": "Meter",
                "transport": "MQTT"} for i in range(DEVICES)]
    response = requests.post(url + "/iot/devices", json={"devices": devices}, timeout=30)
    assert response.status_code == 201, response.text


class MeterPublisher(threading.Thread):
    """One device: publishes reading = 1, 2, 3, ... across all cycles, QoS 1, one at a time,
    so the entity's current value is the last acknowledged one or the one in flight."""

    def __init__(self, device, next_value):
        super().__init__(daemon=True)
        self.device = device
        self.next_value = next_value
        self.acknowledged = []   # values whose PUBACK arrived, in this cycle
        self.in_flight = None
        self.port = None
        self.stop = False

    def run(self):
        try:
            client = RawPublisher(self.port, f"crash-{self.device}-{self.next_value}")
            while not self.stop:
                value = self.next_value
                self.in_flight = value
                client.publish_qos1(f"/{APIKEY}/{self.device}/attrs", json.dumps({"n": value}))
                self.acknowledged.append(value)
                self.in_flight = None
                self.next_value += 1
        except OSError:
            return  # the server died; in_flight stays as it was


class SubscriptionWriter(threading.Thread):
    """Creates subscriptions (to a type nobody writes, so no notification is sent)."""

    def __init__(self, url, cycle):
        super().__init__(daemon=True)
        self.url = url + V1 + "/subscriptions"
        self.cycle = cycle
        self.session = requests.Session()
        self.created = {}       # id -> description
        self.in_flight = None
        self.stop = False

    def run(self):
        n = 0
        while not self.stop:
            n += 1
            sub_id = f"urn:ngsi-ld:Subscription:crash:{self.cycle}:{n}"
            body = {"id": sub_id, "type": "Subscription", "description": f"cycle {self.cycle} #{n}",
                    "entities": [{"type": "QuietType"}], "watchedAttributes": [f"a{n}"],
                    "notification": {"endpoint": {"uri": "http://127.0.0.1:9/never",
                                                  "accept": "application/json"}}}
            self.in_flight = sub_id
            try:
                response = self.session.post(self.url, json=body, timeout=30)
            except requests.RequestException:
                return
            assert response.status_code == 201, response.text
            self.created[sub_id] = body["description"]
            self.in_flight = None
            time.sleep(0.02)


def history_values(url, entity_id):
    response = requests.get(f"{url}{V1}/temporal/entities/{entity_id}",
                            params={"attrs": "reading", "options": "temporalValues",
                                    "timeproperty": "modifiedAt"}, timeout=30)
    assert response.status_code == 200, response.text
    assert "Content-Range" not in response.headers, "history was cut; raise the page size"
    return [value for value, _ in response.json().get("reading", {}).get("values", [])]


def verify_meters(url, publishers, acknowledged_so_far, baseline):
    """Each device's current reading is its last value acknowledged in this cycle (else the one
    seen after the previous restart) or the one in flight; its history holds every value ever
    acknowledged; the type, attribute and q indexes agree with the GETs."""
    readings = {}
    for publisher in publishers:
        entity_id = meter_id(publisher.device)
        acked = acknowledged_so_far[publisher.device]
        entity = fetch(url, entity_id)
        if not acked and entity is None:
            continue
        assert entity is not None, f"{entity_id}: acknowledged measurements lost"
        last = publisher.acknowledged[-1] if publisher.acknowledged else baseline.get(entity_id)
        allowed = {last, publisher.in_flight}
        assert entity["reading"] in allowed, f"{entity_id}: reading {entity['reading']} not in {allowed}"
        history = history_values(url, entity_id)
        missing = set(acked) - set(history)
        assert not missing, f"{entity_id}: acknowledged measurements missing from history: {sorted(missing)[:10]}"
        assert max(history) <= publisher.next_value, f"{entity_id}: a value never sent"
        readings[entity_id] = entity["reading"]
        baseline[entity_id] = entity["reading"]
    # Indexes agree with the data: the type index and a q query return exactly these entities.
    response = requests.get(f"{url}{V1}/entities", params={"type": "Meter", "limit": 100,
                                                           "options": "keyValues"}, timeout=30)
    assert response.status_code == 200, response.text
    assert {e["id"]: e["reading"] for e in response.json()} == readings
    for entity_id, reading in readings.items():
        response = requests.get(f"{url}{V1}/entities", params={
            "type": "Meter", "q": f"reading=={reading}", "limit": 100}, timeout=30)
        assert entity_id in [e["id"] for e in response.json()], f"q index misses {entity_id}"
    assert count(url, attrs="reading") == len(readings)


def verify_subscriptions(url, subscribers, expected):
    for subscriber in subscribers:
        for sub_id, description in subscriber.created.items():
            response = requests.get(f"{url}{V1}/subscriptions/{sub_id}", timeout=30)
            assert response.status_code == 200, f"acknowledged subscription {sub_id} lost"
            body = response.json()
            assert body["description"] == description and body["entities"] == [{"type": "QuietType"}]
        if subscriber.in_flight:
            status = requests.get(f"{url}{V1}/subscriptions/{subscriber.in_flight}",
                                  timeout=30).status_code
            assert status in (200, 404)
            expected += status == 200
    listed = requests.get(f"{url}{V1}/subscriptions", params={"count": "true", "limit": 1},
                          timeout=30)
    assert listed.status_code == 200, listed.text
    listed_count = int(listed.headers["NGSILD-Results-Count"])
    assert listed_count == expected, f"{listed_count} subscriptions listed, {expected} expected"
    return expected


def test_mixed_acknowledged_writes_survive_sigkill(tmp_path):
    rng = random.Random(SEED)
    server = CityTwinServer(data_dir=str(tmp_path)).start()
    assert server.mqtt_port
    provision(server.url)
    crash_tests = batches = subscriptions = 0
    http_acks = mqtt_acks = sub_acks = 0
    acked_values = {f"m{i}": [] for i in range(DEVICES)}
    next_values = {f"m{i}": 1 for i in range(DEVICES)}
    baseline = {}  # entity id -> reading seen after the last restart
    restart_times = []
    try:
        for cycle in range(CYCLES):
            writers = [Writer(server.url, i, cycle, rng.random()) for i in range(HTTP_WRITERS)]
            publishers = [MeterPublisher(f"m{i}", next_values[f"m{i}"]) for i in range(DEVICES)]
            subscribers = [SubscriptionWriter(server.url, cycle)]
            for publisher in publishers:
                publisher.port = server.mqtt_port
            threads = writers + publishers + subscribers
            first_acks = (lambda: any(w.acknowledged for w in writers)
                          and any(p.acknowledged for p in publishers)
                          and any(s.created for s in subscribers))
            restart_times.append(kill_and_restart(server, threads, rng, 0.5, 2.5, first_acks))

            crash_tests += sum(len(w.created) for w in writers)
            batches += sum(len(w.batches) * BATCH for w in writers)
            landed_creates = sum(1 for w in writers if w.in_flight and w.in_flight[0] == "create"
                                 and fetch(server.url, w.in_flight[1]) is not None)
            landed_batches = sum(BATCH for w in writers if w.in_flight and w.in_flight[0] == "batch"
                                 and fetch(server.url, w.in_flight[1][0]) is not None)
            verify(server.url, writers, crash_tests, batches)
            crash_tests += landed_creates
            batches += landed_batches

            for publisher in publishers:
                acked_values[publisher.device] += publisher.acknowledged
            verify_meters(server.url, publishers, acked_values, baseline)
            for publisher in publishers:
                # The value in flight may have landed: the next cycle starts after it.
                next_values[publisher.device] = publisher.next_value + 1

            subscriptions += sum(len(s.created) for s in subscribers)
            subscriptions = verify_subscriptions(server.url, subscribers, subscriptions)

            http_acks += sum(w.acknowledged for w in writers)
            mqtt_acks += sum(len(p.acknowledged) for p in publishers)
            sub_acks += sum(len(s.created) for s in subscribers)

        # Provisioning survived every restart: a device measures again.
        publisher = RawPublisher(server.mqtt_port, "crash-final")
        publisher.publish_qos1(f"/{APIKEY}/m0/attrs", json.dumps({"n": 10 ** 6}))
        publisher.close()
        assert fetch(server.url, meter_id("m0"))["reading"] == 10 ** 6
        assert http_acks > 0 and mqtt_acks > 0 and sub_acks > 0
        print(f"\nmixed crash test: {CYCLES} SIGKILL cycles, acknowledged writes checked: "
              f"{http_acks} HTTP (entities, patches, batches), {mqtt_acks} MQTT QoS 1 "
              f"measurements, {sub_acks} subscriptions; restart times "
              f"{', '.join(f'{t:.2f}s' for t in restart_times)}")
    finally:
        server.cleanup()
