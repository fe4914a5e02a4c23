"""The ingestion counters of /metrics (docs/ingest.md, "Durability and errors") for the
black-box tests of the device transports."""
import requests


def ingest_outcomes(server, transport, outcome):
    """citytwin_ingest_measurements_total{transport, outcome}, 0 before the first one."""
    prefix = (f'citytwin_ingest_measurements_total{{transport="{transport}",'
              f'outcome="{outcome}"}} ')
    for line in requests.get(server.url + "/metrics").text.splitlines():
        if line.startswith(prefix):
            return int(line[len(prefix):])
    return 0
