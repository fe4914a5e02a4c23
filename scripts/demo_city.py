#!/usr/bin/env python3
"""Generates and loads CityTwin's demo city: a few hundred Smart Data Models entities.

Streetlights, air-quality stations, waste containers and parking spots spread over the
districts of a small city, all in NGSI-LD normalized form with locations. Deterministic
(fixed seed) so the demo and the docs show the same data. Standard library only.

    demo_city.py --print            # write the entities as a JSON array to stdout
    demo_city.py --load URL         # upsert them into a running citytwin (batches of 100)
"""
import argparse
import json
import math
import os
import random
import sys
import urllib.request

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


if __name__ == "__main__":
    main()
