"""A minimal MQTT 3.1.1 QoS 1 publisher on a raw socket, for tests that must know exactly
which publications the broker acknowledged (PUBACK received) when the server dies mid-way;
a full client library retries and queues behind the test's back. 127.0.0.1 only."""
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
    def __init__(self, port, client_id, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""
        # CONNECT: protocol "MQTT" level 4, clean session, keep alive 60 s.
        body = _utf8("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60) + _utf8(client_id)
        self.sock.sendall(bytes([0x10]) + _remaining_length(len(body)) + body)
        first, payload = self._read_packet()
        if first >> 4 != 2 or len(payload) < 2 or payload[1] != 0:
            raise ConnectionError(f"CONNECT refused: {first:#x} {payload!r}")
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

    def publish_qos1(self, topic, payload):
        """Returns once the PUBACK for this publication arrived (the broker's durability
        promise); raises OSError/ConnectionError when the server dies first."""
        self.packet_id = self.packet_id % 65535 + 1
        body = _utf8(topic) + struct.pack("!H", self.packet_id) + payload.encode()
        self.sock.sendall(bytes([0x32]) + _remaining_length(len(body)) + body)
        while True:
            first, data = self._read_packet()
            if first >> 4 == 4 and struct.unpack("!H", data[:2])[0] == self.packet_id:
                return
            # Anything else (no subscriptions here, so nothing expected) is skipped.

    def close(self):
        try:
            self.sock.sendall(bytes([0xE0, 0]))
        except OSError:
            pass
        self.sock.close()
