#!/usr/bin/env python3
"""Loads N synthetic sensor entities into citytwin through batch upsert (for benchmarks).

    load_entities.py URL COUNT [--type BenchSensor] [--batch 1000] [--threads 4]

Entities: id urn:ngsi-ld:<type>:<n>, temperature uniform in [0, 40), status one of
ok/warning/alarm (90/9/1 %), location uniform over a 10 km x 10 km square around
(2.17, 41.39). Deterministic per entity number. Prints entities/s.
"""
import argparse
import json
import random
import threading
import time
import urllib.request


def entity(entity_type, n):
    rng = random.Random(n)
    return {
        "id": f"urn:ngsi-ld:{entity_type}:{n}",
        "type": entity_type,
        "temperature": {"type": "Property", "value": round(rng.uniform(0, 40), 3), "unitCode": "CEL"},
        "status": {"type": "Property", "value": rng.choices(["ok", "warning", "alarm"], [90, 9, 1])[0]},
        "location": {"type": "GeoProperty", "value": {
            "type": "Point", "coordinates": [round(2.11 + rng.random() * 0.12, 6),
                                             round(41.345 + rng.random() * 0.09, 6)]}},
    }


def post(url, body):
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        if response.status not in (201, 204):
            raise RuntimeError(f"upsert: {response.status}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("count", type=int)
    parser.add_argument("--type", default="BenchSensor")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    url = args.url.rstrip("/") + "/ngsi-ld/v1/entityOperations/upsert"
    starts = list(range(0, args.count, args.batch))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not starts:
                    return
                start = starts.pop()
            end = min(start + args.batch, args.count)
            post(url, json.dumps([entity(args.type, n) for n in range(start, end)]).encode())

    began = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    print(f"loaded {args.count} entities in {elapsed:.1f} s ({args.count / elapsed:.0f} entities/s)")


if __name__ == "__main__":
    main()
