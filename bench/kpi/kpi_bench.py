#!/usr/bin/env python3
"""KPI benchmark (issue #8): computing all KPIs of a city with SENSORS sensors and a year of
history. Talks to a running citytwin on 127.0.0.1:PORT (bench/kpi/run.sh starts one).

Loads (untimed) SENSORS sensors inside the city's boundary (60 % AirQualityObserved with
pm25, 40 % NoiseLevelObserved with LAeq) with SAMPLES_PER_DAY readings a day through 2025,
the demo city's statistics (scripts/demo_kpi.py, city "bench") and two sensor rules, and
waits until the history compaction has put the year into compressed chunks. Then times,
median of REPEAT runs:
  rules    POST /kpi/v1/rules/evaluate {city, period 2025}: both rules walk every sensor's
           year of history, import the two values and recompute the KPIs that use them
  import   POST /kpi/v1/inputs: the city's 97 statistics for 2025, every KPI recomputed
  assess   GET /kpi/v1/assessment: all 91 KPIs with status, trends and summaries
and prints a Markdown table.

    kpi_bench.py PORT SENSORS SAMPLES_PER_DAY [REPEAT]
"""
import concurrent.futures
import datetime
import http.client
import json
import math
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import demo_kpi  # noqa: E402

CITY = "bench"
# The city's boundary (lon/lat), and the sensors on a grid inside it.
WEST, SOUTH, EAST, NORTH = 2.05, 41.30, 2.25, 41.46
BOUNDARY = [[[WEST, SOUTH], [EAST, SOUTH], [EAST, NORTH], [WEST, NORTH], [WEST, SOUTH]]]
local = threading.local()


def exchange(port, method, path, body, headers):
    if getattr(local, "conn", None) is None:
        local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    local.conn.request(method, path, body=body, headers=headers)
    response = local.conn.getresponse()
    return response, response.read()


def request(port, method, path, body=None, content_type="application/json"):
    headers = {"Content-Type": content_type} if body is not None else {}
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    try:
        response, data = exchange(port, method, path, body, headers)
    except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
        # The server closes keep-alive connections left idle (during the long load).
        local.conn = None
        response, data = exchange(port, method, path, body, headers)
    if response.status >= 300:
        raise RuntimeError(f"{method} {path[:80]}: {response.status} {data[:300]!r}")
    return json.loads(data) if data else None


def sensor(index, sensors):
    side = math.ceil(math.sqrt(sensors))
    lon = WEST + (EAST - WEST) * ((index % side) + 0.5) / side
    lat = SOUTH + (NORTH - SOUTH) * ((index // side) + 0.5) / side
    air = index % 5 < 3
    kind, attribute = ("AirQualityObserved", "pm25") if air else ("NoiseLevelObserved", "LAeq")
    return {"id": f"urn:ngsi-ld:{kind}:bench-{index}", "type": kind,
            attribute: {"type": "Property", "value": 0},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}}


def history_body(entity, stamps, index):
    attribute = "pm25" if entity["type"] == "AirQualityObserved" else "LAeq"
    base, swing = (12.0 + index % 9, 8.0) if attribute == "pm25" else (52.0 + index % 7, 9.0)
    parts = []
    for n, stamp in enumerate(stamps):
        # a daily cycle plus a slow seasonal drift; deterministic
        value = base + swing * math.sin(n * 0.2618 + index) + 3.0 * math.sin(n / 500.0)
        parts.append('{"type":"Property","value":%.1f,"observedAt":"%s"}' % (value, stamp))
    return '{"id":"%s","type":"%s","%s":[%s]}' % (entity["id"], entity["type"], attribute,
                                                 ",".join(parts))


def load(port, sensors, per_day):
    entities = [sensor(i, sensors) for i in range(sensors)]
    for start in range(0, sensors, 1000):
        request(port, "POST", "/ngsi-ld/v1/entityOperations/upsert", entities[start:start + 1000])
    step = datetime.timedelta(seconds=86400 // per_day)
    first = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    stamps = [(first + step * n).strftime("%Y-%m-%dT%H:%M:%SZ") for n in range(365 * per_day)]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: request(port, "POST", "/ngsi-ld/v1/temporal/entities",
                                        history_body(entities[i], stamps, i)), range(sensors)))
    return sensors * len(stamps), time.perf_counter() - started


