"""Figures both soak engines report (bench/soak/soak.py): the server's memory and latency
percentiles."""
import requests


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory_breakdown(url):
    """The server's own memory gauges (MiB): RocksDB's bounded components and the allocator's
    live bytes; `other_mib` is what is neither cache nor memtable, where a leak would show."""
    try:
        text = requests.get(url + "/metrics", timeout=10).text
    except requests.RequestException:
        return {}
    storage = allocated = 0.0
    for line in text.splitlines():
        if line.startswith("citytwin_storage_memory_bytes{") and 'pinned_blocks' not in line:
            storage += float(line.rsplit(" ", 1)[1])
        elif line.startswith("citytwin_allocator_bytes{") and 'state="allocated"' in line:
            allocated = float(line.rsplit(" ", 1)[1])
    mib = 1024.0 * 1024.0
    return {"storage_mib": storage / mib, "allocated_mib": allocated / mib,
            "other_mib": (allocated - storage) / mib}


def slope_per_hour(rows, key):
    """Least-squares slope of rows[key] over the second half of the run, per hour."""
    half = [r for r in rows[len(rows) // 2:] if r.get(key) is not None]
    if len(half) < 2:
        return None
    xs = [r["t_s"] / 3600 for r in half]
    ys = [r[key] for r in half]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else None
