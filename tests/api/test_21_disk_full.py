"""Fault injection: the disk fills up under the server.

The server runs with RLIMIT_FSIZE (and SIGXFSZ ignored), so once its write-ahead log reaches
the limit every write to it fails with EFBIG, as on a full disk. Writes must then be refused
with 503 ServiceUnavailable (never a 2xx for a write that is not on disk, never a crash),
reads keep working, and after a restart without the limit every acknowledged write is there.
"""
import resource
import signal

import requests

from citytwin_server import CityTwinServer

LIMIT_BYTES = 3 * 1024 * 1024
PAYLOAD = "x" * 20000  # each entity adds about 20 kB to the write-ahead log


def limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT_BYTES, LIMIT_BYTES))


def entity(n):
    return {"id": f"urn:ngsi-ld:Blob:{n}", "type": "Blob",
            "payload": {"type": "Property", "value": PAYLOAD}, "n": {"type": "Property", "value": n}}


def test_full_disk_refuses_writes_keeps_reads_and_loses_nothing_acknowledged():
    server = CityTwinServer(preexec_fn=limit_file_size).start()
    acknowledged = []
    try:
        url = server.url + "/ngsi-ld/v1/entities"
        refused = None
        for n in range(1000):
            response = requests.post(url, json=entity(n), timeout=30)
            if response.status_code == 201:
                acknowledged.append(n)
                continue
            refused = response
            break
        assert refused is not None, "the write-ahead log never hit the file size limit"
        assert refused.status_code == 503, refused.text
        assert refused.json()["type"].endswith("ServiceUnavailable")
        assert acknowledged, "no write succeeded before the limit"
        # Later writes are refused too (the store does not build on lost writes) ...
        again = requests.post(url, json=entity(5000), timeout=30)
        assert again.status_code == 503, again.text
        # ... while reads keep working and the server stays up.
        first = requests.get(f"{url}/urn:ngsi-ld:Blob:{acknowledged[0]}", timeout=30)
        assert first.status_code == 200
        health = requests.get(server.url + "/health", timeout=5)
        assert health.status_code == 503 and health.json()["ready"] is False  # not ready
        assert health.json()["live"] is True
        server.kill()

        server.preexec_fn = None
        server.start()
        url = server.url + "/ngsi-ld/v1/entities"  # a new port
        for n in acknowledged:
            response = requests.get(f"{url}/urn:ngsi-ld:Blob:{n}", timeout=30)
            assert response.status_code == 200, f"acknowledged entity {n} lost"
            assert response.json()["n"]["value"] == n
        assert requests.post(url, json=entity(9999), timeout=30).status_code == 201
    finally:
        server.cleanup()
