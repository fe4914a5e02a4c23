"""Geo-queries (GS CIM 009 V1.8.1 clause 4.10; parameters clause 6.4.3.2; geoQ clause 5.2.13).

Expected answers come from a brute-force computation over the generated city: haversine
distances for "near", and exact lon/lat-plane tests for the topological relations (RFC 7946
edges are straight in lon/lat; the query shapes are axis-aligned rectangles and horizontal
lines, so the tests stay exact). Entities within a hair of a boundary are "ambiguous" and
may be in or out; everything else must be exactly right.
"""
import pytest
import requests

import city_dataset as city
from city_dataset import BASE, CENTER, encode, haversine_m, ids, query_all, types_of

ALL = city.entities()
BY_ID = {e["id"]: e for e in ALL}
EPS = 1e-7  # degrees; ~1 cm


@pytest.fixture(scope="module")
def url(server):
    city.upsert_all(server.url, ALL)
    return server.url


def geometry(entity, prop="location"):
    attr = entity.get(prop)
    return attr["value"] if attr else None


def positions(geom):
    """Every position of a Point / LineString / Polygon value."""
    coords = geom["coordinates"]
    if geom["type"] == "Point":
        return [coords]
    if geom["type"] == "LineString":
        return coords
    if geom["type"] == "Polygon":
        return [p for ring in coords for p in ring]
    raise AssertionError(geom["type"])


def box_of(geom):
    xs = [p[0] for p in positions(geom)]
    ys = [p[1] for p in positions(geom)]
    return min(xs), min(ys), max(xs), max(ys)


def check(url, params, classify, pool=ALL, prop="location"):
    """classify(geometry) -> True (must match), False (must not) or None (ambiguous)."""
    got = set(ids(query_all(url, params)))
    must, may = set(), set()
    for entity in pool:
        geom = geometry(entity, prop)
        if geom is None:
            continue
        verdict = classify(geom)
        if verdict is None:
            may.add(entity["id"])
        elif verdict:
            must.add(entity["id"])
    assert must <= got, sorted(must - got)
    assert got <= must | may, sorted(got - must - may)
    return got


def of_type(name):
    return [e for e in ALL if name in types_of(e)]


def distance_bounds(geom, point):
    """(lower, upper) bounds of the great-circle distance from `point` to the geometry."""
    distances = [haversine_m(point, p) for p in positions(geom)]
    if geom["type"] == "Point":
        return distances[0], distances[0]
    x0, y0, x1, y1 = box_of(geom)
    if geom["type"] == "Polygon" and x0 <= point[0] <= x1 and y0 <= point[1] <= y1:
        return 0.0, min(distances)
    diameter = haversine_m((x0, y0), (x1, y1))
    return max(0.0, min(distances) - diameter), min(distances)


def within_distance(limit):
    def classify(geom):
        low, high = distance_bounds(geom, CENTER)
        if high <= limit - 0.5:
            return True
        if low > limit + 0.5:
            return False
        return None
    return classify


def rect_polygon(x0, y0, x1, y1):
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def strictly_inside(p, rect):
    x0, y0, x1, y1 = rect
    if x0 + EPS < p[0] < x1 - EPS and y0 + EPS < p[1] < y1 - EPS:
        return True
    if p[0] < x0 - EPS or p[0] > x1 + EPS or p[1] < y0 - EPS or p[1] > y1 + EPS:
        return False
    return None


def geo_params(georel, geom_type, coordinates, **extra):
    import json
    return {"georel": georel, "geometry": geom_type,
            "coordinates": json.dumps(coordinates, separators=(",", ":")), **extra}


RECT = (CENTER[0] - 0.012, CENTER[1] - 0.008, CENTER[0] + 0.01, CENTER[1] + 0.015)


# --- near --------------------------------------------------------------------------------


@pytest.mark.parametrize("radius", [250, 800, 2000, 4000])
def test_near_max_distance_points(url, radius):
    got = check(url, {"type": "Streetlight",
                      **geo_params(f"near;maxDistance=={radius}", "Point", list(CENTER))},
                within_distance(radius), pool=of_type("Streetlight"))
    if radius >= 800:
        assert got


