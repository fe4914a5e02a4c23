"""Starts a real Mosquitto broker (Debian package `mosquitto`) on a free 127.0.0.1 port with
a temporary config, for the external-broker tests and benchmarks. No persistence: the broker
holds sessions in memory for as long as it runs."""
import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MosquittoBroker:
    def __init__(self, queued_messages=200000, tls=None):
        # tls: (certificate file, key file) to listen with TLS (mqtts://) instead.
        self.dir = tempfile.mkdtemp(prefix="citytwin-mosquitto-")
        self.port = free_port()
        self.config = os.path.join(self.dir, "mosquitto.conf")
        self.log_path = os.path.join(self.dir, "mosquitto.log")
        # Started as root, mosquitto drops to its own user: it must reach its log (and the
        # certificate files a TLS test hands it).
        os.chmod(self.dir, 0o755)
        with open(self.log_path, "w"):
            pass
        os.chmod(self.log_path, 0o666)
        with open(self.config, "w") as out:
            out.write(f"listener {self.port} 127.0.0.1\n"
                      "allow_anonymous true\n"
                      "persistence false\n"
                      # Messages kept for a subscriber that is away or slow (default 1000).
                      f"max_queued_messages {queued_messages}\n"
                      f"log_dest file {self.log_path}\n")
            if tls:
                out.write(f"certfile {tls[0]}\nkeyfile {tls[1]}\n")
        self.scheme = "mqtts" if tls else "mqtt"
        self.process = None

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, timeout=10.0):
        self.process = subprocess.Popen(["mosquitto", "-c", self.config],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
