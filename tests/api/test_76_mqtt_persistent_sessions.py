"""Persistent sessions of the built-in broker survive a restart of the server (issue #4
"persistent sessions for command delivery"; docs/mqtt.md "Sessions"): a device subscribed
with clean session 0 gets, after the server restarted, both the command queued for it before
the restart and one published after it. Real clients (mosquitto_sub, mosquitto_pub),
127.0.0.1 only."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402

WAIT = 10
TOPIC = "/sess-key/dev1/cmd"


def mqtt(server, tool, *args):
    return subprocess.run([tool, "-h", "127.0.0.1", "-p", str(server.mqtt_port), "-q", "1",
                           *args], capture_output=True, text=True, timeout=WAIT + 5)


def test_subscription_and_queued_command_survive_a_restart():
    server = CityTwinServer().start()
    try:
        # Subscribe with a persistent session (-c: clean session 0), then go away.
        done = mqtt(server, "mosquitto_sub", "-c", "-i", "device-1", "-t", TOPIC, "-W", "1")
        assert "Error" not in done.stderr, done.stderr
        assert mqtt(server, "mosquitto_pub", "-t", TOPIC, "-m", "before").returncode == 0
        assert server.stop() == 0
        server.start()
        assert mqtt(server, "mosquitto_pub", "-t", TOPIC, "-m", "after").returncode == 0
        done = mqtt(server, "mosquitto_sub", "-c", "-i", "device-1", "-t", TOPIC, "-C", "2",
                    "-W", str(WAIT))
        assert done.stdout.split() == ["before", "after"], done.stdout + done.stderr
    finally:
        server.cleanup()


def test_a_clean_session_is_not_kept():
    server = CityTwinServer().start()
    try:
        mqtt(server, "mosquitto_sub", "-i", "device-2", "-t", TOPIC, "-W", "1")
        mqtt(server, "mosquitto_pub", "-t", TOPIC, "-m", "lost")
        assert server.stop() == 0
        server.start()
        done = mqtt(server, "mosquitto_sub", "-c", "-i", "device-2", "-t", TOPIC, "-C", "1",
                    "-W", "1")
        assert "lost" not in done.stdout
    finally:
        server.cleanup()