def test_near_min_distance(url):
    def outside(geom):
        verdict = within_distance(3000)(geom)
        return None if verdict is None else not verdict
    got = check(url, {"type": "Streetlight",
                      **geo_params("near;minDistance==3000", "Point", list(CENTER))},
                outside, pool=of_type("Streetlight"))
    assert got


def test_near_without_type_covers_every_geometry_kind(url):
    got = check(url, geo_params("near;maxDistance==1200", "Point", list(CENTER)),
                within_distance(1200))
    kinds = {types_of(BY_ID[i])[0] for i in got}
    assert {"Streetlight", "ParkingSpot", "AirQualityObserved"} <= kinds


def test_near_on_another_geoproperty(url):
    def classify(geom):
        d = haversine_m(CENTER, geom["coordinates"])
        return None if abs(d - 1500) < 0.5 else d <= 1500
    got = check(url, {"type": "ParkingSpot", "geoproperty": "entrance",
                      **geo_params("near;maxDistance==1500", "Point", list(CENTER))},
                classify, pool=of_type("ParkingSpot"), prop="entrance")
    assert got


def test_near_combined_with_q(url):
    pool = [e for e in of_type("Streetlight") if e["status"]["value"] == "ok"]
    check(url, {"type": "Streetlight", "q": 'status=="ok"',
                **geo_params("near;maxDistance==2000", "Point", list(CENTER))},
          within_distance(2000), pool=pool)


def test_near_with_count_and_paging(url):
    params = {"type": "Streetlight", **geo_params("near;maxDistance==2000", "Point", list(CENTER))}
    total = len(query_all(url, params))
    response = requests.get(url + BASE + "/entities",
                            params=encode({**params, "count": "true", "limit": 3}))
    assert response.status_code == 200
    assert int(response.headers["NGSILD-Results-Count"]) == total
    assert len(response.json()) == min(3, total)


# --- within / contains / intersects / disjoint / equals / overlaps -------------------------


def test_within_polygon(url):
    def classify(geom):
        verdicts = [strictly_inside(p, RECT) for p in positions(geom)]
        if all(v is True for v in verdicts):
            return True
        if any(v is False for v in verdicts):
            return False
        return None
    got = check(url, geo_params("within", "Polygon", rect_polygon(*RECT)), classify)
    kinds = {types_of(BY_ID[i])[0] for i in got}
    assert {"Streetlight", "ParkingSpot"} <= kinds


def test_within_multipolygon(url):
    west = (CENTER[0] - 0.03, CENTER[1] - 0.02, CENTER[0] - 0.01, CENTER[1])
    east = (CENTER[0] + 0.01, CENTER[1], CENTER[0] + 0.03, CENTER[1] + 0.02)

    def classify(geom):
        for rect in (west, east):
            verdicts = [strictly_inside(p, rect) for p in positions(geom)]
            if all(v is True for v in verdicts):
                return True
            if any(v is None for v in verdicts):
                return None
        return False
    got = check(url, {"type": "Streetlight,ParkingSpot",
                      **geo_params("within", "MultiPolygon",
                                   [rect_polygon(*west), rect_polygon(*east)])},
                classify, pool=of_type("Streetlight") + of_type("ParkingSpot"))
    assert got


def test_contains_point(url):
    spot = BY_ID["urn:ngsi-ld:ParkingSpot:ps-0005"]
    x0, y0, x1, y1 = box_of(geometry(spot))
    probe = [(x0 + x1) / 2, (y0 + y1) / 2]

    def classify(geom):
        if geom["type"] != "Polygon":
            return False
        return strictly_inside(probe, box_of(geom))
    got = check(url, {"type": "ParkingSpot", **geo_params("contains", "Point", probe)},
                classify, pool=of_type("ParkingSpot"))
    assert spot["id"] in got


def boxes_overlap(a, b):
    """True if the boxes share interior, False if clearly apart, None when they touch."""
    if a[0] > b[2] + EPS or b[0] > a[2] + EPS or a[1] > b[3] + EPS or b[1] > a[3] + EPS:
        return False
    if a[0] < b[2] - EPS and b[0] < a[2] - EPS and a[1] < b[3] - EPS and b[1] < a[3] - EPS:
        return True
    return None


