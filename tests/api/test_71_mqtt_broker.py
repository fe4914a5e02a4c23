"""The built-in MQTT broker (docs/mqtt.md) with real clients: mosquitto_pub/mosquitto_sub
(Debian mosquitto-clients) and Paho (python3-paho-mqtt), MQTT 3.1.1 and 5.0, plus raw
sockets for what no well-behaved client sends. Everything talks to 127.0.0.1 only.
"""
import os
import queue
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid

import paho.mqtt.client as paho
import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402

HOST = "127.0.0.1"
BINARY = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
WAIT = 10  # seconds a test waits for a message before failing


@pytest.fixture(scope="module")
def server():
    instance = CityTwinServer().start()
    assert instance.mqtt_port, "the launcher did not find the MQTT port"
    yield instance
    instance.cleanup()


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class PahoClient:
    """A Paho client whose received messages land in a queue."""

    def __init__(self, port, client_id, version=paho.MQTTv311, clean=True, keepalive=60,
                 session_expiry=None, username=None, password=None):
        self.messages = queue.Queue()
        self.connack = queue.Queue()
        self.version = version
        if version == paho.MQTTv5:
            self.client = paho.Client(client_id=client_id, protocol=version)
        else:
            self.client = paho.Client(client_id=client_id, clean_session=clean, protocol=version)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_message = lambda c, u, m: self.messages.put(m)
        self.client.on_connect = lambda c, u, flags, rc, *rest: self.connack.put((flags, rc))
        self.port, self.clean, self.keepalive = port, clean, keepalive
        self.session_expiry = session_expiry

    def connect(self):
        if self.version == paho.MQTTv5:
            from paho.mqtt.properties import Properties
            from paho.mqtt.packettypes import PacketTypes
            properties = None
            if self.session_expiry is not None:
                properties = Properties(PacketTypes.CONNECT)
                properties.SessionExpiryInterval = self.session_expiry
            self.client.connect(HOST, self.port, keepalive=self.keepalive,
                                clean_start=self.clean, properties=properties)
        else:
            self.client.connect(HOST, self.port, keepalive=self.keepalive)
        self.client.loop_start()
        flags, rc = self.connack.get(timeout=WAIT)
        return flags, rc

    def subscribe(self, topic, qos):
        result, mid = self.client.subscribe(topic, qos)
        assert result == paho.MQTT_ERR_SUCCESS
        # SUBACK arrival: wait through a round trip that must follow it (ordered stream).
        info = self.client.publish(unique("sync/" + topic.replace("#", "x").replace("+", "x")),
                                   b"", qos=1)
        info.wait_for_publish(WAIT)

    def publish(self, topic, payload, qos, retain=False):
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(WAIT)
        assert info.is_published()

    def next(self, timeout=WAIT):
        return self.messages.get(timeout=timeout)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def mosquitto_sub(port, *args, count=1, version="mqttv311"):
    return subprocess.Popen(
        ["mosquitto_sub", "-h", HOST, "-p", str(port), "-V", version, "-C", str(count),
         "-W", str(WAIT), "-F", "%r %q %t %p", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def mosquitto_pub(port, *args, version="mqttv311"):
    out = subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(port), "-V", version, *args],
                         capture_output=True, text=True, timeout=WAIT)
    return out


