#!/usr/bin/env python3
"""CityTwin soak run (issue #7; docs/reliability.md, "Soak"). Not part of CI.

Starts the real binary on 127.0.0.1 in a fresh data directory (or uses --url), then drives a
mixed load at a fixed rate for a fixed duration, open loop (operations are scheduled at the
rate whether or not earlier ones finished, so a slow server shows as latency, not as a lower
rate):
  - PATCH of one attribute of a fixed pool of entities (history grows, the pool does not)
  - batch upsert of 20 pool entities
  - create and, later, delete of short-lived entities (the id space churns)
  - GET entity by id, query by type + q, geo query near a point
  - MQTT QoS 1 measurements on the IoT Agent topic of provisioned devices (PUBACK waited for)
  - a subscription on the pool's type notifying a local receiver in this script
Every --interval seconds it prints one line: elapsed time, server RSS (VmRSS of the process),
operations, errors, p50/p95/p99/max latency of the interval, notifications received, and from
the server's /metrics: RocksDB's memory (memtables, block cache, table readers: bounded by
configuration), the allocator's live bytes, and their difference ("other", where a leak shows).
At the end, a summary: RSS at start and end, the least-squares slopes of RSS, allocated and
other memory over the second half of the run in MiB per hour, and the latency percentiles.

  bench/soak/soak.py [--binary build/release/citytwin] [--rate 200] [--duration 3600]
                     [--interval 60] [--pool 2000] [--threads 16] [--json out.json]
                     [--engine wrk [--peak-seconds 60] [--peak-fraction 0.5]]

--engine wrk drives the same mix with wrk and bench/mqtt/deviceload.cpp at a fraction of the
peak it first measures (wrk_engine.py); the default engine is this script's own threads.

Everything talks to 127.0.0.1 only, and the run stops by itself after --duration.
"""
import argparse
import http.server
import json
import os
import queue
import random
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from mqtt_raw import RawPublisher  # noqa: E402
from soak_metrics import memory_breakdown, percentile, rss_mib, slope_per_hour  # noqa: E402
import wrk_engine  # noqa: E402

V1 = "/ngsi-ld/v1"
APIKEY = "soak-key"
DEVICES = 8
# Share of each operation in the mix (sums to 1).
MIX = [("patch", 0.30), ("get", 0.20), ("mqtt", 0.20), ("query_q", 0.10), ("geo", 0.05),
       ("batch", 0.05), ("create", 0.05), ("delete", 0.05)]


