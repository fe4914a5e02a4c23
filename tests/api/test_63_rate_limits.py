"""Rate limits (docs/security.md, "Rate limits"): token buckets per API key and per client
address, answered 429 with Retry-After and a ProblemDetails body, counted in /metrics.
Limits are low (1 request/s) so the bucket empties within a handful of requests; the tests
send requests until the first 429 instead of assuming how fast the machine is."""
import os
import re
import subprocess
import tempfile
import shutil
import time

import requests

from conftest import CityTwinServer

BINARY = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
ENTITIES = "/ngsi-ld/v1/entities?type=Thing"


def make_key(db, role, tenant):
    out = subprocess.run([BINARY, "keys", "create", "--data", db, "--role", role,
                          "--tenant", tenant], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def until_limited(url, headers=None, most=100):
    """Statuses of requests sent until the first 429 (which is returned too)."""
    statuses = []
    for _ in range(most):
        response = requests.get(url, headers=headers or {}, timeout=10)
        statuses.append(response.status_code)
        if response.status_code == 429:
            return statuses, response
    raise AssertionError(f"never limited: {statuses}")


def assert_too_many(response):
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    body = response.json()
    assert body["type"] == "https://uri.etsi.org/ngsi-ld/errors/TooManyRequests"
    assert body["status"] == 429
    assert "retry after" in body["detail"]
    return retry_after


def metric(text, name, labels):
    match = re.search(re.escape(name + "{" + labels + "}") + r" (\S+)", text)
    return float(match.group(1)) if match else 0.0


def test_per_key_limit():
    data = tempfile.mkdtemp(prefix="citytwin-rate-")
    db = os.path.join(data, "db")
    admin = make_key(db, "admin", "*")
    first = make_key(db, "viewer", "")
    second = make_key(db, "viewer", "")
    server = CityTwinServer(data_dir=data, auth=True,
                            extra_args=["--rate-limit-per-s", "1", "--rate-burst", "3"]).start()
    try:
        statuses, limited = until_limited(server.url + ENTITIES, bearer(first))
        assert statuses[:3] == [200, 200, 200]  # the burst
        retry_after = assert_too_many(limited)
        # Another key has its own bucket, and public routes are never limited.
        assert requests.get(server.url + ENTITIES, headers=bearer(second)).status_code == 200
        for _ in range(10):
            assert requests.get(server.url + "/health").status_code == 200
        # Unauthenticated requests are refused 401 before any key bucket is involved.
        assert requests.get(server.url + ENTITIES).status_code == 401
        time.sleep(retry_after)
        assert requests.get(server.url + ENTITIES, headers=bearer(first)).status_code == 200
        text = requests.get(server.url + "/metrics", headers=bearer(admin)).text
        assert metric(text, "citytwin_http_rate_limited_total", 'by="key"') >= 1
        assert metric(text, "citytwin_http_rate_limited_total", 'by="ip"') == 0
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def test_per_address_limit_with_auth_off():
    server = CityTwinServer(extra_args=["--ip-rate-limit-per-s", "1", "--ip-rate-burst", "2"])
    server.start()
    try:
        statuses, limited = until_limited(server.url + ENTITIES)
        assert statuses[:2] == [200, 200]
        retry_after = assert_too_many(limited)
        writes = requests.post(server.url + "/ngsi-ld/v1/entities",
                               json={"id": "urn:ngsi-ld:Thing:1", "type": "Thing"})
        assert writes.status_code in (201, 429)  # same bucket for every route
        for _ in range(10):
            assert requests.get(server.url + "/version").status_code == 200
        time.sleep(retry_after + 1)
        text = requests.get(server.url + "/metrics").text
        assert metric(text, "citytwin_http_rate_limited_total", 'by="ip"') >= 1
        assert 'status="429"' in text
    finally:
        server.cleanup()


def test_no_limits_by_default(server):
    for _ in range(30):
        assert requests.get(server.url + ENTITIES).status_code == 200
