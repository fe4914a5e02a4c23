"""Cost of the audit log on writes (docs/security.md, "Audit log"): PATCH requests/s (wrk) and
server CPU time per write (/proc/PID/stat), with the audit log off (--audit-max-records 0)
and on, same binary, alternating, same run. Usage: python3 bench/security/audit_cost.py [seconds]
"""
import os, re, shutil, subprocess, sys, tempfile, time
import requests
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from citytwin_server import CityTwinServer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BIN = os.environ.get("CITYTWIN_BIN", os.path.join(ROOT, "build/release/citytwin"))
os.environ["CITYTWIN_BIN"] = BIN
LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "patch_attribute_with_key.lua")

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def run(audit_on, seconds):
    data = tempfile.mkdtemp(prefix="ct-bench-")
    key = subprocess.run([BIN, "keys", "create", "--data", os.path.join(data, "db"), "--role",
                          "admin", "--tenant", "*"], capture_output=True, text=True,
                         check=True).stdout.strip()
    extra = [] if audit_on else ["--audit-max-records", "0"]
    server = CityTwinServer(data_dir=data, auth=True, extra_args=extra).start()
    h = {"Authorization": "Bearer " + key}
    batch = [{"id": f"urn:ngsi-ld:BenchSensor:{i}", "type": "BenchSensor",
              "temperature": {"type": "Property", "value": 1}} for i in range(1000)]
    requests.post(server.url + "/ngsi-ld/v1/entityOperations/upsert", json=batch,
                  headers=h).raise_for_status()
    pid = server.process.pid
    before = cpu_seconds(pid)
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "-s", LUA, server.url],
                         capture_output=True, text=True,
                         env=dict(os.environ, CITYTWIN_KEY=key)).stdout
    cpu = cpu_seconds(pid) - before
    total = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    audited = None
    if audit_on:
        r = requests.get(server.url + "/citytwin/v1/audit?limit=1000", headers=h)
        audited = len(r.json()["records"])
        print("audit records readable after the run (first page):", audited)
    server.stop()
    shutil.rmtree(data, ignore_errors=True)
    return rps, cpu / total * 1e6, total, non2xx.group(1) if non2xx else "0"

seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
for round_ in range(3):
    for audit_on in ((False, True) if round_ % 2 == 0 else (True, False)):
        rps, us, total, bad = run(audit_on, seconds)
        print(f"round {round_} audit={'on ' if audit_on else 'off'}: {rps:8.0f} PATCH/s, "
              f"{us:6.1f} us CPU/write, {total} requests, non-2xx {bad}", flush=True)
