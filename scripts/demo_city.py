#!/usr/bin/env python3
"""Generates and loads CityTwin's demo city: a few hundred Smart Data Models entities.

Also the city's U4SSC KPI statistics, local definitions and targets (demo_kpi.py).

Streetlights, air-quality stations, waste containers and parking spots spread over the
districts of a small city, all in NGSI-LD normalized form with locations, and a week of
history before OBSERVED_AT: hourly pm25, no2 and temperature of every air-quality station,
the filling level of every waste container every 3 hours; plus a year (2025) of hourly pm25
of every station, from which the KPI engine's sensor rule computes the annual mean. Deterministic (fixed seed) so the
demo and the docs show the same data. Standard library only.

    demo_city.py --print            # write the entities as a JSON array to stdout
    demo_city.py --load URL         # upsert them into a running citytwin (batches of 100) and
                                    # add their history once (POST /temporal/entities)
"""
import argparse
import datetime
import json
import math
import os
import random
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_kpi  # noqa: E402  (the demo city's U4SSC statistics, beside this script)

CENTER = (2.1734, 41.3851)  # longitude, latitude of the demo city's main square
DISTRICTS = ["Centre", "Harbour", "Old Town", "University", "Riverside", "Hillside"]
OBSERVED_AT = "2026-11-22T08:00:00Z"


def point(rng, radius_m=2500):
    """A random point within radius_m of the centre."""
    distance = radius_m * math.sqrt(rng.random())
    bearing = rng.random() * 2 * math.pi
    dlat = distance * math.cos(bearing) / 111_320
    dlon = distance * math.sin(bearing) / (111_320 * math.cos(math.radians(CENTER[1])))
    return {"type": "Point", "coordinates": [round(CENTER[0] + dlon, 6), round(CENTER[1] + dlat, 6)]}


def prop(value, **extra):
    return {"type": "Property", "value": value, **extra}


def geo(value):
    return {"type": "GeoProperty", "value": value}