def test_intersects_polygon(url):
    got = check(url, {"type": "ParkingSpot",
                      **geo_params("intersects", "Polygon", rect_polygon(*RECT))},
                lambda geom: boxes_overlap(box_of(geom), RECT), pool=of_type("ParkingSpot"))
    assert got


def line_hits_box(line, box):
    """A horizontal segment ((xa, y), (xb, y)) against a box (x0, y0, x1, y1)."""
    (xa, y), (xb, _) = line
    xa, xb = min(xa, xb), max(xa, xb)
    x0, y0, x1, y1 = box
    if y < y0 - EPS or y > y1 + EPS or xb < x0 - EPS or xa > x1 + EPS:
        return False
    if y0 + EPS < y < y1 - EPS and xa < x1 - EPS and xb > x0 + EPS:
        return True
    return None


def horizontal_lines():
    """Two lines, each through the middle of a known parking spot."""
    lines = []
    for spot_id in ("urn:ngsi-ld:ParkingSpot:ps-0005", "urn:ngsi-ld:ParkingSpot:ps-0033"):
        _, y0, _, y1 = box_of(geometry(BY_ID[spot_id]))
        y = round((y0 + y1) / 2, 7)
        lines.append([[CENTER[0] - 0.04, y], [CENTER[0] + 0.04, y]])
    return lines


def classify_lines(lines):
    def classify(geom):
        verdicts = [line_hits_box(line, box_of(geom)) for line in lines]
        if any(v is True for v in verdicts):
            return True
        if any(v is None for v in verdicts):
            return None
        return False
    return classify


def test_intersects_linestring(url):
    line = horizontal_lines()[0]
    got = check(url, {"type": "ParkingSpot", **geo_params("intersects", "LineString", line)},
                classify_lines([line]), pool=of_type("ParkingSpot"))
    assert got


def test_intersects_multilinestring(url):
    lines = horizontal_lines()
    check(url, {"type": "ParkingSpot", **geo_params("intersects", "MultiLineString", lines)},
          classify_lines(lines), pool=of_type("ParkingSpot"))


def test_intersects_multipoint_finds_the_points(url):
    chosen = [BY_ID[f"urn:ngsi-ld:Streetlight:sl-{i:04d}"] for i in (1, 17, 99)]
    coords = [geometry(e)["coordinates"] for e in chosen]
    got = ids(query_all(url, {"type": "Streetlight",
                              **geo_params("intersects", "MultiPoint", coords)}))
    assert got == sorted(e["id"] for e in chosen)


def test_disjoint_is_the_complement_of_intersects(url):
    def classify(geom):
        verdict = boxes_overlap(box_of(geom), RECT)
        return None if verdict is None else not verdict
    got = check(url, {"type": "ParkingSpot",
                      **geo_params("disjoint", "Polygon", rect_polygon(*RECT))},
                classify, pool=of_type("ParkingSpot"))
    assert got


def test_equals_point_and_polygon(url):
    light = BY_ID["urn:ngsi-ld:Streetlight:sl-0042"]
    got = ids(query_all(url, geo_params("equals", "Point", geometry(light)["coordinates"])))
    assert light["id"] in got
    assert all(geometry(BY_ID[i])["coordinates"] == geometry(light)["coordinates"] for i in got)
    spot = BY_ID["urn:ngsi-ld:ParkingSpot:ps-0033"]
    got = ids(query_all(url, geo_params("equals", "Polygon", geometry(spot)["coordinates"])))
    assert got == [spot["id"]]


def test_overlaps_polygon(url):
    def classify(geom):
        box = box_of(geom)
        overlap = boxes_overlap(box, RECT)
        if overlap is not True:
            return overlap
        corners = [strictly_inside(p, RECT) for p in positions(geom)]
        if any(v is None for v in corners):
            return None
        # partly in, partly out: overlaps; wholly in: within, not overlaps
        return not all(corners)
    got = check(url, {"type": "ParkingSpot",
                      **geo_params("overlaps", "Polygon", rect_polygon(*RECT))},
                classify, pool=of_type("ParkingSpot"))
    within = set(ids(query_all(url, {"type": "ParkingSpot",
                                     **geo_params("within", "Polygon", rect_polygon(*RECT))})))
    assert not got & within


