"""Loads the generated data set into one system and times it, or times the benchmark queries.
Used by bench/timeseries/run.sh; talks to 127.0.0.1 only.

  tsbench.py create-sensors PORT SENSORS        (the sensors as entities, before their history)
  tsbench.py load-ngsi PORT FILE THREADS        -> "<points> <seconds>"
  tsbench.py load-lp PORT PATH FILE THREADS     -> "<points> <seconds>"  (PATH: /write?...)
  tsbench.py query SYSTEM PORT SENSORS POINTS [PID]   (SYSTEM: citytwin, citytwin-aligned,
                                                     influxdb, victoriametrics)
      -> one line per query: "<name> <median ms> <check> <server CPU ms per query>
         <answer bytes> <client decoding ms>"
         (wall: from sending each request to having its whole answer, summed over the
          query's requests; the client's JSON decoding and checking are not in it, and the
          decoding is timed apart: Python's json.loads takes about 10-13 ms per MB, as long
          as some servers take to answer, and would time this client, not the server.
          CPU: the server process PID's threads' run time, from /proc/PID/task/*/schedstat,
          over the repetitions divided by their number; "-" without PID. On a machine shared
          with other work the wall time varies with the load, the CPU time much less.)
  tsbench.py query-interleaved SENSORS POINTS LABEL=SYSTEM:PORT:PID ...
      -> the same lines, each after its LABEL, for systems that run at once: every query is
         asked of each system in turn (the order turning each repetition), after one
         unmeasured round and once the servers are idle, so that a change of the machine's
         speed falls on all of them.
"""
import concurrent.futures
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse

START = 1767225600  # 2026-01-01T00:00:00Z, as tsgen
# Entities per page of the multi-sensor temporal queries: by default the largest `limit` the
# server admits (`ngsi.max_limit`, 1000 by default; a larger one is 403 TooManyResults, never
# a silently shorter page), as the peers answer every sensor in one request. TS_PAGE sets
# another size for every such query, TS_PAGE_AGGR and TS_PAGE_LAST for the aggregations and
# the last values alone (the figures before 2026-12-05 23:00 UTC used TS_PAGE_AGGR=50
# TS_PAGE_LAST=10).
PAGE = int(os.environ.get("TS_PAGE", "1000"))
PAGE_AGGR = int(os.environ.get("TS_PAGE_AGGR", PAGE))
PAGE_LAST = int(os.environ.get("TS_PAGE_LAST", PAGE))
STEP = 60
LP_BATCH = 10000
REPEAT = int(os.environ.get("TS_REPEAT", "5"))

local = threading.local()


def connection(port):
    """One kept-alive connection per thread and server (query-interleaved asks several in
    turn: a new connection per request would time its set-up too)."""
    if not hasattr(local, "conns"):
        local.conns = {}
    if port not in local.conns:
        local.conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    return local.conns[port]


def request(port, method, path, body=None, headers=None):
    conn = connection(port)
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    local.requesting = getattr(local, "requesting", 0.0) + time.perf_counter() - started
    if response.status >= 300:
        raise RuntimeError(f"{method} {path[:80]}: {response.status} {data[:300]!r}")
    return response.status, data


def load(port, bodies, threads, path, content_type):
    points = sum(count for _, count in bodies)
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda item: request(port, "POST", path, item[0],
                                           {"Content-Type": content_type}), bodies))
    return points, time.perf_counter() - started


def ngsi_bodies(file):
    with open(file, "rb") as f:
        return [(line, line.count(b'"observedAt"')) for line in f if line.strip()]


def lp_bodies(file):
    bodies, lines = [], []
    with open(file, "rb") as f:
        for line in f:
            lines.append(line)
            if len(lines) == LP_BATCH:
                bodies.append((b"".join(lines), len(lines)))
                lines = []
    if lines:
        bodies.append((b"".join(lines), len(lines)))
    return bodies


