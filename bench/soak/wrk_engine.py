"""The fast engine of the soak run (bench/soak/soak.py --engine wrk; docs/reliability.md, "Soak").

The Python engine cannot offer more than a few hundred operations per second from the same 2
cores as the server. This one drives the same mix with compiled clients: wrk with
bench/soak/mixed.lua for the HTTP operations (80 % of the mix) and bench/mqtt/deviceload.cpp
for MQTT QoS 1 measures (20 %: DEVICES devices, one connection each, UltraLight on
/ul/soak-ul/dev<k>/attrs, PUBACK awaited). It first measures the peak of the mix on this
machine (both clients closed loop at once for --peak-seconds), then runs each interval at
--peak-fraction of that peak (wrk paced by a per-request delay that is corrected after every
interval, deviceload at a fixed offered rate) and reports, per interval, memory as the Python
engine does and the latency percentiles of each client.
"""
import json
import math
import os
import subprocess
import tempfile
import time

import requests

from soak_metrics import memory_breakdown, rss_mib, slope_per_hour

HERE = os.path.dirname(os.path.abspath(__file__))
UL_APIKEY = "soak-ul"
DEVICES = 100
MQTT_WINDOW = 8


def provision_devices(url):
    group = {"apikey": UL_APIKEY, "entity_type": "SoakMeter", "resource": "/iot/d",
             "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"},
                            {"object_id": "h", "name": "sentAt", "type": "Number"}]}
    response = requests.post(url + "/iot/services", json={"services": [group]}, timeout=30)
    assert response.status_code == 201, response.text
    devices = [{"device_id": f"dev{k}", "entity_name": f"urn:ngsi-ld:SoakMeter:dev{k}",
                "entity_type": "SoakMeter", "apikey": UL_APIKEY, "protocol": "IoTA-UL",
                "transport": "MQTT"} for k in range(DEVICES)]
    response = requests.post(url + "/iot/devices", json={"devices": devices}, timeout=120)
    assert response.status_code == 201, response.text


def build_deviceload(work):
    binary = os.path.join(work, "deviceload")
    subprocess.run(["g++", "-O2", "-std=c++20", os.path.join(HERE, "..", "mqtt", "deviceload.cpp"),
                    "-o", binary], check=True)
    return binary


