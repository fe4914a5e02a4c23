"""A deterministic synthetic city for the query, geo, batch and discovery tests.

Every entity is generated from a fixed seed, so each test can compute the expected answer of
a query by brute force over `entities()` and compare it with what the broker returns.
Entities are in the NGSI-LD normalized form with the core @context only (names expand to the
default vocabulary), which keeps the tests independent of any network @context.
"""
import math
import random
import urllib.parse

import requests

BASE = "/ngsi-ld/v1"
CENTER = (-3.7038, 40.4168)  # Puerta del Sol, Madrid (lon, lat)
DISTRICTS = ["Centro", "Retiro", "Salamanca", "Chamberi"]
EARTH_RADIUS_M = 6371008.8  # IUGG mean radius, what haversine-based brokers use


def haversine_m(a, b):
    """Great-circle distance in metres between two (lon, lat) positions."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((lat2 - lat1) / 2) ** 2 +
         math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def prop(value, **extra):
    return {"type": "Property", "value": value, **extra}


def rel(target):
    return {"type": "Relationship", "object": target}


def point(lon, lat):
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}


def _near_center(rnd, spread=0.03):
    return (round(CENTER[0] + rnd.uniform(-spread, spread), 6),
            round(CENTER[1] + rnd.uniform(-spread, spread), 6))


def _date(rnd, year_from=2023):
    return f"{rnd.randint(year_from, 2025)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"


def _date_time(rnd):
    return (f"{_date(rnd)}T{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:"
            f"{rnd.randint(0, 59):02d}Z")


def _streetlight(rnd, i):
    lon, lat = _near_center(rnd)
    district = DISTRICTS[i % len(DISTRICTS)]
    entity = {
        "id": f"urn:ngsi-ld:Streetlight:sl-{i:04d}",
        "type": "Streetlight",
        "status": prop(rnd.choice(["ok", "defective", "off"])),
        "powerConsumption": prop(round(rnd.uniform(10, 120), 2), unitCode="WTT"),
        "lampHeight": prop(rnd.randint(4, 12)),
        "lanternModel": prop(rnd.choice(["LED-A100", "LED-B200", "Sodium-S1", "led-a100"])),
        "isPublic": prop(i % 3 != 0),
        "dateLastSwitchingOn": prop({"@type": "DateTime", "@value": _date_time(rnd)}),
        "switchingTime": prop(f"{rnd.randint(17, 21):02d}:{rnd.choice([0, 15, 30, 45]):02d}:00Z"),
        "refStreetlightGroup": rel(f"urn:ngsi-ld:StreetlightGroup:g{i % 7}"),
        "location": point(lon, lat),
        "scope": [f"/Madrid/{district}/Lighting"],
    }
    if i % 5 == 0:
        del entity["lanternModel"]  # for existence / non-existence
    return entity


def _air_quality(rnd, i):
    lon, lat = _near_center(rnd, 0.05)
    district = DISTRICTS[i % len(DISTRICTS)]
    flag = "validated" if i % 2 == 0 else "raw"
    return {
        "id": f"urn:ngsi-ld:AirQualityObserved:aq-{i:04d}",
        "type": "AirQualityObserved",
        "pm25": prop(round(rnd.uniform(0, 60), 1), unitCode="GQ",
                     observedAt=_date_time(rnd),
                     qualityFlag=prop(flag)),
        "NO2": prop(rnd.randint(5, 90)),
        "airQualityLevel": prop(rnd.choice(["good", "moderate", "unhealthy"])),
        "dateObserved": prop(_date(rnd)),
        "isIndoor": prop(i % 4 == 0),
        "address": prop({"streetAddress": f"Calle {i}",
                         "addressLocality": rnd.choice(["Madrid", "Getafe"]),
                         "postal": {"code": f"280{i % 20:02d}"}}),
        "name": prop(f"Station \"{i}\" at {district}" if i % 10 == 0 else f"Station {i}"),
        "location": point(lon, lat),
        "scope": [f"/Madrid/{district}/Air", "/Sensors/Environment"],
    }


def _parking_spot(rnd, i):
    lon, lat = _near_center(rnd, 0.04)
    d = 0.0004
    square = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    district = DISTRICTS[i % len(DISTRICTS)]
    entity = {
        "id": f"urn:ngsi-ld:ParkingSpot:ps-{i:04d}",
        "type": "ParkingSpot",
        "status": prop(rnd.choice(["free", "occupied", "closed"])),
        "category": prop(rnd.sample(["onStreet", "forDisabled", "forElectricCharging",
                                     "shortTerm"], k=rnd.randint(1, 3))),
        "location": {"type": "GeoProperty", "value": {"type": "Polygon", "coordinates": [square]}},
        "entrance": point(round(lon + d / 2, 7), lat),
        "refParkingSite": rel(f"urn:ngsi-ld:ParkingSite:site-{i % 5}"),
        "scope": [f"/Madrid/{district}/Parking"],
    }
    return entity


def _waste_container(rnd, i):
    entity = {
        "id": f"urn:ngsi-ld:WasteContainer:wc-{i:04d}",
        "type": ["WasteContainer", "Device"] if i % 4 == 0 else "WasteContainer",
        "fillingLevel": prop(round(rnd.uniform(0, 1), 3)),
        "wasteType": prop(rnd.choice(["organic", "paper", "glass"])),
        "nextCollection": prop(_date(rnd, 2025)),
        "serialNumber": prop(f"SN-{rnd.randint(1000, 9999)}"),
    }
    if i % 3 != 0:
        lon, lat = _near_center(rnd, 0.06)
        entity["location"] = point(lon, lat)
        entity["scope"] = [f"/Madrid/{DISTRICTS[i % len(DISTRICTS)]}/Waste"]
    return entity


def _roads(rnd):
    """A few LineString / MultiPoint / MultiPolygon entities for the geo relations."""
    out = []
    for i in range(20):
        lon, lat = _near_center(rnd, 0.04)
        out.append({
            "id": f"urn:ngsi-ld:RoadSegment:rs-{i:03d}",
            "type": "RoadSegment",
            "laneCount": prop(rnd.randint(1, 4)),
            "location": {"type": "GeoProperty", "value": {
                "type": "LineString",
                "coordinates": [[lon, lat], [round(lon + 0.002, 6), round(lat + 0.001, 6)]]}},
        })
    return out


def entities(seed=20261122):
    rnd = random.Random(seed)
    out = []
    out += [_streetlight(rnd, i) for i in range(120)]
    out += [_air_quality(rnd, i) for i in range(100)]
    out += [_parking_spot(rnd, i) for i in range(80)]
    out += [_waste_container(rnd, i) for i in range(60)]
    out += _roads(rnd)
    return out


def types_of(entity):
    return entity["type"] if isinstance(entity["type"], list) else [entity["type"]]


def value_of(entity, name):
    attr = entity.get(name)
    if attr is None:
        return None
    value = attr.get("value", attr.get("object"))
    if isinstance(value, dict) and "@value" in value:
        return value["@value"]
    return value


def upsert_all(url, items, chunk=500):
    for start in range(0, len(items), chunk):
        response = requests.post(url + BASE + "/entityOperations/upsert",
                                 json=items[start:start + chunk])
        assert response.status_code in (201, 204), response.text


def encode(params):
    """Query string with spaces as %20: the broker keeps '+' literally (a scopeQ wildcard)."""
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def query_all(url, params, page=100, headers=None):
    """Follows limit/offset paging and returns every entity of a GET /entities query."""
    out = []
    offset = 0
    while True:
        response = requests.get(url + BASE + "/entities",
                                params=encode({**params, "limit": page, "offset": offset}),
                                headers=headers)
        assert response.status_code == 200, response.text
        batch = response.json()
        out += batch
        if len(batch) < page:
            return out
        offset += page


def ids(items):
    return sorted(item["id"] for item in items)
