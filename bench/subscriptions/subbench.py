#!/usr/bin/env python3
"""Subscription benchmark (issue #5): S subscriptions, updates offered at R entity updates/s
for D seconds; measures notifications/s delivered, p50/p99 latency from the update's send
time to its receipt, and the write throughput with and without the subscriptions.

Everything on 127.0.0.1: CityTwin (release binary, temporary data directory), a Mosquitto
broker started here, and `mosquitto_sub` as the receiver (C, so the receiver is not the
bottleneck); notifications go to mqtt://127.0.0.1:<port>/bench/<n> with QoS 0. Each entity is
watched by `--fanout` subscriptions, so each update makes that many notifications.

Write throughput: closed-loop rounds (`--rounds`), each writing first a tenant without
subscriptions, then the watched tenant, as fast as the load threads go; each phase starts once
the server is idle (its background work of the phase before done).
`--peers-nice N` runs the broker and the receiver at nice N: on a real deployment they are
other machines, here they share the server's 2 cores (0, the default, lets them compete).

Usage: bench/subscriptions/subbench.py [--subscriptions 1000] [--rate 10000] [--duration 10]
       [--rounds 3] [--peers-nice 0] [--max-entities-per-notification N] [--notify-nice N]
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
import proc_threads  # noqa: E402
from citytwin_server import CityTwinServer  # noqa: E402

JSON = {"Content-Type": "application/json"}
BASELINE = {**JSON, "NGSILD-Tenant": "baseline"}
V1 = "/ngsi-ld/v1"
TYPE = "BenchSensor"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def entity_id(i):
    return f"urn:ngsi-ld:{TYPE}:{i}"


def batch(ids, stamp):
    return [{"id": entity_id(i), "type": TYPE,
             "sentAt": {"type": "Property", "value": stamp}} for i in ids]


def write_load(server, entities, rate, duration, threads=4, batch_size=100, headers=JSON):
    """Sends batch updates (batch_size entities each) at `rate` updates/s in total (0: as fast
    as possible) for `duration` s; returns the updates acknowledged."""
    done = [0] * threads
    stop_at = time.monotonic() + duration
    url = f"{server.url}{V1}/entityOperations/upsert?options=update"

    def worker(n):
        session = requests.Session()
        per_thread = rate / threads if rate else 0
        start = time.monotonic()
        sent = 0
        cursor = n * batch_size
        while time.monotonic() < stop_at:
            if per_thread:
                due = start + sent / per_thread
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            ids = [(cursor + k) % entities for k in range(batch_size)]
            cursor += batch_size * threads
            response = session.post(url, headers=headers,
                                    data=json.dumps(batch(ids, time.time())))
            if response.status_code in (201, 204):
                done[n] += batch_size
            sent += batch_size

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    begin = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done), time.monotonic() - begin


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100.0 * len(ordered)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--entities", type=int, default=1000)
    parser.add_argument("--fanout", type=int, default=5)
    parser.add_argument("--rate", type=int, default=10000)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--max-entities-per-notification", type=int, default=None,
                        help="the server's notify.max_entities_per_notification (default: the "
                             "server's own, 1)")
    parser.add_argument("--perf-output", default=None,
                        help="also record the server with `perf record -g` into this file "
                             "during the timed phase")
    parser.add_argument("--notify-nice", type=int, default=None,
                        help="the server's notify.nice (default: the server's default)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="closed-loop rounds, each without then with subscriptions")
    parser.add_argument("--peers-nice", type=int, default=0,
                        help="run the broker and the receiver at this nice value (they stand "
                             "for machines elsewhere; 0 lets them compete with the server)")
    args = parser.parse_args()
    peers_nice = (lambda: os.nice(args.peers_nice)) if args.peers_nice else None

    directory = tempfile.mkdtemp(prefix="citytwin-subbench-")
    broker_port = free_port()
    config = os.path.join(directory, "mosquitto.conf")
    with open(config, "w") as out:
        out.write(f"listener {broker_port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                  "max_queued_messages 1000000\n")
    broker = subprocess.Popen(["mosquitto", "-c", config], stderr=subprocess.DEVNULL,
                              preexec_fn=peers_nice)
    time.sleep(0.5)
    # The receiver writes each message with its receipt time (mosquitto_sub's `%U`: Unix time
    # with nanoseconds) to a file, line-buffered; nothing of it runs in this process, whose
    # load threads would otherwise share the GIL with a reader of up to 100,000 lines/s.
    receipts_path = os.path.join(directory, "receipts.txt")
    receipts_file = open(receipts_path, "wb")
    receiver = subprocess.Popen(["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p",
                                 str(broker_port), "-t", "bench/#", "-q", "0", "-F", "%U %p"],
                                stdout=receipts_file, preexec_fn=peers_nice)
    server_args = []
    if args.max_entities_per_notification is not None:
        server_args += ["--config", os.path.join(directory, "citytwin.toml")]
        with open(server_args[-1], "w") as out:
            out.write("[notify]\nmax_entities_per_notification = "
                      f"{args.max_entities_per_notification}\n")
    if args.notify_nice is not None:
        server_args += ["--notify-nice", str(args.notify_nice)]
    server = CityTwinServer(extra_args=server_args).start()
    try:
        session = requests.Session()
        url = f"{server.url}{V1}/entityOperations/upsert"
        # The same entities in a second tenant that has no subscriptions: the reference for
        # the write throughput, measured in turns with the watched tenant (see below).
        for headers in (JSON, BASELINE):
            for start in range(0, args.entities, 500):
                ids = range(start, min(args.entities, start + 500))
                assert session.post(url, headers=headers,
                                    data=json.dumps(batch(ids, 0))).status_code in (201, 204)
        stride = max(1, args.entities // args.fanout)
        for j in range(args.subscriptions):
            watched = sorted({(j + stride * m) % args.entities for m in range(args.fanout)})
            body = {"type": "Subscription",
                    "entities": [{"id": entity_id(i), "type": TYPE} for i in watched],
                    "watchedAttributes": ["sentAt"],
                    "notification": {"format": "keyValues", "attributes": ["sentAt"],
                                     "endpoint": {"uri":
                                                  f"mqtt://127.0.0.1:{broker_port}/bench/{j}"}}}
            response = session.post(f"{server.url}{V1}/subscriptions", headers=JSON,
                                    data=json.dumps(body))
            assert response.status_code == 201, response.text
        time.sleep(1)
        offset = os.path.getsize(receipts_path)
        cpu_before = cpu_seconds(server.process.pid)
        broker_cpu = cpu_seconds(broker.pid)
        receiver_cpu = cpu_seconds(receiver.pid)
        perf = None
        if args.perf_output:
            perf = subprocess.Popen(["perf", "record", "-g", "-o", args.perf_output, "-p",
                                     str(server.process.pid)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        threads_before = thread_cpu(server.process.pid)
        done, elapsed = write_load(server, args.entities, args.rate, args.duration)
        drain(receipts_path)
        cpu_used = cpu_seconds(server.process.pid) - cpu_before
        broker_cpu = cpu_seconds(broker.pid) - broker_cpu
        receiver_cpu = cpu_seconds(receiver.pid) - receiver_cpu
        threads_used = thread_cpu_delta(threads_before, thread_cpu(server.process.pid))
        load_average = os.getloadavg()
        if perf:
            perf.send_signal(2)
            perf.wait()
        receipts, messages = read_receipts(receipts_path, offset)
        latencies = [(at - sent) * 1000.0 for at, sent in receipts]
        delivered = len(latencies)
        span = (receipts[-1][0] - receipts[0][0]) if receipts else float("nan")
        first = bool(receipts)
        # Closed-loop write throughput (as fast as the load threads go) without and with
        # subscriptions, in turns: a round writes the unwatched tenant, then the watched one,
        # and drains every notification of that phase before the next round. The machine's
        # speed drifts by tens of percent within minutes, so only phases next to each other
        # compare; the loss is taken over the sums of all rounds.
        base_done = base_elapsed = base_cpu = with_done = with_elapsed = with_cpu = 0
        with_delivered = with_messages = 0
        with_drain_s = 0.0
        base_threads = {}
        with_threads = {}
        round_losses = []
        # Each phase starts from a quiet server (settle): without it the flushes and
        # compactions of the writes of the phase without subscriptions ran on into the phase
        # with them, which started right after, while the latter's were done during the drain.
        for _ in range(args.rounds):
            settle(server.process.pid)
            cpu = cpu_seconds(server.process.pid)
            threads = thread_cpu(server.process.pid)
            done_0, elapsed_0 = write_load(server, args.entities, 0, args.duration,
                                           headers=BASELINE)
            base_cpu += cpu_seconds(server.process.pid) - cpu
            add_threads(base_threads, thread_cpu_delta(threads, thread_cpu(server.process.pid)))
            settle(server.process.pid)
            offset = os.path.getsize(receipts_path)
            cpu = cpu_seconds(server.process.pid)
            threads = thread_cpu(server.process.pid)
            done_1, elapsed_1 = write_load(server, args.entities, 0, args.duration)
            with_cpu += cpu_seconds(server.process.pid) - cpu
            add_threads(with_threads, thread_cpu_delta(threads, thread_cpu(server.process.pid)))
            drain_started = time.monotonic()
            drain(receipts_path)
            with_drain_s = max(with_drain_s, time.monotonic() - drain_started)
            receipts_1, messages_1 = read_receipts(receipts_path, offset)
            with_delivered += len(receipts_1)
            with_messages += messages_1
            base_done += done_0
            base_elapsed += elapsed_0
            with_done += done_1
            with_elapsed += elapsed_1
            round_losses.append(round(100.0 * (1 - (done_1 / elapsed_1) / (done_0 / elapsed_0)), 1))
        dispatch_waits = server_metrics(server, ("citytwin_notify_dispatch_writer_waits",
                                                 "citytwin_notify_dispatch_writer_wait_seconds"))
        result = {
            "subscriptions": args.subscriptions, "fanout": args.fanout,
            "max_entities_per_notification": args.max_entities_per_notification,
            "offered_updates_per_s": args.rate, "duration_s": args.duration,
            "updates_acknowledged_per_s": round(done / elapsed),
            "notifications_expected": done * args.fanout,
            "notifications_delivered": delivered,
            "notifications_per_s": round(delivered / span) if first else 0,
            "messages_delivered": messages,
            "latency_p50_ms": round(percentile(latencies, 50), 1),
            "latency_p99_ms": round(percentile(latencies, 99), 1),
            "server_cpu_us_per_notification": round(cpu_used * 1e6 / delivered, 1)
            if delivered else None,
            "broker_cpu_us_per_notification": round(broker_cpu * 1e6 / delivered, 1)
            if delivered else None,
            "receiver_cpu_us_per_notification": round(receiver_cpu * 1e6 / delivered, 1)
            if delivered else None,
            "closed_loop_rounds": args.rounds,
            "max_writes_per_s_without_subscriptions": round(base_done / base_elapsed),
            "max_writes_per_s_with_subscriptions": round(with_done / with_elapsed),
            "write_throughput_loss_percent": round(
                100.0 * (1 - (with_done / with_elapsed) / (base_done / base_elapsed)), 1),
            "write_throughput_loss_percent_by_round": round_losses,
            # Server CPU per acknowledged update in the two closed-loop phases: the cost the
            # subscriptions add to a write, independent of how busy the machine was.
            "server_cpu_us_per_update_without_subscriptions":
                round(base_cpu * 1e6 / base_done, 1) if base_done else None,
            "server_cpu_us_per_update_with_subscriptions":
                round(with_cpu * 1e6 / with_done, 1) if with_done else None,
            "load_average_timed_phase": load_average,
            "server_cpu_s_by_thread_closed_loop_without_subscriptions": rounded(base_threads),
            "server_cpu_s_by_thread_timed_phase": threads_used,
            "server_cpu_s_by_thread_closed_loop_with_subscriptions": rounded(with_threads),
            "closed_loop_notifications_expected": with_done * args.fanout,
            "closed_loop_notifications_delivered": with_delivered,
            "closed_loop_messages_delivered": with_messages,
            "closed_loop_drain_s_after_writes_max": round(with_drain_s, 1),
            # Writes that waited for the notification dispatcher (notify.dispatch_backlog),
            # over the whole run; absent from servers before 2026-12-07.
            "writes_that_waited_for_the_dispatcher": dispatch_waits,
        }
        print(json.dumps(result, indent=2))
    finally:
        server.cleanup()
        receiver.terminate()
        receiver.wait()
        receipts_file.close()
        broker.terminate()
        broker.wait()
        shutil.rmtree(directory, ignore_errors=True)


def drain(path):
    """Waits until the receipts file stops growing for a second: every notification that was
    going to arrive has arrived."""
    last = -1
    while os.path.getsize(path) != last:
        last = os.path.getsize(path)
        time.sleep(1.0)


def settle(pid, window=0.5, idle_share=0.05, limit=30.0):
    """Waits (up to `limit` seconds) until process `pid` used less than `idle_share` of a core
    over `window` seconds: its background work (RocksDB flushes and compactions, notification
    threads) is done."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(pid)
        time.sleep(window)
        if cpu_seconds(pid) - before < idle_share * window:
            return