def streetlights(rng, count):
    for i in range(1, count + 1):
        yield {
            "id": f"urn:ngsi-ld:Streetlight:demo:{i:04d}",
            "type": "Streetlight",
            "location": geo(point(rng)),
            "areaServed": prop(rng.choice(DISTRICTS)),
            "status": prop(rng.choices(["ok", "defectiveLamp", "columnIssue"], [90, 7, 3])[0]),
            "powerState": prop(rng.choice(["on", "off"])),
            "lanternHeight": prop(rng.choice([6, 8, 10, 12]), unitCode="MTR"),
            "illuminanceLevel": prop(round(rng.uniform(0.4, 1.0), 2)),
            "powerConsumption": prop(round(rng.uniform(40, 180), 1), unitCode="WTT",
                                     observedAt=OBSERVED_AT),
            "dateLastLampChange": prop({"@type": "DateTime",
                                        "@value": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T09:00:00Z"}),
        }


def air_quality_stations(rng, count):
    for i in range(1, count + 1):
        pm25 = round(rng.lognormvariate(2.4, 0.45), 1)
        yield {
            "id": f"urn:ngsi-ld:AirQualityObserved:demo:{i:03d}",
            "type": "AirQualityObserved",
            "location": geo(point(rng, 3000)),
            "areaServed": prop(rng.choice(DISTRICTS)),
            "dateObserved": prop({"@type": "DateTime", "@value": OBSERVED_AT}),
            "pm25": prop(pm25, unitCode="GQ", observedAt=OBSERVED_AT),
            "pm10": prop(round(pm25 * rng.uniform(1.4, 2.0), 1), unitCode="GQ", observedAt=OBSERVED_AT),
            "no2": prop(round(rng.uniform(10, 60), 1), unitCode="GQ", observedAt=OBSERVED_AT),
            "o3": prop(round(rng.uniform(20, 110), 1), unitCode="GQ", observedAt=OBSERVED_AT),
            "temperature": prop(round(rng.uniform(8, 22), 1), unitCode="CEL", observedAt=OBSERVED_AT),
            "relativeHumidity": prop(round(rng.uniform(0.35, 0.9), 2), observedAt=OBSERVED_AT),
            "airQualityLevel": prop("good" if pm25 < 15 else "moderate" if pm25 < 25 else "unhealthy"),
        }


def waste_containers(rng, count):
    for i in range(1, count + 1):
        filling = round(rng.random(), 2)
        yield {
            "id": f"urn:ngsi-ld:WasteContainer:demo:{i:04d}",
            "type": "WasteContainer",
            "location": geo(point(rng)),
            "areaServed": prop(rng.choice(DISTRICTS)),
            "fillingLevel": prop(filling, observedAt=OBSERVED_AT),
            "status": prop("ok" if filling < 0.9 else "full"),
            "category": prop([rng.choice(["underground", "surface"])]),
            "wasteType": prop(rng.choice(["organic", "paper", "glass", "plastic", "general"])),
            "temperature": prop(round(rng.uniform(5, 30), 1), unitCode="CEL", observedAt=OBSERVED_AT),
        }


def parking_spots(rng, count):
    for i in range(1, count + 1):
        yield {
            "id": f"urn:ngsi-ld:ParkingSpot:demo:{i:04d}",
            "type": "ParkingSpot",
            "location": geo(point(rng, 1500)),
            "name": prop(f"Spot {i}"),
            "status": prop(rng.choice(["free", "occupied", "occupied", "unknown"]), observedAt=OBSERVED_AT),
            "category": prop([rng.choice(["onStreet", "offStreet"])]),
            "refParkingSite": {"type": "Relationship",
                               "object": f"urn:ngsi-ld:ParkingSite:demo:{rng.randint(1, 5)}"},
        }


def demo_entities():
    rng = random.Random(20261122)
    return [*streetlights(rng, 150), *air_quality_stations(rng, 20), *waste_containers(rng, 100),
            *parking_spots(rng, 120)]


HISTORY_DAYS = 7


def instants(step_hours):
    end = datetime.datetime.fromisoformat(OBSERVED_AT.replace("Z", "+00:00"))
    steps = HISTORY_DAYS * 24 // step_hours
    return [end - datetime.timedelta(hours=step_hours * n) for n in range(steps, 0, -1)]


def stamp(instant):
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def series(values, unit=None):
    """Instances of one attribute: [(instant, value), ...] in NGSI-LD normalized form."""
    extra = {"unitCode": unit} if unit else {}
    return [prop(value, observedAt=stamp(instant), **extra) for instant, value in values]


def station_history(rng, entity):
    """Traffic-shaped pollution (peaks at 8:00 and 19:00), a daily temperature cycle."""
    base_pm25, base_no2 = entity["pm25"]["value"], entity["no2"]["value"]
    pm25, no2, temperature = [], [], []
    for instant in instants(1):
        rush = math.exp(-((instant.hour - 8) ** 2) / 4) + math.exp(-((instant.hour - 19) ** 2) / 4)
        pm25.append((instant, round(max(1.0, base_pm25 * (0.7 + 0.6 * rush) + rng.gauss(0, 1.5)), 1)))
        no2.append((instant, round(max(2.0, base_no2 * (0.5 + rush) + rng.gauss(0, 3)), 1)))
        cycle = math.sin((instant.hour - 9) / 24 * 2 * math.pi)
        temperature.append((instant, round(14 + 6 * cycle + rng.gauss(0, 0.4), 1)))
    return {"pm25": series(pm25, "GQ"), "no2": series(no2, "GQ"),
            "temperature": series(temperature, "CEL")}


def container_history(rng, entity):
    """Filling up a little every few hours, emptied when a truck passes."""
    level, levels = rng.random() * 0.5, []
    for instant in instants(3):
        level = 0.05 if level > 0.85 and rng.random() < 0.7 else min(1.0, level + rng.uniform(0.01, 0.06))
        levels.append((instant, round(level, 2)))
    return {"fillingLevel": series(levels)}


# A year of hourly PM2.5 readings of every station, for the KPI period 2025: the demo's
# sensor rule (demo_kpi.SENSOR_RULES) computes the city's annual mean from it.
SENSOR_YEAR = 2025


def station_year(rng, entity):
    """Hourly PM2.5 through SENSOR_YEAR: rush hours, a winter high, weather noise."""
    base = entity["pm25"]["value"]
    start = datetime.datetime(SENSOR_YEAR, 1, 1, tzinfo=datetime.timezone.utc)
    hours = (datetime.datetime(SENSOR_YEAR + 1, 1, 1, tzinfo=datetime.timezone.utc) - start)
    readings = []
    for n in range(int(hours.total_seconds()) // 3600):
        instant = start + datetime.timedelta(hours=n)
        rush = math.exp(-((instant.hour - 8) ** 2) / 4) + math.exp(-((instant.hour - 19) ** 2) / 4)
        winter = 1 + 0.3 * math.cos((instant.timetuple().tm_yday - 15) / 365 * 2 * math.pi)
        value = base * winter * (0.7 + 0.6 * rush) + rng.gauss(0, 1.5)
        readings.append((instant, round(max(1.0, value), 1)))
    return {"pm25": series(readings, "GQ")}


def demo_sensor_year(entities):
    rng = random.Random(20250101)
    for entity in entities:
        if entity["type"] == "AirQualityObserved":
            yield {"id": entity["id"], "type": entity["type"], **station_year(rng, entity)}


def demo_history(entities):
    rng = random.Random(20261123)
    for entity in entities:
        if entity["type"] == "AirQualityObserved":
            yield {"id": entity["id"], "type": entity["type"], **station_history(rng, entity)}
        elif entity["type"] == "WasteContainer":
            yield {"id": entity["id"], "type": entity["type"], **container_history(rng, entity)}


def auth_headers(key):
    return {"Authorization": "Bearer " + key} if key else {}


def has_history(base_url, entity_id, attribute, key=None, after=None, before=OBSERVED_AT):
    """Whether an earlier --load already added the history (so loading stays idempotent)."""
    window = ({"timerel": "between", "timeAt": after, "endTimeAt": before} if after
              else {"timerel": "before", "timeAt": before})
    query = urllib.parse.urlencode({"attrs": attribute, **window, "lastN": "1"})
    url = f"{base_url}/ngsi-ld/v1/temporal/entities/{urllib.parse.quote(entity_id, safe=':')}?{query}"
    request = urllib.request.Request(url, headers=auth_headers(key))
    with urllib.request.urlopen(request, timeout=30) as response:
        return attribute in json.load(response)


def load_history(base_url, entities, key=None):
    """The week before OBSERVED_AT, then the year SENSOR_YEAR; each only once."""
    base_url = base_url.rstrip("/")
    year = {"after": f"{SENSOR_YEAR}-01-01T00:00:00Z", "before": f"{SENSOR_YEAR + 1}-01-01T00:00:00Z"}
    pieces = [(history, {}) for history in demo_history(entities)]
    pieces += [(history, year) for history in demo_sensor_year(entities)]
    added = 0
    for history, window in pieces:
        first_attribute = next(name for name in history if name not in ("id", "type"))
        if has_history(base_url, history["id"], first_attribute, key, **window):
            continue
        request = urllib.request.Request(
            base_url + "/ngsi-ld/v1/temporal/entities", data=json.dumps(history).encode(),
            method="POST", headers={"Content-Type": "application/json", **auth_headers(key)})
        with urllib.request.urlopen(request, timeout=120) as response:
            if response.status not in (201, 204):
                raise RuntimeError(f"history failed: {response.status} {response.read()[:500]!r}")
        added += sum(len(v) for k, v in history.items() if k not in ("id", "type"))
    return added


def load(base_url, entities, batch=100, key=None):
    url = base_url.rstrip("/") + "/ngsi-ld/v1/entityOperations/upsert"
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    for start in range(0, len(entities), batch):
        body = json.dumps(entities[start:start + batch]).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status not in (201, 204):
                raise RuntimeError(f"upsert failed: {response.status} {response.read()[:500]!r}")
    return len(entities)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--print", action="store_true", help="print the entities as JSON")
    group.add_argument("--load", metavar="URL", help="upsert into citytwin at URL")
    args = parser.parse_args()
    entities = demo_entities()
    if args.print:
        json.dump(entities, sys.stdout, indent=1)
        print()
    else:
        # The key comes from the environment, not the command line, so `ps` does not show it.
        key = os.environ.get("CITYTWIN_KEY")
        print(f"loaded {load(args.load, entities, key=key)} demo entities")
        print(f"added {load_history(args.load, entities, key=key)} history instances")
        print(f"loaded {demo_kpi.load(args.load, key=key)}")


if __name__ == "__main__":
    main()