class Receiver(http.server.BaseHTTPRequestHandler):
    received = 0
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Receiver.lock:
            Receiver.received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class Load:
    def __init__(self, url, mqtt_port, pool, seed):
        self.url = url
        self.mqtt_port = mqtt_port
        self.pool = pool
        self.rng = random.Random(seed)
        self.local = threading.local()
        self.churn = queue.Queue()  # ids created, waiting to be deleted
        self.counter = 0
        self.lock = threading.Lock()

    def session(self):
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def publisher(self):
        if getattr(self.local, "publisher", None) is None:
            name = f"soak-{threading.get_ident()}"
            self.local.publisher = RawPublisher(self.mqtt_port, name)
        return self.local.publisher

    def next_number(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def pool_id(self, rng):
        return f"urn:ngsi-ld:SoakSensor:{rng.randrange(self.pool)}"

    def setup(self, receiver_port):
        session = self.session()
        entities = []
        for i in range(self.pool):
            lon, lat = 2.0 + (i % 100) * 0.001, 41.0 + (i // 100) * 0.001
            entities.append({"id": f"urn:ngsi-ld:SoakSensor:{i}", "type": "SoakSensor",
                             "temperature": {"type": "Property", "value": 20.0},
                             "status": {"type": "Property", "value": "ok"},
                             "location": {"type": "GeoProperty",
                                          "value": {"type": "Point", "coordinates": [lon, lat]}}})
        for start in range(0, len(entities), 500):
            response = session.post(self.url + V1 + "/entityOperations/upsert",
                                    json=entities[start:start + 500], timeout=120)
            assert response.status_code in (201, 204), response.text
        group = {"apikey": APIKEY, "entity_type": "SoakMeter", "resource": "/iot/json",
                 "attributes": [{"object_id": "p", "name": "power", "type": "Number"}]}
        response = session.post(self.url + "/iot/services", json={"services": [group]}, timeout=30)
        assert response.status_code == 201, response.text
        subscription = {"type": "Subscription", "entities": [{"type": "SoakSensor"}],
                        "watchedAttributes": ["status"],
                        "notification": {"endpoint": {
                            "uri": f"http://127.0.0.1:{receiver_port}/notify",
                            "accept": "application/json"}}}
        response = session.post(self.url + V1 + "/subscriptions", json=subscription, timeout=30)
        assert response.status_code == 201, response.text

    def run(self, kind, rng):
        """One operation; returns True when it succeeded (2xx / PUBACK)."""
        session = self.session()
        if kind == "patch":
            # Mostly temperature; 1 in 20 flips status, which the subscription watches.
            entity_id = self.pool_id(rng)
            if rng.random() < 0.05:
                body = {"status": {"type": "Property", "value": rng.choice(["ok", "alarm"])}}
                response = session.patch(f"{self.url}{V1}/entities/{entity_id}/attrs", json=body,
                                         timeout=60)
            else:
                response = session.patch(f"{self.url}{V1}/entities/{entity_id}/attrs/temperature",
                                         json={"value": round(rng.uniform(-10, 45), 2)}, timeout=60)
            return response.status_code == 204
        if kind == "get":
            response = session.get(f"{self.url}{V1}/entities/{self.pool_id(rng)}", timeout=60)
            return response.status_code == 200
        if kind == "query_q":
            response = session.get(f"{self.url}{V1}/entities", timeout=60, params={
                "type": "SoakSensor", "q": f"temperature>{rng.uniform(40, 45):.2f}", "limit": 20})
            return response.status_code == 200
        if kind == "geo":
            lon, lat = 2.0 + rng.random() * 0.1, 41.0 + rng.random() * 0.02
            response = session.get(f"{self.url}{V1}/entities", timeout=60, params={
                "type": "SoakSensor", "georel": "near;maxDistance==150", "geometry": "Point",
                "coordinates": f"[{lon:.5f},{lat:.5f}]", "limit": 20})
            return response.status_code == 200
        if kind == "batch":
            start = rng.randrange(self.pool)
            body = [{"id": f"urn:ngsi-ld:SoakSensor:{(start + i) % self.pool}", "type": "SoakSensor",
                     "temperature": {"type": "Property", "value": round(rng.uniform(-10, 45), 2)}}
                    for i in range(20)]
            response = session.post(f"{self.url}{V1}/entityOperations/upsert",
                                    params={"options": "update"}, json=body, timeout=60)
            return response.status_code in (201, 204)
        if kind == "create":
            entity_id = f"urn:ngsi-ld:SoakChurn:{self.next_number()}"
            response = session.post(f"{self.url}{V1}/entities", timeout=60, json={
                "id": entity_id, "type": "SoakChurn", "n": {"type": "Property", "value": 1}})
            if response.status_code == 201:
                self.churn.put(entity_id)
            return response.status_code == 201
        if kind == "delete":
            try:
                entity_id = self.churn.get_nowait()
            except queue.Empty:
                return True  # nothing to delete yet
            response = session.delete(f"{self.url}{V1}/entities/{entity_id}", timeout=60)
            return response.status_code == 204
        if kind == "mqtt":
            device = f"dev{rng.randrange(DEVICES)}"
            try:
                self.publisher().publish_qos1(f"/{APIKEY}/{device}/attrs",
                                              json.dumps({"p": round(rng.uniform(0, 5000), 1)}))
                return True
            except OSError:
                self.local.publisher = None
                return False
        raise ValueError(kind)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default="build/release/citytwin")
    parser.add_argument("--url", help="use a running server (no RSS unless --pid)")
    parser.add_argument("--pid", type=int, help="process id of the server given by --url")
    parser.add_argument("--mqtt-port", type=int, help="its MQTT port (with --url)")
    parser.add_argument("--rate", type=float, default=200.0, help="operations per second")
    parser.add_argument("--duration", type=float, default=3600.0, help="seconds")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per report line")
    parser.add_argument("--pool", type=int, default=2000, help="entities patched and read")
    parser.add_argument("--threads", type=int, default=16, help="client threads")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--engine", choices=["python", "wrk"], default="python",
                        help="python: this script's threads at --rate; wrk: wrk + deviceload at "
                             "--peak-fraction of the peak they first measure (wrk_engine.py)")
    parser.add_argument("--peak-seconds", type=float, default=60.0,
                        help="wrk engine: length of the closed-loop peak measurement")
    parser.add_argument("--peak-fraction", type=float, default=0.5,
                        help="wrk engine: share of the measured peak offered during the soak")
    parser.add_argument("--connections", type=int, default=32,
                        help="wrk engine: HTTP connections")
    args = parser.parse_args()

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    server = None
    if args.url:
        url, pid, mqtt_port = args.url, args.pid, args.mqtt_port
    else:
        os.environ.setdefault("CITYTWIN_BIN", args.binary)
        server = CityTwinServer().start()
        url, pid, mqtt_port = server.url, server.process.pid, server.mqtt_port
    try:
        load = Load(url, mqtt_port, args.pool, args.seed)
        load.setup(receiver.server_address[1])
        load_text = (f"{args.peak_fraction:g} of the peak" if args.engine == "wrk" else
                     f"{args.rate:g} ops/s, {args.threads} threads")
        print(f"soak: {url} pid {pid}, {load_text} for {args.duration:g} s, pool {args.pool}, "
              f"mix {dict(MIX)}", flush=True)
        if args.engine == "wrk":
            report = wrk_engine.drive(load, args, pid, lambda: Receiver.received)
        else:
            report = drive(load, args, pid)
    finally:
        if server is not None:
            server.cleanup()
        receiver.shutdown()
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=1)


