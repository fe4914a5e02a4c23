"""Starts the real citytwin binary on a free port with a temporary data directory.

Black-box tests talk to it over HTTP on 127.0.0.1 only.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import requests


class CityTwinServer:
    def __init__(self, data_dir=None, extra_args=None, preexec_fn=None, auth=False,
                 log_level="warn", tls_ca=None, outbound_allow=("127.0.0.0/8", "::1")):
        # preexec_fn runs in the child before exec (resource limits for fault injection).
        # auth=False starts with --auth off (loopback only), so tests of the data API need no
        # keys; tests/api/test_60_security.py starts with auth=True (the default of the binary).
        self.binary = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
        self.owns_data = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="citytwin-test-")
        self.extra_args = ([] if auth else ["--auth", "off"]) + list(extra_args or [])
        # The server refuses outgoing requests to loopback by default (SSRF protection,
        # docs/security.md); the tests' notification receivers and @context servers listen on
        # 127.0.0.1, so loopback is allowed explicitly unless a test says otherwise.
        for entry in outbound_allow or ():
            self.extra_args += ["--outbound-allow", entry]
        # tls_ca: the server was given --tls-cert/--tls-key (in extra_args) signed by this CA
        # file; the URL is then https and the readiness probe verifies against it.
        self.tls_ca = tls_ca
        self.preexec_fn = preexec_fn
        self.log_level = log_level
        self.process = None
        self.port = None
        self.mqtt_port = None  # the built-in MQTT broker's port (always on a free port here)
        self.log_path = None

    @property
    def url(self):
        scheme = "https" if self.tls_ca else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self, timeout=20.0):
        port_file = os.path.join(self.data_dir, "port")
        mqtt_port_file = os.path.join(self.data_dir, "mqtt-port")
        for stale in (port_file, mqtt_port_file):
            if os.path.exists(stale):
                os.remove(stale)
        self.log_path = os.path.join(self.data_dir, "server.log")
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--listen", "127.0.0.1:0", "--data",
             os.path.join(self.data_dir, "db"), "--port-file", port_file,
             "--log-level", self.log_level, "--mqtt-port-file", mqtt_port_file,
             *([] if "--mqtt-listen" in self.extra_args else ["--mqtt-listen", "127.0.0.1:0"]),
             *self.extra_args],
            stdout=log, stderr=log, preexec_fn=self.preexec_fn)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"citytwin exited with {self.process.returncode}: {self.log()}")
            if os.path.exists(port_file):
                self.port = int(open(port_file).read().strip())
                # Written before the HTTP port file when the broker is on.
                if os.path.exists(mqtt_port_file):
                    self.mqtt_port = int(open(mqtt_port_file).read().strip())
                try:
                    if requests.get(self.url + "/health", timeout=2,
                                    verify=self.tls_ca or True).status_code == 200:
                        return self
                except requests.ConnectionError:
                    pass
            time.sleep(0.02)
        raise RuntimeError("citytwin did not become ready: " + self.log())

    def log(self):
        try:
            return open(self.log_path, errors="replace").read()[-4000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def cleanup(self):
        self.stop()
        if self.owns_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)
