"""External broker mode (issue #4, docs/mqtt.md "External broker"): CityTwin subscribes to
the device topics of a real Mosquitto started here, with MQTT 5 shared subscriptions. One
node gets every measure; two nodes in one group split them, each measure landing exactly
once; a node killed with -9 while storing loses nothing, since it acknowledges a QoS 1
message only once durable and the broker sends the rest again; mqtts:// verifies the
broker's certificate. 127.0.0.1 only."""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from mosquitto_broker import MosquittoBroker  # noqa: E402
from mqtt_raw import RawPublisher  # noqa: E402
from ngsild import V1  # noqa: E402

WAIT = 30
GROUP = {"apikey": "ext-key", "entity_type": "Thing", "resource": "/iot/json",
         "autoprovision": True}


@pytest.fixture(scope="module")
def broker():
    instance = MosquittoBroker().start()
    yield instance
    instance.cleanup()


def node(broker, group, client_id, data_dir=None):
    server = CityTwinServer(data_dir=data_dir, extra_args=[
        "--mqtt-listen", "off", "--mqtt-external-url", broker.url,
        "--mqtt-external-group", group, "--mqtt-external-client-id", client_id])
    server.start()  # ready (/health 200) only once subscribed
    provision(server)
    return server


def provision(server):
    response = requests.post(server.url + "/iot/services", json={"services": [GROUP]})
    assert response.status_code in (201, 409), response.text


def publish_all(broker, prefix, count, client_id):
    publisher = RawPublisher(broker.port, client_id)
    try:
        for i in range(count):
            publisher.publish_qos1(f"/ext-key/{prefix}{i}/attrs", f'{{"t": {i}}}')
    finally:
        publisher.close()


def things(server, prefix):
    """{device number: value of t} of the Thing entities of devices named `prefix`N."""
    response = requests.get(f"{server.url}{V1}/entities",
                            params={"type": "Thing", "limit": 1000, "q": "t>=0"})
    assert response.status_code == 200, response.text
    out = {}
    for entity in response.json():
        name = entity["id"].rsplit(":", 1)[-1]
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            out[int(name[len(prefix):])] = entity["t"]["value"]
    return out


def stored(server):
    prefix = 'citytwin_mqtt_external_messages{result="stored"} '
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith(prefix):
            return int(float(line[len(prefix):]))
    return 0


def wait_until(condition):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_single_node_gets_every_measure(broker):
    server = node(broker, "solo", "node-solo")
    try:
        publish_all(broker, "solo", 50, "pub-solo")
        assert wait_until(lambda: len(things(server, "solo")) == 50)
        assert things(server, "solo") == {i: i for i in range(50)}
        assert stored(server) == 50
        assert requests.get(server.url + "/health").status_code == 200
    finally:
        server.cleanup()


def test_two_nodes_in_one_group_split_the_load_exactly_once(broker):
    first = node(broker, "pair", "node-pair-1")
    second = node(broker, "pair", "node-pair-2")
    try:
        count = 200
        publish_all(broker, "pair", count, "pub-pair")
        assert wait_until(lambda: stored(first) + stored(second) == count)
        time.sleep(0.5)  # nothing more arrives: no message went to both
        assert stored(first) + stored(second) == count
        on_first, on_second = things(first, "pair"), things(second, "pair")
        assert not set(on_first) & set(on_second)
        assert {**on_first, **on_second} == {i: i for i in range(count)}
        assert on_first and on_second  # both nodes took a share
    finally:
        first.cleanup()
        second.cleanup()


def test_kill_9_while_storing_loses_no_measure(broker):
    server = node(broker, "crash", "node-crash")
    count = 600
    try:
        publisher = threading.Thread(target=publish_all,
                                     args=(broker, "crash", count, "pub-crash"))
        publisher.start()
        # Killed while messages are on their way in (received, not yet acknowledged): the
        # broker keeps them in the node's session and sends them again after the restart,
        # along with those published while the node was down.
        time.sleep(random.uniform(0.2, 0.8))
        server.kill()
        publisher.join(timeout=WAIT)
        server.start()
        assert wait_until(lambda: len(things(server, "crash")) == count), \
            f"{len(things(server, 'crash'))} of {count}"
        assert things(server, "crash") == {i: i for i in range(count)}
    finally:
        server.cleanup()


def test_readiness_follows_the_broker_connection(broker):
    server = node(broker, "health", "node-health")
    try:
        broker.stop()
        assert wait_until(lambda: requests.get(server.url + "/health").status_code == 503)
        broker.start()
        assert wait_until(lambda: requests.get(server.url + "/health").status_code == 200)
        metrics = requests.get(server.url + "/metrics").text
        assert 'citytwin_mqtt_external_connections{result="lost"} 1' in metrics
        assert "citytwin_mqtt_external_connected 1" in metrics
        # Recovered by itself: measures published after the broker's return are stored.
        publish_all(broker, "back", 5, "pub-back")
        assert wait_until(lambda: things(server, "back") == {i: i for i in range(5)})
    finally:
        server.cleanup()


def test_a_broker_the_outbound_policy_refuses_is_not_contacted(broker):
    server = CityTwinServer(outbound_allow=(), extra_args=[
        "--mqtt-listen", "off", "--mqtt-external-url", broker.url])
    with pytest.raises(RuntimeError):
        server.start(timeout=3)  # never ready: loopback is not allowed outbound
    try:
        assert "no allowed address" in server.log()
    finally:
        server.cleanup()


def test_mqtts_broker_is_verified_against_the_given_ca():
    from test_61_tls import make_ca_and_server_cert  # the TLS tests' throwaway PKI
    directory = tempfile.mkdtemp(prefix="citytwin-mqtts-")
    ca = make_ca_and_server_cert(directory, "broker")
    other_ca = make_ca_and_server_cert(directory, "other")
    os.chmod(directory, 0o755)  # readable by mosquitto's own user (a throwaway key)
    os.chmod(os.path.join(directory, "broker-server.key"), 0o644)
    broker = MosquittoBroker(tls=(os.path.join(directory, "broker-server.pem"),
                                  os.path.join(directory, "broker-server.key"))).start()
    try:
        server = CityTwinServer(extra_args=[
            "--mqtt-listen", "off", "--mqtt-external-url", broker.url,
            "--mqtt-external-ca-file", ca, "--mqtt-external-group", "tls"]).start()
        try:
            provision(server)
            done = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port),
                                   "--cafile", ca, "-q", "1", "-t", "/ext-key/tls1/attrs",
                                   "-m", '{"t": 1}'], capture_output=True, text=True,
                                  timeout=WAIT)
            assert done.returncode == 0, done.stderr
            assert wait_until(lambda: things(server, "tls") == {1: 1})
        finally:
            server.cleanup()
        # A broker whose certificate the CA does not vouch for is never subscribed to.
        untrusting = CityTwinServer(extra_args=[
            "--mqtt-listen", "off", "--mqtt-external-url", broker.url,
            "--mqtt-external-ca-file", other_ca])
        with pytest.raises(RuntimeError):
            untrusting.start(timeout=3)
        try:
            assert "TLS handshake failed" in untrusting.log()
        finally:
            untrusting.cleanup()
    finally:
        broker.cleanup()
        shutil.rmtree(directory, ignore_errors=True)