def drive(load, args, pid):
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    work = queue.Queue(maxsize=args.threads * 100)
    results = []  # (finish time, kind, latency s, ok) appended by workers
    results_lock = threading.Lock()
    stop = threading.Event()

    def worker(index):
        rng = random.Random(args.seed * 1000 + index)
        while True:
            item = work.get()
            if item is None:
                return
            scheduled, kind = item
            try:
                ok = load.run(kind, rng)
            except (requests.RequestException, OSError):
                ok = False
            finished = time.monotonic()
            with results_lock:
                # Latency from the scheduled start: open-loop, queueing included.
                results.append((finished, kind, finished - scheduled, ok))

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.threads)]
    for thread in workers:
        thread.start()
    rng = random.Random(args.seed)
    started = time.monotonic()
    rows = []
    all_latencies = []
    next_report = started + args.interval
    n = 0
    dropped = 0
    print(f"{'t_s':>6} {'rss_mib':>8} {'ops':>7} {'ops/s':>7} {'errors':>6} {'p50_ms':>7} "
          f"{'p95_ms':>7} {'p99_ms':>7} {'max_ms':>8} {'notif':>6} {'rocks_mb':>8} {'alloc_mb':>8} "
          f"{'other_mb':>8}", flush=True)
    start_rss = rss_mib(pid) if pid else float("nan")
    while not stop.is_set():
        now = time.monotonic()
        if now - started >= args.duration:
            break
        due = started + n / args.rate
        if due > now:
            time.sleep(min(due - now, 0.05))
        else:
            try:
                work.put_nowait((due, rng.choices(kinds, weights)[0]))
            except queue.Full:
                dropped += 1  # the client cannot keep up: counted, reported
            n += 1
        if time.monotonic() >= next_report:
            rows.append(report_line(results, results_lock, started, pid, args.interval,
                                    all_latencies, load.url))
            next_report += args.interval
    for _ in workers:
        work.put(None)
    for thread in workers:
        thread.join(timeout=120)
    if rows == [] or time.monotonic() - started - rows[-1]["t_s"] > 1:
        rows.append(report_line(results, results_lock, started, pid, args.interval, all_latencies,
                                load.url))
    return summarize(rows, all_latencies, start_rss, dropped, args)


def report_line(results, lock, started, pid, interval, all_latencies, url):
    with lock:
        batch = list(results)
        results.clear()
    latencies = sorted(r[2] * 1000 for r in batch)
    all_latencies.extend(latencies)
    errors = sum(1 for r in batch if not r[3])
    row = {"t_s": round(time.monotonic() - started), "rss_mib": rss_mib(pid) if pid else None,
           "ops": len(batch), "errors": errors, "p50_ms": percentile(latencies, 0.50),
           "p95_ms": percentile(latencies, 0.95), "p99_ms": percentile(latencies, 0.99),
           "max_ms": latencies[-1] if latencies else float("nan"),
           "notifications": Receiver.received}
    row.update(memory_breakdown(url))
    print(f"{row['t_s']:>6} {row['rss_mib'] or float('nan'):>8.1f} {row['ops']:>7} "
          f"{row['ops'] / interval:>7.1f} {errors:>6} {row['p50_ms']:>7.2f} {row['p95_ms']:>7.2f} "
          f"{row['p99_ms']:>7.2f} {row['max_ms']:>8.1f} {Receiver.received:>6} "
          f"{row.get('storage_mib', float('nan')):>8.1f} {row.get('allocated_mib', float('nan')):>8.1f} "
          f"{row.get('other_mib', float('nan')):>8.1f}", flush=True)
    return row


def summarize(rows, all_latencies, start_rss, dropped, args):
    all_latencies.sort()
    summary = {
        "rate": args.rate, "duration_s": args.duration, "pool": args.pool,
        "ops": len(all_latencies), "errors": sum(r["errors"] for r in rows),
        "dropped_by_client": dropped, "notifications": Receiver.received,
        "rss_start_mib": start_rss, "rss_end_mib": rows[-1]["rss_mib"] if rows else None,
        "rss_max_mib": max((r["rss_mib"] for r in rows if r["rss_mib"] is not None), default=None),
        "rss_slope_second_half_mib_per_h": slope_per_hour(rows, "rss_mib"),
        "allocated_slope_second_half_mib_per_h": slope_per_hour(rows, "allocated_mib"),
        "other_slope_second_half_mib_per_h": slope_per_hour(rows, "other_mib"),
        "p50_ms": percentile(all_latencies, 0.50), "p95_ms": percentile(all_latencies, 0.95),
        "p99_ms": percentile(all_latencies, 0.99),
        "max_ms": all_latencies[-1] if all_latencies else None, "intervals": rows}
    print("soak summary: " + json.dumps({k: v for k, v in summary.items() if k != "intervals"}),
          flush=True)
    return summary


if __name__ == "__main__":
    main()