def iso(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def cpu_ns(pid):
    """Run time of every thread of the process so far, in ns (Linux schedstat)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended meanwhile
    return total


def decode(data):
    """json.loads, with its time and the answer's size counted apart (see timed)."""
    started = time.perf_counter()
    body = json.loads(data)
    local.decoding += time.perf_counter() - started
    local.answer_bytes += len(data)
    return body


def reset_counters():
    local.requesting, local.decoding, local.answer_bytes = 0.0, 0.0, 0


class Timing:
    """One query's repetitions on one system: wall and decoding ms, server CPU ns."""

    def __init__(self, pid):
        self.pid, self.samples, self.decoding, self.cpu, self.check = pid, [], [], 0, None

    def run(self, fn):
        reset_counters()
        cpu_before = cpu_ns(self.pid) if self.pid else 0
        self.check = fn()
        self.cpu += cpu_ns(self.pid) - cpu_before if self.pid else 0
        self.samples.append(local.requesting * 1000)
        self.decoding.append(local.decoding * 1000)
        self.answer_bytes = local.answer_bytes

    def line(self, name):
        cpu = f"{self.cpu / 1e6 / len(self.samples):.1f}" if self.pid else "-"
        return (f"{name} {statistics.median(self.samples):.1f} {self.check} {cpu} "
                f"{self.answer_bytes} {statistics.median(self.decoding):.1f}")


def timed(name, fn, pid=None):
    timing = Timing(pid)
    for _ in range(REPEAT):
        timing.run(fn)
    return timing.line(name)


def failed(name, error):
    """A failed query is reported, not hidden."""
    return f"{name} failed {str(error).replace(' ', '_')[:200]}"


def settle(pids, quiet_ms=20, longest_s=180):
    """Waits until the servers together use less than quiet_ms of CPU in a second (a server
    just started may merge or compact its files), at most longest_s."""
    deadline = time.monotonic() + longest_s
    while time.monotonic() < deadline:
        before = sum(cpu_ns(pid) for pid in pids)
        time.sleep(1)
        if (sum(cpu_ns(pid) for pid in pids) - before) / 1e6 < quiet_ms:
            return


def interleaved(sensors, points, systems):
    """systems: (label, system, port, pid). Prints each system's lines, as `query` would, after
    its label; every query is asked of each system in turn, once the servers are idle."""
    plans = [(label, QUERIES[system](port, sensors, points), pid)
             for label, system, port, pid in systems]
    for k in range(len(plans[0][1])):
        timings, errors = {}, {}
        for label, queries, pid in plans:
            try:
                reset_counters()
                queries[k][1]()  # unmeasured: each system's caches as warm as the others'
                timings[label] = Timing(pid)
            except Exception as error:
                errors[label] = error
        # A first read may start background work (a RocksDB compaction of files a restart
        # left marked): not the query's cost, on whichever system.
        settle([pid for _, _, pid in plans if pid])
        for repetition in range(REPEAT):
            turn = plans[repetition % len(plans):] + plans[:repetition % len(plans)]
            for label, queries, pid in turn:
                if label in errors:
                    continue
                try:
                    timings[label].run(queries[k][1])
                except Exception as error:
                    errors[label] = error
        for label, queries, _ in plans:
            name = queries[k][0]
            print(label, failed(name, errors[label]) if label in errors
                  else timings[label].line(name), flush=True)


# --- the three queries of issue #3, per system -------------------------------------------
# Q1: avg per P1D over one sensor's whole history; Q2: max per PT1H over every sensor for
# one day; Q3: the latest value of every sensor. Each returns a number to check.

def ngsi_get(port, path, params):
    _, data = request(port, "GET", path + "?" + urllib.parse.urlencode(params))
    return decode(data)


def ngsi_queries(port, sensors, points):
    end = START + points * STEP
    base = "/ngsi-ld/v1/temporal/entities"

    def q1():
        body = ngsi_get(port, base + "/urn:ngsi-ld:TemperatureSensor:s0",
                        {"attrs": "temperature", "options": "aggregatedValues",
                         "aggrMethods": "avg", "aggrPeriodDuration": "P1D", "timerel": "between",
                         "timeAt": iso(START), "endTimeAt": iso(end)})
        return len(body["temperature"]["avg"])

    def count(entity):
        temperature = entity.get("temperature")
        if temperature is None:
            return 0
        if isinstance(temperature, dict):  # aggregated: {"type", "max": [[v, start, end]...]}
            return len(temperature.get("max", []))
        return len(temperature)  # instances

    def paged(params, page):
        total = 0
        for offset in range(0, sensors, page):
            body = ngsi_get(port, base, dict(params, type="TemperatureSensor",
                                             attrs="temperature", limit=page, offset=offset))
            total += sum(count(entity) for entity in body)
        return total

    def q2():
        return paged({"options": "aggregatedValues", "aggrMethods": "max",
                      "aggrPeriodDuration": "PT1H", "timerel": "between",
                      "timeAt": iso(START), "endTimeAt": iso(START + 86400)}, PAGE_AGGR)

    last = iso(end - STEP)[:-1]  # the last generated instant, without its "Z"

    def q3():
        # Counts the sensors whose answer is the last generated point.
        def newest(entity):
            return sum(1 for instance in entity.get("temperature", [])
                       if instance.get("observedAt", "").startswith(last))
        total = 0
        for offset in range(0, sensors, PAGE_LAST):
            body = ngsi_get(port, base, {"lastN": "1", "type": "TemperatureSensor",
                                         "attrs": "temperature", "limit": PAGE_LAST,
                                         "offset": offset})
            total += sum(newest(entity) for entity in body)
        return total

    return [("avg-P1D-one-sensor", q1), ("max-PT1H-all-sensors-one-day", q2),
            ("last-value-all-sensors", q3)]


def ngsi_aligned_queries(port, sensors, points):
    """Aggregations aligned to whole hours/days, which rollups can answer (bench/timeseries/
    rollups.sh): the one-day PT1H maximum of every sensor, and the P1D average of one sensor
    and of every sensor over all the whole days of the data."""
    days = -(-points * STEP // 86400)
    base = "/ngsi-ld/v1/temporal/entities"
    whole = {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "P1D",
             "timerel": "between", "timeAt": iso(START), "endTimeAt": iso(START + days * 86400)}

    def one_sensor():
        body = ngsi_get(port, base + "/urn:ngsi-ld:TemperatureSensor:s0",
                        dict(whole, attrs="temperature"))
        return len(body["temperature"]["avg"])

    def every_sensor(params, method, page):
        total = 0
        for offset in range(0, sensors, page):
            body = ngsi_get(port, base, dict(params, type="TemperatureSensor",
                                             attrs="temperature", limit=page, offset=offset))
            total += sum(len(e.get("temperature", {}).get(method, [])) for e in body)
        return total

    def hourly_max():
        return every_sensor({"options": "aggregatedValues", "aggrMethods": "max",
                             "aggrPeriodDuration": "PT1H", "timerel": "between",
                             "timeAt": iso(START), "endTimeAt": iso(START + 86400)}, "max", PAGE_AGGR)

    return [(f"avg-P1D-one-sensor-{days}-days", one_sensor),
            (f"avg-P1D-all-sensors-{days}-days", lambda: every_sensor(whole, "avg", PAGE_AGGR)),
            ("max-PT1H-all-sensors-one-day", hourly_max)]


def influx_queries(port, sensors, points):
    end = START + points * STEP

    def query(q):
        _, data = request(port, "GET", "/query?" + urllib.parse.urlencode(
            {"db": "bench", "q": q, "epoch": "s"}))
        return decode(data)

    def rows(body):
        return sum(len(s.get("values", [])) for r in body["results"] for s in r.get("series", []))

    def q1():
        return rows(query(f"SELECT mean(value) FROM temperature WHERE sensor='s0' AND time >= "
                          f"{START}s AND time < {end}s GROUP BY time(1d) fill(none)"))

    def q2():
        return rows(query(f"SELECT max(value) FROM temperature WHERE time >= {START}s AND "
                          f"time < {START + 86400}s GROUP BY time(1h), sensor fill(none)"))

    def q3():
        return rows(query("SELECT last(value) FROM temperature GROUP BY sensor"))

    return [("avg-P1D-one-sensor", q1), ("max-PT1H-all-sensors-one-day", q2),
            ("last-value-all-sensors", q3)]


def vm_queries(port, sensors, points):
    end = START + points * STEP

    def query(path, params):
        _, data = request(port, "GET", path + "?" + urllib.parse.urlencode(params))
        return decode(data)

    def points_of(body):
        return sum(len(r.get("values", [r.get("value")])) for r in body["data"]["result"])

    days = -(-points * STEP // 86400)

    def q1():
        # Each point averages the day that ends at it (VictoriaMetrics looks back).
        return points_of(query("/api/v1/query_range", {
            "query": 'avg_over_time(temperature_value{sensor="s0"}[1d])',
            "start": START + 86400, "end": START + days * 86400, "step": "1d"}))

    def q2():
        return points_of(query("/api/v1/query_range", {
            "query": "max_over_time(temperature_value[1h])",
            "start": START + 3600, "end": START + 86400, "step": "1h"}))

    def q3():
        return points_of(query("/api/v1/query", {
            "query": "last_over_time(temperature_value[30d])", "time": end}))

    return [("avg-P1D-one-sensor", q1), ("max-PT1H-all-sensors-one-day", q2),
            ("last-value-all-sensors", q3)]


def create_sensors(port, sensors):
    """The sensors exist as entities first (their current state), as in a city. Their first
    reading is observed a step before the generated data: an instance without observedAt
    would be ordered by its modifiedAt (the time of the load), after every generated point,
    and `lastN=1` would answer it instead of the last point."""
    for start in range(0, sensors, 1000):
        batch = [{"id": f"urn:ngsi-ld:TemperatureSensor:s{i}", "type": "TemperatureSensor",
                  "temperature": {"type": "Property", "value": 0,
                                  "observedAt": iso(START - STEP)}}
                 for i in range(start, min(start + 1000, sensors))]
        request(port, "POST", "/ngsi-ld/v1/entityOperations/upsert", json.dumps(batch),
                {"Content-Type": "application/json"})


QUERIES = {"citytwin": ngsi_queries, "citytwin-aligned": ngsi_aligned_queries,
           "influxdb": influx_queries, "victoriametrics": vm_queries}


def main():
    command = sys.argv[1]
    if command == "create-sensors":
        create_sensors(int(sys.argv[2]), int(sys.argv[3]))
    elif command == "load-ngsi":
        port, file, threads = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
        points, seconds = load(port, ngsi_bodies(file), threads, "/ngsi-ld/v1/temporal/entities",
                               "application/json")
        print(points, f"{seconds:.3f}")
    elif command == "load-lp":
        port, path, file, threads = int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
        points, seconds = load(port, lp_bodies(file), threads, path, "text/plain")
        print(points, f"{seconds:.3f}")
    elif command == "query":
        system, port = sys.argv[2], int(sys.argv[3])
        sensors, points = int(sys.argv[4]), int(sys.argv[5])
        pid = int(sys.argv[6]) if len(sys.argv) > 6 else None
        for name, fn in QUERIES[system](port, sensors, points):
            try:
                print(timed(name, fn, pid), flush=True)
            except Exception as error:
                print(failed(name, error), flush=True)
    elif command == "query-interleaved":
        sensors, points = int(sys.argv[2]), int(sys.argv[3])
        systems = []
        for spec in sys.argv[4:]:
            label, rest = spec.split("=", 1)
            system, port, pid = rest.split(":")
            systems.append((label, system, int(port), int(pid) if pid else None))
        interleaved(sensors, points, systems)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