# --- POST /entityOperations/query with geoQ -----------------------------------------------


@pytest.mark.parametrize("as_text", [False, True])
def test_post_query_geoq(url, as_text):
    import json
    coordinates = json.dumps(list(CENTER)) if as_text else list(CENTER)
    body = {"type": "Query", "entities": [{"type": "AirQualityObserved"}],
            "geoQ": {"georel": "near;maxDistance==2500", "geometry": "Point",
                     "coordinates": coordinates},
            "q": "NO2>20"}
    response = requests.post(url + BASE + "/entityOperations/query?limit=1000", json=body)
    assert response.status_code == 200, response.text
    pool = [e for e in of_type("AirQualityObserved") if e["NO2"]["value"] > 20]
    expected = {e["id"] for e in pool if within_distance(2500)(geometry(e))}
    maybe = {e["id"] for e in pool if within_distance(2500)(geometry(e)) is None}
    got = set(ids(response.json()))
    assert expected <= got <= expected | maybe


def test_post_query_geoq_other_geoproperty(url):
    body = {"type": "Query", "entities": [{"type": "ParkingSpot"}],
            "geoQ": {"georel": "within", "geometry": "Polygon",
                     "coordinates": rect_polygon(*RECT), "geoproperty": "entrance"}}
    response = requests.post(url + BASE + "/entityOperations/query?limit=1000", json=body)
    assert response.status_code == 200, response.text
    expected = sorted(e["id"] for e in of_type("ParkingSpot")
                      if strictly_inside(geometry(e, "entrance")["coordinates"], RECT))
    assert ids(response.json()) == expected


