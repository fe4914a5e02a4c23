"""Crash consistency: concurrent clients write while the server is killed with SIGKILL.

After every restart, each acknowledged write (2xx) must be present and intact, the single
write each client had in flight may or may not be present but never half-applied (a batch is
all or nothing), and the indexes agree with the data (type counts, attribute queries, geo).
"""
import random
import threading
import time

import requests

from citytwin_server import CityTwinServer
from crash_cycle import kill_and_restart

THREADS = 6
CYCLES = 4
BATCH = 5


class Writer(threading.Thread):
    """One client; owns its entities, so its writes to each entity are sequential."""

    def __init__(self, url, index, cycle, rng_seed):
        super().__init__(daemon=True)
        self.url = url + "/ngsi-ld/v1"
        self.prefix = f"c{cycle}t{index}"
        self.rng = random.Random(rng_seed)
        self.session = requests.Session()
        self.created = {}        # id -> acknowledged counter value
        self.batches = {}        # batch number -> acknowledged (list of ids)
        self.in_flight = None    # (kind, payload) of the one unacknowledged write
        self.acknowledged = 0
        self.stop = False

    def run(self):
        n = 0
        while not self.stop:
            n += 1
            choice = self.rng.random()
            try:
                if choice < 0.4 or not self.created:
                    self.create(n)
                elif choice < 0.8:
                    self.patch()
                else:
                    self.batch(n)
            except requests.RequestException:
                return  # the server died; in_flight stays as it was

    def create(self, n):
        entity_id = f"urn:ngsi-ld:CrashTest:{self.prefix}:{n}"
        lon, lat = 2 + self.rng.random(), 41 + self.rng.random()
        body = {"id": entity_id, "type": "CrashTest",
                "counter": {"type": "Property", "value": 0},
                "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}}
        self.in_flight = ("create", entity_id)
        response = self.session.post(self.url + "/entities", json=body, timeout=30)
        assert response.status_code == 201, response.text
        self.created[entity_id] = 0
        self.in_flight = None
        self.acknowledged += 1

    def patch(self):
        entity_id = self.rng.choice(list(self.created))
        value = self.created[entity_id] + 1
        self.in_flight = ("patch", (entity_id, value))
        response = self.session.patch(f"{self.url}/entities/{entity_id}/attrs/counter",
                                      json={"value": value}, timeout=30)
        assert response.status_code == 204, response.text
        self.created[entity_id] = value
        self.in_flight = None
        self.acknowledged += 1

    def batch(self, n):
        ids = [f"urn:ngsi-ld:CrashBatch:{self.prefix}:{n}:{i}" for i in range(BATCH)]
        body = [{"id": i, "type": "CrashBatch", "batch": {"type": "Property", "value": n}} for i in ids]
        self.in_flight = ("batch", ids)
        response = self.session.post(self.url + "/entityOperations/upsert", json=body, timeout=30)
        assert response.status_code in (201, 204), response.text
        self.batches[n] = ids
        self.in_flight = None
        self.acknowledged += 1


def fetch(url, entity_id):
    response = requests.get(f"{url}/ngsi-ld/v1/entities/{entity_id}", params={"options": "keyValues"})
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    return response.json()


def count(url, **params):
    response = requests.get(url + "/ngsi-ld/v1/entities", params={**params, "count": "true", "limit": 0})
    assert response.status_code == 200, response.text
    return int(response.headers["NGSILD-Results-Count"])


def verify(url, writers, expected_crash_tests, expected_batches):
    for writer in writers:
        for entity_id, value in writer.created.items():
            entity = fetch(url, entity_id)
            in_flight_patch = writer.in_flight and writer.in_flight[0] == "patch" \
                and writer.in_flight[1][0] == entity_id
            allowed = {value, writer.in_flight[1][1]} if in_flight_patch else {value}
            assert entity is not None, f"acknowledged entity {entity_id} lost"
            assert entity["counter"] in allowed, f"{entity_id}: {entity['counter']} not in {allowed}"
        for ids in writer.batches.values():
            for entity_id in ids:
                assert fetch(url, entity_id) is not None, f"acknowledged batch entity {entity_id} lost"
        if writer.in_flight and writer.in_flight[0] == "batch":
            present = [fetch(url, i) is not None for i in writer.in_flight[1]]
            assert all(present) or not any(present), f"half-applied batch: {present}"
            expected_batches += BATCH if all(present) else 0
        if writer.in_flight and writer.in_flight[0] == "create":
            if fetch(url, writer.in_flight[1]) is not None:
                expected_crash_tests += 1
    # Indexes agree with the data: type index, attribute index and spatial index.
    assert count(url, type="CrashTest") == expected_crash_tests
    assert count(url, type="CrashBatch") == expected_batches
    assert count(url, attrs="counter") == expected_crash_tests
    assert count(url, type="CrashTest", georel="within", geometry="Polygon",
                 coordinates="[[[1.9,40.9],[3.1,40.9],[3.1,42.1],[1.9,42.1],[1.9,40.9]]]") \
        == expected_crash_tests


def test_acknowledged_writes_survive_sigkill(tmp_path):
    rng = random.Random(4242)
    server = CityTwinServer(data_dir=str(tmp_path)).start()
    crash_tests = batches = acknowledged = 0
    restart_times = []
    try:
        for cycle in range(CYCLES):
            writers = [Writer(server.url, i, cycle, rng.random()) for i in range(THREADS)]
            restart_times.append(kill_and_restart(server, writers, rng, 0.5, 2.0))
            crash_tests += sum(len(w.created) for w in writers)
            batches += sum(len(w.batches) * BATCH for w in writers)
            acknowledged += sum(w.acknowledged for w in writers)
            # In-flight writes that landed are counted by verify(); add them for later cycles.
            landed_creates = sum(1 for w in writers if w.in_flight and w.in_flight[0] == "create"
                                 and fetch(server.url, w.in_flight[1]) is not None)
            landed_batches = sum(BATCH for w in writers if w.in_flight and w.in_flight[0] == "batch"
                                 and fetch(server.url, w.in_flight[1][0]) is not None)
            verify(server.url, writers, crash_tests, batches)
            crash_tests += landed_creates
            batches += landed_batches
        assert acknowledged > 0
        print(f"\ncrash test: {CYCLES} SIGKILL cycles, {acknowledged} acknowledged writes checked, "
              f"restart times {', '.join(f'{t:.2f}s' for t in restart_times)}")
    finally:
        server.cleanup()