def read_receipts(path, offset):
    """(receipt time, sentAt) of each notified entity received after byte `offset` (a
    notification's `data` may hold several), and the number of messages."""
    receipts = []
    messages = 0
    with open(path, "rb") as receipts_file:
        receipts_file.seek(offset)
        for line in receipts_file:
            stamp, _, payload = line.partition(b" ")
            try:
                at = float(stamp)
                data = json.loads(payload)["body"]["data"]
            except (ValueError, KeyError):
                continue
            messages += 1
            for entity in data:
                sent = entity.get("sentAt")
                if sent:
                    receipts.append((at, sent))
    return receipts, messages


def thread_cpu(pid):
    """CPU seconds (user + system) per thread name of process `pid`."""
    ticks = os.sysconf("SC_CLK_TCK")
    by_name = {}
    for name, fields in proc_threads.threads(pid):
        key = name.rstrip("0123456789").rstrip("-") or name
        seconds = (int(fields[proc_threads.UTIME]) + int(fields[proc_threads.STIME])) / ticks
        by_name[key] = by_name.get(key, 0.0) + seconds
    return by_name


def server_metrics(server, names):
    """The values of the named unlabelled series of the server's /metrics."""
    values = {}
    response = requests.get(f"{server.url}/metrics")
    for line in response.text.splitlines():
        name, _, value = line.partition(" ")
        if name in names:
            values[name] = float(value)
    return values


def add_threads(total, delta):
    for name, seconds in delta.items():
        total[name] = total.get(name, 0.0) + seconds


def rounded(threads):
    return {name: round(seconds, 2) for name, seconds in sorted(threads.items())}


def thread_cpu_delta(before, after):
    return {name: round(seconds - before.get(name, 0.0), 2)
            for name, seconds in sorted(after.items()) if seconds - before.get(name, 0.0) > 0.005}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


if __name__ == "__main__":
    main()