def test_geojson_output_of_a_geo_query(url):
    params = {"type": "Streetlight", **geo_params("near;maxDistance==800", "Point", list(CENTER))}
    response = requests.get(url + BASE + "/entities", params=encode({**params, "limit": 1000}),
                            headers={"Accept": "application/geo+json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert sorted(f["id"] for f in body["features"]) == ids(query_all(url, params))
    for feature in body["features"]:
        assert feature["geometry"] == geometry(BY_ID[feature["id"]])


# --- errors ------------------------------------------------------------------------------

BAD_GEO = [
    geo_params("nearby;maxDistance==10", "Point", list(CENTER)),
    geo_params("near", "Point", list(CENTER)),
    geo_params("near;maxDistance==abc", "Point", list(CENTER)),
    geo_params("near;maxDistance==-5", "Point", list(CENTER)),
    geo_params("near;maxDistance==100", "Polygon", rect_polygon(*RECT)),
    geo_params("within", "Circle", list(CENTER)),
    geo_params("within", "GeometryCollection", []),
    geo_params("within", "Point", [200.0, 10.0]),
    geo_params("within", "Point", [10.0, 95.0]),
    geo_params("within", "Point", [10.0]),
    geo_params("within", "Point", ["a", "b"]),
    geo_params("within", "Polygon", [[[0, 0], [1, 0], [1, 1], [0, 1]]]),
    geo_params("within", "Polygon", [[[0, 0], [1, 0], [0, 0]]]),
    geo_params("intersects", "LineString", [[0, 0]]),
    geo_params("intersects", "MultiPoint", []),
    {"georel": "within", "geometry": "Point", "coordinates": "[1,2"},
    {"georel": "within", "geometry": "Point", "coordinates": "5"},
    {"georel": "within", "geometry": "Point"},
    {"georel": "within", "coordinates": "[1,2]"},
    {"geometry": "Point", "coordinates": "[1,2]"},
]


@pytest.mark.parametrize("params", BAD_GEO, ids=[str(i) for i in range(len(BAD_GEO))])
def test_invalid_geo_query_is_400(url, params):
    response = requests.get(url + BASE + "/entities",
                            params=encode({"type": "Streetlight", **params}))
    assert response.status_code == 400, (params, response.text)
    assert response.json()["type"] in ("https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
                                       "https://uri.etsi.org/ngsi-ld/errors/InvalidRequest")


@pytest.mark.parametrize("geo_q", [
    {"georel": "near;maxDistance==10", "geometry": "Point"},
    {"georel": "within", "geometry": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
    {"georel": "bogus", "geometry": "Point", "coordinates": [0, 0]},
    "near;maxDistance==10",
])
def test_invalid_geoq_in_post_query_is_400(url, geo_q):
    body = {"type": "Query", "entities": [{"type": "Streetlight"}], "geoQ": geo_q}
    response = requests.post(url + BASE + "/entityOperations/query", json=body)
    assert response.status_code == 400, response.text


def test_geo_query_alone_is_a_valid_selector(url):
    response = requests.get(url + BASE + "/entities", params=encode(
        geo_params("near;maxDistance==100", "Point", list(CENTER))))
    assert response.status_code == 200


def test_geo_query_by_type_among_a_crowd_of_other_types(server):
    """Hundreds of entities of another type at one point (more than the R-tree candidate count
    above which the type index is intersected first): a typed geo query there finds exactly
    its own entities, with counts and paging, in its own tenant."""
    tenant = {"NGSILD-Tenant": "geocrowd"}
    point = [13.4, 52.52]
    crowd = [{"id": f"urn:ngsi-ld:Crowd:{n:04d}", "type": "Crowd",
              "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": point}}}
             for n in range(600)]
    # Ids sort among the crowd's (before, inside, after) so the join must skip in both cursors.
    mine = [{"id": f"urn:ngsi-ld:{prefix}:1", "type": "Kiosk",
             "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": point}}}
            for prefix in ("A", "Crowd:0300x", "Zed")]
    response = requests.post(server.url + BASE + "/entityOperations/upsert", json=crowd + mine,
                             headers=tenant)
    assert response.status_code in (201, 204), response.text
    params = {"type": "Kiosk", "georel": "near;maxDistance==50", "geometry": "Point",
              "coordinates": f"[{point[0]},{point[1]}]"}
    got = query_all(server.url, params, page=2, headers=tenant)
    assert sorted(e["id"] for e in got) == sorted(e["id"] for e in mine)
    response = requests.get(server.url + BASE + "/entities", headers=tenant,
                            params=encode({**params, "count": "true", "limit": 1}))
    assert response.status_code == 200
    assert response.headers["NGSILD-Results-Count"] == "3"
    assert [e["id"] for e in response.json()] == ["urn:ngsi-ld:A:1"]
    both = {**params, "type": "Kiosk,Crowd", "count": "true", "limit": 0}
    response = requests.get(server.url + BASE + "/entities", headers=tenant, params=encode(both))
    assert response.headers["NGSILD-Results-Count"] == "603"


def test_geo_query_follows_a_change_of_type_at_the_same_place(fresh_server):
    """The spatial index is kept per entity type: an entity whose types change while its
    location stays is found under its new types only, before and after a restart (which
    rebuilds the index from the stored geo and type indexes)."""
    point = [2.35, 48.85]
    stand = {"id": "urn:ngsi-ld:Stand:1", "type": "Kiosk",
             "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": point}}}
    response = requests.post(fresh_server.url + BASE + "/entities", json=stand)
    assert response.status_code == 201, response.text

    def found(types):
        params = {"type": types, "georel": "near;maxDistance==10", "geometry": "Point",
                  "coordinates": f"[{point[0]},{point[1]}]"}
        return ids(query_all(fresh_server.url, params))

    assert found("Kiosk") == ["urn:ngsi-ld:Stand:1"]
    assert found("Shop") == []
    replaced = {**stand, "type": "Shop"}
    response = requests.put(fresh_server.url + BASE + "/entities/urn:ngsi-ld:Stand:1",
                            json=replaced)
    assert response.status_code == 204, response.text
    for restarted in (False, True):
        if restarted:
            fresh_server.stop()
            fresh_server.start()
        assert found("Shop") == ["urn:ngsi-ld:Stand:1"], restarted
        assert found("Kiosk") == [], restarted
        assert found("Kiosk,Shop") == ["urn:ngsi-ld:Stand:1"], restarted
