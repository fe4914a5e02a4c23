#!/usr/bin/env python3
"""MQTT ingestion benchmark (issue #4): durable measures per second through CityTwin's
built-in broker and through external broker mode against Debian's Mosquitto, in the same run,
with the same publisher (Paho, MQTT 3.1.1, QoS 1, many messages in flight) and the same
devices. Everything on 127.0.0.1.

    bench/mqtt/ingest.py [BINARY] [--messages N] [--devices D] [--publishers P]

A measure counts once CityTwin says it is durable: the built-in broker's PUBACK, or the
external subscriber's stored counter (citytwin_mqtt_external_messages{result="stored"}).
Prints a Markdown table (paste into docs/performance.md)."""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as paho
import requests


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise RuntimeError("not ready: " + url)


def metric(url, name):
    for line in requests.get(url + "/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def publish(port, topics, messages_each, publishers):
    """Publishes QoS 1 from `publishers` clients; returns when every PUBACK arrived."""
    def one(index):
        done = threading.Event()
        acked = [0]
        client = paho.Client(client_id=f"bench-pub-{index}-{port}")
        client.max_inflight_messages_set(256)
        client.max_queued_messages_set(0)

        def on_publish(_client, _userdata, _mid):
            acked[0] += 1
            if acked[0] == messages_each:
                done.set()
        client.on_publish = on_publish
        client.connect("127.0.0.1", port)
        client.loop_start()
        for i in range(messages_each):
            topic = topics[(index * messages_each + i) % len(topics)]
            client.publish(topic, f"t|{i}|h|{i % 100}", qos=1)
        done.wait(600)
        client.loop_stop()
        client.disconnect()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(publishers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?", default="build/release/citytwin")
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--publishers", type=int, default=4)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="citytwin-ingestbench-")
    processes = []
    try:
        mq_port = free_port()
        with open(os.path.join(work, "mosquitto.conf"), "w") as out:
            out.write(f"listener {mq_port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                      "max_queued_messages 1000000\nlog_dest none\n")
        processes.append(subprocess.Popen(["mosquitto", "-c", os.path.join(work, "mosquitto.conf")]))
        time.sleep(0.3)
        ct_mqtt = free_port()
        port_file = os.path.join(work, "port")
        processes.append(subprocess.Popen(
            [os.path.realpath(args.binary), "serve", "--data", os.path.join(work, "ct"),
             "--listen", "127.0.0.1:0", "--port-file", port_file, "--auth", "off",
             "--log-level", "warn", "--mqtt-listen", f"127.0.0.1:{ct_mqtt}",
             "--outbound-allow", "127.0.0.0/8",
             "--mqtt-external-url", f"mqtt://127.0.0.1:{mq_port}",
             "--mqtt-external-group", "bench"]))
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file) and time.monotonic() < deadline:
            time.sleep(0.05)
        url = "http://127.0.0.1:" + open(port_file).read().strip()
        wait_http(url)
        group = {"apikey": "bench", "entity_type": "Thing", "resource": "/iot/d",
                 "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"},
                                {"object_id": "h", "name": "humidity", "type": "Number"}]}
        requests.post(url + "/iot/services", json={"services": [group]}).raise_for_status()
        topics = [f"/ul/bench/dev{d}/attrs" for d in range(args.devices)]
        # Every device exists before timing (autoprovisioning is a different, slower path).
        publish(ct_mqtt, topics, args.devices, 1)
        each = args.messages // args.publishers
        total = each * args.publishers
        rows = []

        started = time.monotonic()
        publish(ct_mqtt, topics, each, args.publishers)  # returns after the last PUBACK
        rows.append(("built-in broker", total / (time.monotonic() - started)))

        stored_name = 'citytwin_mqtt_external_messages{result="stored"}'
        before = metric(url, stored_name)
        started = time.monotonic()
        publish(mq_port, topics, each, args.publishers)
        while metric(url, stored_name) - before < total:
            if time.monotonic() - started > 600:
                raise RuntimeError("external ingestion did not finish")
            time.sleep(0.02)
        rows.append(("external (Mosquitto)", total / (time.monotonic() - started)))

        mq_only = time.monotonic()
        publish(mq_port, ["bench/none"], each, args.publishers)  # no subscriber: broker only
        rows.append(("Mosquitto alone, no subscriber", total / (time.monotonic() - mq_only)))

        print(f"{total} UltraLight measures (2 attributes), {args.devices} devices, "
              f"{args.publishers} Paho publishers, QoS 1\n")
        print("| path | durable measures/s |")
        print("| --- | ---: |")
        for name, rate in rows:
            print(f"| {name} | {rate:,.0f} |")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