def compaction_passes(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    return int(next(line.split()[1] for line in text.splitlines()
                    if line.startswith("citytwin_history_compaction_passes ")))


def wait_for_compaction(port):
    """Two more completed compaction passes: the second started after the load, so the
    history is in compressed chunks, as in a city that has been running for the year."""
    started = time.perf_counter()
    target = compaction_passes(port) + 2
    while compaction_passes(port) < target:
        time.sleep(0.5)
    return time.perf_counter() - started


def setup_kpis(port):
    # Bench-tenant local definitions fed by the sensor rules (docs/kpi.md, "Sensor-derived
    # inputs"): PM2.5 as an annual mean concentration, and the share of days whose mean
    # noise level is above 55 dB(A).
    request(port, "PUT", "/kpi/v1/definitions/EN.EN.AQ.1C",
            {"numerator": {"name": "pm25_annual_mean", "unit": "ug/m3"}, "unit": "ug/m3"})
    request(port, "PUT", "/kpi/v1/definitions/EN.EN.EQ.2A",
            {"numerator": {"name": "noise_days_above_55", "unit": "percent"}, "unit": "percent"})
    request(port, "PUT", "/kpi/v1/rules/pm25_annual_mean",
            {"city": CITY, "entityType": "AirQualityObserved", "attribute": "pm25",
             "geoQ": {"geometry": "Polygon", "georel": "within", "coordinates": BOUNDARY},
             "aggregation": "mean", "unit": "ug/m3"})
    request(port, "PUT", "/kpi/v1/rules/noise_days_above_55",
            {"city": CITY, "entityType": "NoiseLevelObserved", "attribute": "LAeq",
             "aggregation": "shareOfDaysAbove", "threshold": 55, "unit": "percent"})
    for code, definition in demo_kpi.LOCAL_DEFINITIONS.items():
        request(port, "PUT", "/kpi/v1/definitions/" + code, definition)


def statistics_csv():
    """The demo city's statistics as those of the bench city (without the districts)."""
    lines = demo_kpi.csv_text().splitlines()
    return "\n".join([lines[0]] + [CITY + line[len("demo"):] for line in lines[1:]
                                    if line.startswith("demo,")]) + "\n"


def server_cpu_seconds():
    """User + system CPU time of the server (KPI_SERVER_PID), or None: on a shared machine the
    wall time of a timed call includes waiting for the CPU, its CPU time does not."""
    pid = os.environ.get("KPI_SERVER_PID")
    if not pid:
        return None
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn, repeat):
    """Median wall seconds and median server CPU seconds (None without a pid) of `repeat`
    runs, and the last result."""
    runs, cpu, result = [], [], None
    for _ in range(repeat):
        cpu_before = server_cpu_seconds()
        started = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - started)
        if cpu_before is not None:
            cpu.append(server_cpu_seconds() - cpu_before)
    return statistics.median(runs), (statistics.median(cpu) if cpu else None), result


def main():
    port, sensors, per_day = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    samples, load_seconds = load(port, sensors, per_day)
    compact_seconds = wait_for_compaction(port)
    setup_kpis(port)
    csv = statistics_csv()
    request(port, "POST", "/kpi/v1/inputs", csv, "text/csv")  # earlier years, untimed
    csv_2025 = "\n".join(line for line in csv.splitlines()
                         if line.startswith("city,") or ",2025," in line) + "\n"
    rules_s, rules_cpu, evaluation = timed(lambda: request(port, "POST", "/kpi/v1/rules/evaluate",
                                                {"city": CITY, "period": "2025"}), repeat)
    import_s, import_cpu, imported = timed(lambda: request(port, "POST", "/kpi/v1/inputs", csv_2025,
                                               "text/csv"), repeat)
    assess_s, assess_cpu, assessment = timed(lambda: request(port, "GET",
                                                 f"/kpi/v1/assessment?city={CITY}&period=2025"),
                                 repeat)
    assert not evaluation["skipped"], evaluation
    values = {k["code"]: k["value"] for k in assessment["kpis"]}
    print(f"| sensors | samples (a year) | load samples/s | rules evaluate s | "
          f"statistics import s | assessment s | total s | KPIs with a value |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {sensors:,} | {samples:,} | {samples / load_seconds:,.0f} | {rules_s:.2f} | "
          f"{import_s:.2f} | {assess_s:.2f} | {rules_s + import_s + assess_s:.2f} | "
          f"{sum(v is not None for v in values.values())} of {len(values)} |")
    print(f"\nhistory compaction after the load: {compact_seconds:.1f} s; load average "
          f"{os.getloadavg()[0]:.1f}")
    if rules_cpu is not None:
        print(f"server CPU seconds (median): rules {rules_cpu:.2f}, import {import_cpu:.2f}, "
              f"assessment {assess_cpu:.2f}, total {rules_cpu + import_cpu + assess_cpu:.2f}")
    print(f"rules: {evaluation['rows']} inputs, {evaluation['results']} results; import: "
          f"{imported['rows']} rows, {imported['results']} results; EN.EN.AQ.1C = "
          f"{values['EN.EN.AQ.1C']}, EN.EN.EQ.2A = {values['EN.EN.EQ.2A']}")


if __name__ == "__main__":
    main()