class Clients:
    """Runs wrk and deviceload side by side for one interval and reads what they print."""

    def __init__(self, url, mqtt_port, pool, connections, threads, deviceload):
        self.url = url
        self.mqtt_port = mqtt_port
        self.pool = pool
        self.connections = connections
        self.threads = threads
        self.deviceload = deviceload
        self.leftover = []  # churn entities created and not yet deleted by earlier runs
        self.runs = 0

    def run(self, seconds, delay_ms, mqtt_rate):
        self.runs += 1
        env = dict(os.environ, SOAK_POOL=str(self.pool), SOAK_DELAY_MS=f"{delay_ms:.4f}",
                   SOAK_PREFIX=f"r{self.runs}", SOAK_LEFTOVER=",".join(self.leftover),
                   SOAK_THREADS=str(self.threads))
        wrk = subprocess.Popen(
            ["wrk", "-t", str(self.threads), "-c", str(self.connections), "-d", f"{seconds:g}s",
             "--timeout", "30s", "-s", os.path.join(HERE, "mixed.lua"), self.url],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        per_device = (math.ceil(mqtt_rate * seconds / DEVICES) + 1) if mqtt_rate > 0 else 10**7
        load = subprocess.Popen(
            [self.deviceload, "--port", str(self.mqtt_port), "--devices", str(DEVICES),
             "--messages", str(per_device), "--window", str(MQTT_WINDOW), "--warmup", "0",
             "--apikey", UL_APIKEY, "--seconds", f"{seconds:g}", "--rate", f"{mqtt_rate:g}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wrk_text, _ = wrk.communicate()
        load_text, _ = load.communicate()
        http = parse_marked(wrk_text, "SOAKWRK ")
        mqtt = parse_marked(load_text, "")
        self.leftover = http["leftover"]
        if http_errors(http) or mqtt["expected"] != mqtt["acked"]:
            # What went wrong is in the clients' own words (wrk's error counts by kind, and
            # deviceload's messages about closed connections or missing acknowledgements).
            print("soak: errors in this interval:\n" + wrk_text + load_text, flush=True)
        return http, mqtt


def parse_marked(text, marker):
    for line in reversed(text.splitlines()):
        if line.startswith(marker + "{"):
            return json.loads(line[len(marker):])
    raise RuntimeError("no result line in the client's output:\n" + text[-2000:])


def http_errors(http):
    return sum(http[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors",
                                 "timeouts"))


def measure_peak(clients, seconds):
    http, mqtt = clients.run(max(1, round(seconds)), 0, 0)
    peak = {"http_ops_s": http["requests"] / http["duration_s"],
            "mqtt_ops_s": mqtt["acked_per_s"], "http_p99_ms": http["p99_ms"],
            "mqtt_p99_ms": mqtt["ack_p99_ms"], "http_errors": http_errors(http),
            "mqtt_unacknowledged": mqtt["expected"] - mqtt["acked"]}
    print("soak peak (closed loop, both clients at once): " + json.dumps(peak), flush=True)
    return peak


def drive(load, args, pid, notifications):
    work = tempfile.mkdtemp(prefix="citytwin-soak-")
    provision_devices(load.url)
    clients = Clients(load.url, load.mqtt_port, args.pool, args.connections, 2,
                      build_deviceload(work))
    peak = measure_peak(clients, args.peak_seconds)
    http_rate = peak["http_ops_s"] * args.peak_fraction
    mqtt_rate = peak["mqtt_ops_s"] * args.peak_fraction
    print(f"soak: {args.peak_fraction:g} of the peak: HTTP {http_rate:.0f}/s + MQTT "
          f"{mqtt_rate:.0f}/s for {args.duration:g} s", flush=True)
    target_cycle_ms = args.connections * 1000.0 / http_rate
    delay_ms = max(0.0, target_cycle_ms - peak["http_p99_ms"] / 4)
    start_rss = rss_mib(pid) if pid else None
    started = time.monotonic()
    rows = []
    print(f"{'t_s':>6} {'rss_mib':>8} {'http/s':>7} {'mqtt/s':>7} {'errors':>6} {'p50_ms':>7} "
          f"{'p95_ms':>7} {'p99_ms':>7} {'max_ms':>8} {'mq_p99':>7} {'notif':>7} {'rocks_mb':>8} "
          f"{'alloc_mb':>8} {'other_mb':>8}", flush=True)
    while time.monotonic() - started < args.duration - 1:
        # wrk takes whole seconds.
        seconds = max(1, round(min(args.interval, args.duration - (time.monotonic() - started))))
        http, mqtt = clients.run(seconds, delay_ms, mqtt_rate)
        row = interval_row(http, mqtt, started, pid, load.url, notifications())
        rows.append(row)
        # Pacing: move the per-request delay by the gap between the wanted and the seen cycle.
        if row["http_ops_s"] > 0:
            seen_cycle_ms = args.connections * 1000.0 / row["http_ops_s"]
            delay_ms = max(0.0, delay_ms + target_cycle_ms - seen_cycle_ms)
    return summarize(rows, peak, http_rate, mqtt_rate, start_rss, args, notifications())


def interval_row(http, mqtt, started, pid, url, notifications):
    row = {"t_s": round(time.monotonic() - started), "rss_mib": rss_mib(pid) if pid else None,
           "http_ops": http["requests"], "http_ops_s": http["requests"] / http["duration_s"],
           "mqtt_ops": mqtt["acked"], "mqtt_ops_s": mqtt["acked_per_s"],
           "errors": http_errors(http) + (mqtt["expected"] - mqtt["acked"]),
           "p50_ms": http["p50_ms"], "p95_ms": http["p95_ms"], "p99_ms": http["p99_ms"],
           "max_ms": http["max_ms"], "mqtt_p50_ms": mqtt["ack_p50_ms"],
           "mqtt_p99_ms": mqtt["ack_p99_ms"], "notifications": notifications}
    row.update(memory_breakdown(url))
    nan = float("nan")
    print(f"{row['t_s']:>6} {row['rss_mib'] or nan:>8.1f} {row['http_ops_s']:>7.0f} "
          f"{row['mqtt_ops_s']:>7.0f} {row['errors']:>6} {row['p50_ms']:>7.2f} "
          f"{row['p95_ms']:>7.2f} {row['p99_ms']:>7.2f} {row['max_ms']:>8.1f} "
          f"{row['mqtt_p99_ms']:>7.2f} {notifications:>7} {row.get('storage_mib', nan):>8.1f} "
          f"{row.get('allocated_mib', nan):>8.1f} {row.get('other_mib', nan):>8.1f}", flush=True)
    return row


def summarize(rows, peak, http_rate, mqtt_rate, start_rss, args, notifications):
    def spread(key):
        values = sorted(r[key] for r in rows)
        return {"min": values[0], "median": values[len(values) // 2], "max": values[-1]}

    summary = {
        "engine": "wrk", "duration_s": args.duration, "pool": args.pool,
        "peak": peak, "fraction": args.peak_fraction, "http_target_ops_s": http_rate,
        "mqtt_target_ops_s": mqtt_rate,
        "http_ops": sum(r["http_ops"] for r in rows), "mqtt_ops": sum(r["mqtt_ops"] for r in rows),
        "errors": sum(r["errors"] for r in rows), "notifications": notifications,
        "rss_start_mib": start_rss, "rss_end_mib": rows[-1]["rss_mib"] if rows else None,
        "rss_max_mib": max((r["rss_mib"] for r in rows if r["rss_mib"] is not None), default=None),
        "rss_slope_second_half_mib_per_h": slope_per_hour(rows, "rss_mib"),
        "allocated_slope_second_half_mib_per_h": slope_per_hour(rows, "allocated_mib"),
        "other_slope_second_half_mib_per_h": slope_per_hour(rows, "other_mib"),
        "interval_http_ops_s": spread("http_ops_s"), "interval_mqtt_ops_s": spread("mqtt_ops_s"),
        "interval_p99_ms": spread("p99_ms"), "interval_mqtt_p99_ms": spread("mqtt_p99_ms"),
        "max_ms": max(r["max_ms"] for r in rows) if rows else None, "intervals": rows}
    print("soak summary: " + json.dumps({k: v for k, v in summary.items() if k != "intervals"}),
          flush=True)
    return summary
