#!/usr/bin/env python3
"""CPU and output of RocksDB's compactions per column family, from a database's LOG.

    bench/rocksdb_compactions.py DATA/rocksdb/LOG

Reads the `compaction_finished` events (EVENT_LOG_v1 lines) and the "[family] [JOB n]" lines
that name each job's family; prints one Markdown row per family, most CPU first. The LOG
covers only the server's current run (RocksDB renames older ones to LOG.old.*).
"""
import collections
import json
import re
import sys

JOB = re.compile(r"\[([A-Za-z0-9_]+)\] \[JOB (\d+)\]")


def main(path):
    family_of = {}
    cpu_us = collections.Counter()
    output = collections.Counter()
    count = collections.Counter()
    with open(path, errors="replace") as log:
        for line in log:
            named = JOB.search(line)
            if named:
                family_of.setdefault(named.group(2), named.group(1))
            if "EVENT_LOG_v1" not in line:
                continue
            event = json.loads(line[line.index("{"):])
            if event.get("event") != "compaction_finished":
                continue
            family = family_of.get(str(event.get("job")), "?")
            cpu_us[family] += event.get("compaction_time_cpu_micros", 0)
            output[family] += event.get("total_output_size", 0)
            count[family] += 1
    print("| family | compactions | CPU ms | output MB |")
    print("| --- | ---: | ---: | ---: |")
    for family in sorted(cpu_us, key=lambda name: -cpu_us[name]):
        print(f"| {family} | {count[family]} | {cpu_us[family] / 1000:.0f} |"
              f" {output[family] / 1e6:.1f} |")
    print(f"| all | {sum(count.values())} | {sum(cpu_us.values()) / 1000:.0f} |"
          f" {sum(output.values()) / 1e6:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1])
