"""A minimal MQTT 3.1.1 QoS 1 client on a raw socket, for tests that must know exactly
which publications the broker acknowledged (PUBACK received), which subscriptions it granted
(SUBACK) and which messages it delivered when the server dies mid-way; a full client library
retries and queues behind the test's back. 127.0.0.1 only."""
import socket
import struct


def _remaining_length(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8(text):
    data = text.encode()
    return struct.pack("!H", len(data)) + data


class RawPublisher:
    def __init__(self, port, client_id, timeout=10.0, clean=True):
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""
        self.received = []  # (topic, payload) of PUBLISH packets read while waiting for acks
        # CONNECT: protocol "MQTT" level 4, clean session or not, keep alive 60 s.
        flags = 0x02 if clean else 0x00
        body = _utf8("MQTT") + bytes([4, flags]) + struct.pack("!H", 60) + _utf8(client_id)
        self.sock.sendall(bytes([0x10]) + _remaining_length(len(body)) + body)
        first, payload = self._read_packet()
        if first >> 4 != 2 or len(payload) < 2 or payload[1] != 0:
            raise ConnectionError(f"CONNECT refused: {first:#x} {payload!r}")
        self.session_present = bool(payload[0] & 0x01)
        self.packet_id = 0

    def _read_exact(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("broker closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _read_packet(self):
        first = self._read_exact(1)[0]
        length, shift = 0, 0
        while True:
            byte = self._read_exact(1)[0]
            length += (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        return first, self._read_exact(length)

    def _next_id(self):
        self.packet_id = self.packet_id % 65535 + 1
        return self.packet_id

    def _await(self, packet_type, packet_id):
        """Reads until the acknowledgement `packet_type` of `packet_id`; PUBLISH packets
        read meanwhile are kept in self.received (and acknowledged)."""
        while True:
            first, data = self._read_packet()
            if first >> 4 == 3:
                self._delivered(first, data)
            elif first >> 4 == packet_type and struct.unpack("!H", data[:2])[0] == packet_id:
                return data

    def _delivered(self, first, data):
        length = struct.unpack("!H", data[:2])[0]
        topic = data[2:2 + length].decode()
        rest = data[2 + length:]
        if (first >> 1) & 0x03:  # QoS 1 (this client never subscribes with QoS 2)
            self.sock.sendall(bytes([0x40, 2]) + rest[:2])
            rest = rest[2:]
        self.received.append((topic, rest.decode()))

    def publish_qos1(self, topic, payload):
        """Returns once the PUBACK for this publication arrived (the broker's durability
        promise); raises OSError/ConnectionError when the server dies first."""
        packet_id = self._next_id()
        body = _utf8(topic) + struct.pack("!H", packet_id) + payload.encode()
        self.sock.sendall(bytes([0x32]) + _remaining_length(len(body)) + body)
        self._await(4, packet_id)

    def subscribe_qos1(self, topic_filter):
        """Returns once the SUBACK granted QoS 1 (raises otherwise)."""
        packet_id = self._next_id()
        body = struct.pack("!H", packet_id) + _utf8(topic_filter) + bytes([1])
        self.sock.sendall(bytes([0x82]) + _remaining_length(len(body)) + body)
        codes = self._await(9, packet_id)[2:]
        if codes != bytes([1]):
            raise ConnectionError(f"SUBSCRIBE {topic_filter} refused: {codes!r}")

    def receive(self, timeout):
        """The next delivered (topic, payload), PUBACKed, or None after `timeout` seconds."""
        if self.received:
            return self.received.pop(0)
        self.sock.settimeout(timeout)
        try:
            first, data = self._read_packet()
        except socket.timeout:
            return None
        finally:
            self.sock.settimeout(self.timeout)
        if first >> 4 != 3:
            return self.receive(timeout)
        self._delivered(first, data)
        return self.received.pop(0)

    def close(self):
        try:
            self.sock.sendall(bytes([0xE0, 0]))
        except OSError:
            pass
        self.sock.close()


# It subscribes and receives too.
RawClient = RawPublisher
