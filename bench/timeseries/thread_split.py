"""How one query's server CPU splits over the server's threads (a page read in parallel:
docs/timeseries.md, "A page's entities in parallel"). Asks the issue #3 multi-sensor query
REPEAT times (after one warm-up) and prints, per request, the wall time and the CPU each
thread of the server used meanwhile (/proc/PID/task/*/schedstat; threads under 0.5 ms left
out). The busiest thread bounds the wall time on otherwise idle cores. 127.0.0.1 only.

  thread_split.py PID PORT last|max [SENSORS]   (env REPEAT, default 5)
"""
import os
import sys
import time
import urllib.parse
import urllib.request

START = "2026-01-01T00:00:00Z"  # as tsgen
DAY_END = "2026-01-02T00:00:00Z"


def thread_cpu_ns(pid):
    out = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                out[task] = int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def main():
    pid, port, which = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    sensors = sys.argv[4] if len(sys.argv) > 4 else "1000"
    params = {"type": "TemperatureSensor", "attrs": "temperature", "limit": sensors}
    if which == "last":
        params["lastN"] = "1"
    else:
        params.update({"options": "aggregatedValues", "aggrMethods": "max",
                       "aggrPeriodDuration": "PT1H", "timerel": "between", "timeAt": START,
                       "endTimeAt": DAY_END})
    url = (f"http://127.0.0.1:{port}/ngsi-ld/v1/temporal/entities?"
           + urllib.parse.urlencode(params))
    urllib.request.urlopen(url).read()
    for _ in range(int(os.environ.get("REPEAT", "5"))):
        before = thread_cpu_ns(pid)
        started = time.perf_counter()
        urllib.request.urlopen(url).read()
        wall = (time.perf_counter() - started) * 1000
        after = thread_cpu_ns(pid)
        used = sorted(((after[t] - before.get(t, 0)) / 1e6 for t in after), reverse=True)
        used = [round(ms, 1) for ms in used if ms > 0.5]
        print(f"{which} wall {wall:.1f} ms, threads' CPU ms {used}, total {sum(used):.1f}")


if __name__ == "__main__":
    main()