def wait_subscribed(server, count):
    """Waits until the broker holds `count` more subscriptions than before (from /metrics)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if metric(server, "citytwin_mqtt_subscriptions") >= count:
            return
        time.sleep(0.02)
    raise AssertionError("subscription not registered")


def metric(server, name, labels="", headers=None):
    response = requests.get(server.url + "/metrics", timeout=5, headers=headers)
    assert response.status_code == 200
    text = response.text
    for line in text.splitlines():
        if line.startswith(name + labels + " ") or (not labels and line.startswith(name + " ")):
            return float(line.split()[-1])
    return 0.0


# ---- Raw MQTT 3.1.1 packets (what no library will send) -------------------------------------

def remaining_length(n):
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(text):
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def raw_connect(client_id, keep_alive=0, will=None):
    flags = 0x02
    payload = utf8(client_id)
    if will:
        flags |= 0x04
        payload += utf8(will[0]) + utf8(will[1])
    body = utf8("MQTT") + bytes([4, flags]) + struct.pack("!H", keep_alive) + payload
    return bytes([0x10]) + remaining_length(len(body)) + body


def raw_client(port, client_id, keep_alive=0, will=None):
    sock = socket.create_connection((HOST, port), timeout=WAIT)
    sock.sendall(raw_connect(client_id, keep_alive, will))
    assert sock.recv(4) == b"\x20\x02\x00\x00"  # CONNACK, accepted
    return sock


def closed_by_server(sock):
    """True when the broker closes the socket (EOF) within WAIT seconds."""
    sock.settimeout(WAIT)
    try:
        while True:
            data = sock.recv(1024)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


# ---- Delivery ---------------------------------------------------------------------------------

@pytest.mark.parametrize("version", [paho.MQTTv311, paho.MQTTv5])
def test_qos_0_1_2_delivery_with_downgrade(server, version):
    topic = unique("/key/dev") + "/data"
    subscriber = PahoClient(server.mqtt_port, unique("sub"), version)
    publisher = PahoClient(server.mqtt_port, unique("pub"), version)
    low = PahoClient(server.mqtt_port, unique("low"), version)
    try:
        subscriber.connect()
        publisher.connect()
        low.connect()
        subscriber.subscribe(topic, 2)
        low.subscribe(topic, 0)
        for qos in (0, 1, 2):
            publisher.publish(topic, f"m{qos}".encode(), qos)
        got = [subscriber.next() for _ in range(3)]
        assert [(m.payload, m.qos) for m in got] == [(b"m0", 0), (b"m1", 1), (b"m2", 2)]
        downgraded = [low.next() for _ in range(3)]
        assert [m.qos for m in downgraded] == [0, 0, 0]  # at most the subscription's QoS
        assert all(not m.retain for m in got)
    finally:
        for client in (subscriber, publisher, low):
            client.close()


def test_mosquitto_clients_with_wildcards(server):
    prefix = unique("/w")
    sub = mosquitto_sub(server.mqtt_port, "-t", f"{prefix}/+/data/#", "-q", "1", count=2)
    wait_subscribed(server, 1)
    # Not matching: a different level-2 shape and another prefix.
    assert mosquitto_pub(server.mqtt_port, "-t", f"{prefix}/d1/cmd", "-m", "no").returncode == 0
    assert mosquitto_pub(server.mqtt_port, "-t", f"{prefix}/d1/data", "-m", "a",
                         "-q", "1").returncode == 0
    assert mosquitto_pub(server.mqtt_port, "-t", f"{prefix}/d2/data/t", "-m", "b",
                         "-q", "2", "-V", "mqttv5").returncode == 0
    out, err = sub.communicate(timeout=WAIT + 5)
    assert sub.returncode == 0, err
    assert out.splitlines() == [f"0 1 {prefix}/d1/data a", f"0 1 {prefix}/d2/data/t b"]


def test_retained_message_reaches_later_subscribers_and_can_be_cleared(server):
    topic = unique("/r") + "/status"
    assert mosquitto_pub(server.mqtt_port, "-t", topic, "-m", "online", "-r",
                         "-q", "1").returncode == 0
    for version in ("mqttv311", "mqttv5"):
        sub = mosquitto_sub(server.mqtt_port, "-t", topic, "-q", "1", version=version)
        out, err = sub.communicate(timeout=WAIT + 5)
        assert out.strip() == f"1 1 {topic} online", err  # retain flag set
    # An empty retained message clears it: a new subscriber then gets nothing.
    assert mosquitto_pub(server.mqtt_port, "-t", topic, "-n", "-r").returncode == 0
    sub = mosquitto_sub(server.mqtt_port, "-t", topic, "--retained-only", "-W", "1")
    out, _ = sub.communicate(timeout=WAIT + 5)
    assert out == ""


def test_last_will_on_abrupt_close(server):
    topic = unique("/will") + "/status"
    watcher = PahoClient(server.mqtt_port, unique("watch"))
    try:
        watcher.connect()
        watcher.subscribe(topic, 1)
        device = mosquitto_sub(server.mqtt_port, "-t", unique("/nothing"), "-i", unique("dev"),
                               "--will-topic", topic, "--will-payload", "gone", "-W", "60")
        wait_subscribed(server, 2)
        device.send_signal(signal.SIGKILL)  # no DISCONNECT: the kernel closes the socket
        device.wait(timeout=WAIT)
        message = watcher.next()
        assert (message.topic, message.payload) == (topic, b"gone")
        # A clean DISCONNECT discards the will.
        quiet = raw_client(server.mqtt_port, unique("quiet"), will=(topic, "not sent"))
        quiet.sendall(b"\xe0\x00")
        assert closed_by_server(quiet)
        with pytest.raises(queue.Empty):
            watcher.next(timeout=1)
    finally:
        watcher.close()


@pytest.mark.parametrize("version", [paho.MQTTv311, paho.MQTTv5])
def test_persistent_session_receives_while_offline(server, version):
    client_id = unique("persistent")
    topic = f"/key/{client_id}/cmd"
    expiry = 300 if version == paho.MQTTv5 else None
    device = PahoClient(server.mqtt_port, client_id, version, clean=False, session_expiry=expiry)
    flags, rc = device.connect()
    assert rc == 0
    device.subscribe(topic, 1)
    device.close()
    for n in range(3):
        assert mosquitto_pub(server.mqtt_port, "-t", topic, "-m", f"cmd{n}",
                             "-q", "1").returncode == 0
    back = PahoClient(server.mqtt_port, client_id, version, clean=False, session_expiry=expiry)
    flags, rc = back.connect()
    try:
        assert rc == 0
        assert flags["session present"] == 1
        assert [back.next().payload for _ in range(3)] == [b"cmd0", b"cmd1", b"cmd2"]
    finally:
        back.close()
    # A clean session starts over: no subscription left, nothing delivered.
    fresh = PahoClient(server.mqtt_port, client_id, version, clean=True)
    flags, rc = fresh.connect()
    try:
        assert flags["session present"] == 0
        assert mosquitto_pub(server.mqtt_port, "-t", topic, "-m", "lost", "-q", "1").returncode == 0
        with pytest.raises(queue.Empty):
            fresh.next(timeout=1)
    finally:
        fresh.close()


def test_mqtt5_session_expiry_ends_an_offline_session(server):
    short, long = unique("expiring"), unique("kept")
    for client_id, expiry in ((short, 1), (long, 300)):
        device = PahoClient(server.mqtt_port, client_id, paho.MQTTv5, clean=False,
                            session_expiry=expiry)
        device.connect()
        device.subscribe(f"/key/{client_id}/cmd", 1)
        device.close()
    # Well past the 1 s expiry and the broker's once-a-second sweep.
    time.sleep(3)
    for client_id, present in ((short, 0), (long, 1)):
        back = PahoClient(server.mqtt_port, client_id, paho.MQTTv5, clean=False,
                          session_expiry=300)
        flags, rc = back.connect()
        back.close()
        assert rc == 0
        assert flags["session present"] == present, client_id


def test_keep_alive_expiry_closes_and_publishes_the_will(server):
    topic = unique("/ka") + "/status"
    watcher = PahoClient(server.mqtt_port, unique("watch"))
    try:
        watcher.connect()
        watcher.subscribe(topic, 0)
        silent = raw_client(server.mqtt_port, unique("silent"), keep_alive=1,
                            will=(topic, "timed out"))
        before = metric(server, "citytwin_mqtt_rejected", '{cause="keep_alive_timeout"}')
        assert closed_by_server(silent)  # 1.5 x 1 s without a packet
        assert watcher.next().payload == b"timed out"
        after = metric(server, "citytwin_mqtt_rejected", '{cause="keep_alive_timeout"}')
        assert after == before + 1
        # PINGREQ keeps a connection alive past the keep-alive.
        alive = raw_client(server.mqtt_port, unique("alive"), keep_alive=1)
        for _ in range(4):
            time.sleep(0.5)
            alive.sendall(b"\xc0\x00")
            assert alive.recv(2) == b"\xd0\x00"
        alive.close()
    finally:
        watcher.close()


# ---- Bad input --------------------------------------------------------------------------------

MALFORMED = [
    pytest.param(b"\x00\x00", id="reserved-type-0"),
    pytest.param(b"\x30\xff\xff\xff\xff\x01", id="length-over-4-bytes"),
    pytest.param(b"\x31\x05\x00\x03a/#", id="wildcard-in-topic"),
    pytest.param(b"\x36\x05\x00\x01t\x00\x01", id="qos-3"),
    pytest.param(b"\x30\x04\x00\x02\xc0\xaf", id="overlong-utf8"),
    pytest.param(b"\x83\x06\x00\x01\x00\x01t\x00", id="subscribe-reserved-flags"),
    pytest.param(b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x00\x00\x00", id="second-connect"),
    pytest.param(b"\x62\x03\x00\x01\x00", id="pubrel-trailing-byte"),
]


@pytest.mark.parametrize("packet", MALFORMED)
def test_malformed_packet_closes_the_connection_and_is_counted(server, packet):
    before = (metric(server, "citytwin_mqtt_rejected", '{cause="malformed"}') +
              metric(server, "citytwin_mqtt_rejected", '{cause="protocol_error"}'))
    sock = raw_client(server.mqtt_port, unique("bad"))
    sock.sendall(packet)
    assert closed_by_server(sock)
    after = (metric(server, "citytwin_mqtt_rejected", '{cause="malformed"}') +
             metric(server, "citytwin_mqtt_rejected", '{cause="protocol_error"}'))
    assert after == before + 1
    assert requests.get(server.url + "/health", timeout=5).status_code == 200
    assert mosquitto_pub(server.mqtt_port, "-t", "still/up", "-m", "x", "-q", "1").returncode == 0


def test_first_packet_must_be_connect_and_garbage_is_survived(server):
    sock = socket.create_connection((HOST, server.mqtt_port), timeout=WAIT)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert closed_by_server(sock)
    sock = socket.create_connection((HOST, server.mqtt_port), timeout=WAIT)
    sock.sendall(os.urandom(4096))
    assert closed_by_server(sock)
    assert mosquitto_pub(server.mqtt_port, "-t", "still/up", "-m", "x").returncode == 0


def test_oversized_packet_closes_the_connection():
    instance = CityTwinServer(extra_args=["--mqtt-max-packet-bytes", "1024"]).start()
    try:
        sock = raw_client(instance.mqtt_port, "big")
        body = utf8("t") + b"x" * 2000
        sock.sendall(bytes([0x30]) + remaining_length(len(body)) + body)
        assert closed_by_server(sock)
        assert metric(instance, "citytwin_mqtt_rejected", '{cause="packet_too_large"}') == 1
        assert mosquitto_pub(instance.mqtt_port, "-t", "t", "-m", "small").returncode == 0
    finally:
        instance.cleanup()


def test_api_key_is_the_mqtt_password_when_auth_is_required():
    data_dir = tempfile.mkdtemp(prefix="citytwin-mqtt-auth-")
    db = os.path.join(data_dir, "db")
    def key(role, *tenant):
        out = subprocess.run([BINARY, "keys", "create", "--data", db, "--role", role, *tenant],
                             capture_output=True, text=True, timeout=60, check=True)
        return out.stdout.strip()
    editor, viewer, admin = key("editor"), key("viewer"), key("admin", "--tenant", "*")
    instance = CityTwinServer(data_dir=data_dir, auth=True).start()
    try:
        port = instance.mqtt_port
        assert mosquitto_pub(port, "-t", "t", "-m", "x", "-u", "svc", "-P", editor,
                             "-q", "1").returncode == 0
        for credentials in ([], ["-u", "svc", "-P", "ct_000000000000.wrong"],
                            ["-u", "svc", "-P", viewer]):
            out = mosquitto_pub(port, "-t", "t", "-m", "x", *credentials)
            assert out.returncode != 0
        client = PahoClient(port, unique("nokey"), paho.MQTTv5, username="svc",
                            password="not-a-key")
        _, rc = client.connect()
        client.close()
        assert rc == 134  # 0x86 bad user name or password
        assert metric(instance, "citytwin_mqtt_rejected", '{cause="auth_failed"}',
                      headers={"Authorization": f"Bearer {admin}"}) == 4
    finally:
        instance.stop()
        import shutil
        shutil.rmtree(data_dir, ignore_errors=True)


def test_mqtt_can_be_turned_off():
    instance = CityTwinServer(extra_args=["--mqtt-listen", "off"]).start()
    try:
        assert instance.mqtt_port is None
        assert "citytwin_mqtt_connections" not in requests.get(instance.url + "/metrics").text
    finally:
        instance.cleanup()


# ---- TLS ----------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def test_mqtt_over_tls(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    tls_port = free_port()
    instance = CityTwinServer(extra_args=[
        "--mqtt-tls-listen", f"{HOST}:{tls_port}", "--mqtt-tls-cert", str(cert),
        "--mqtt-tls-key", str(key)]).start()
    try:
        topic = unique("/tls") + "/data"
        # A plain subscriber receives what a TLS publisher sends: one broker, two listeners.
        sub = mosquitto_sub(instance.mqtt_port, "-t", topic, "-q", "1", count=2)
        wait_subscribed(instance, 1)
        out = mosquitto_pub(tls_port, "-t", topic, "-m", "secret", "-q", "1",
                            "--cafile", str(cert))
        assert out.returncode == 0, out.stderr
        paho_tls = PahoClient(tls_port, unique("tls"), paho.MQTTv5)
        paho_tls.client.tls_set(ca_certs=str(cert))
        _, rc = paho_tls.connect()
        assert rc == 0
        paho_tls.publish(topic, b"paho", 1)
        paho_tls.close()
        received, err = sub.communicate(timeout=WAIT + 5)
        assert received.splitlines() == [f"0 1 {topic} secret", f"0 1 {topic} paho"], err
        # Plain MQTT on the TLS port is a failed handshake: closed and counted.
        sock = socket.create_connection((HOST, tls_port), timeout=WAIT)
        sock.sendall(raw_connect("plain"))
        assert closed_by_server(sock)
        assert metric(instance, "citytwin_mqtt_rejected", '{cause="tls_handshake_failed"}') == 1
    finally:
        instance.cleanup()
