"""Provisions the MQTT device benchmarks' service group and devices (127.0.0.1 only).

    provision.py BASE_URL COUNT

Group: apikey "bench", entity type Thing, UltraLight `t` -> temperature and `h` -> humidity
(Numbers). Devices dev0..dev<COUNT-1>, entity urn:ngsi-ld:Thing:dev<k>, transport MQTT,
1000 per request. Provisioned up front: autoprovisioning persists each new device on its own
(one fsync each), a different and slower path than measures.
"""
import json
import sys
import urllib.request


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=600).read()


def main():
    base, count = sys.argv[1].rstrip("/"), int(sys.argv[2])
    post(base + "/iot/services", {"services": [{
        "apikey": "bench", "entity_type": "Thing", "resource": "/iot/d",
        "attributes": [{"object_id": "t", "name": "temperature", "type": "Number"},
                       {"object_id": "h", "name": "humidity", "type": "Number"}]}]})
    for start in range(0, count, 1000):
        post(base + "/iot/devices", {"devices": [
            {"device_id": f"dev{k}", "entity_name": f"urn:ngsi-ld:Thing:dev{k}",
             "entity_type": "Thing", "apikey": "bench", "protocol": "IoTA-UL",
             "transport": "MQTT"} for k in range(start, min(count, start + 1000))]})


if __name__ == "__main__":
    main()
