"""Query Entities: GET /ngsi-ld/v1/entities and POST /entityOperations/query
(GS CIM 009 V1.8.1 clauses 5.7.2, 6.4.3.2, 6.23; q language 4.9, type expressions 4.17,
scopeQ 4.19). Every expected answer is computed by brute force over the generated city."""
import datetime
import http.client
import re

import pytest
import requests

import city_dataset as city
from city_dataset import BASE, encode, ids, query_all, value_of, types_of

ALL = city.entities()
BY_ID = {e["id"]: e for e in ALL}
PROBLEM_PREFIX = "https://uri.etsi.org/ngsi-ld/errors/"


@pytest.fixture(scope="module")
def url(server):
    city.upsert_all(server.url, ALL)
    return server.url


def expect(predicate, pool=ALL):
    return sorted(e["id"] for e in pool if predicate(e))


def get(url, params, **kwargs):
    return requests.get(url + BASE + "/entities", params=encode(params), **kwargs)


def assert_problem(response, status, kind):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] == PROBLEM_PREFIX + kind, body
    assert body["status"] == status
    assert body["title"]


def has(e, name):
    return name in e


def num(e, name):
    v = value_of(e, name)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def instant(text):
    text = text.replace("Z", "+00:00")
    if "T" not in text:
        text += "T00:00:00+00:00"
    return datetime.datetime.fromisoformat(text)


# --- id, idPattern, type -----------------------------------------------------------------


def test_id_list_returns_only_existing_ids(url):
    wanted = ["urn:ngsi-ld:Streetlight:sl-0003", "urn:ngsi-ld:ParkingSpot:ps-0010",
              "urn:ngsi-ld:Streetlight:does-not-exist"]
    got = get(url, {"id": ",".join(wanted)}).json()
    assert ids(got) == sorted(wanted[:2])


def test_id_list_combined_with_type_is_an_and(url):
    wanted = ["urn:ngsi-ld:Streetlight:sl-0003", "urn:ngsi-ld:ParkingSpot:ps-0010"]
    got = get(url, {"id": ",".join(wanted), "type": "ParkingSpot"}).json()
    assert ids(got) == ["urn:ngsi-ld:ParkingSpot:ps-0010"]


def test_id_takes_precedence_over_id_pattern(url):
    # clause 5.2.33 EntitySelector: "id takes precedence over idPattern"
    got = get(url, {"id": "urn:ngsi-ld:Streetlight:sl-0003", "idPattern": "^nothing$"}).json()
    assert ids(got) == ["urn:ngsi-ld:Streetlight:sl-0003"]
    body = {"type": "Query", "entities": [{"id": "urn:ngsi-ld:Streetlight:sl-0003",
                                           "idPattern": "^nothing$", "type": "Streetlight"}]}
    response = requests.post(url + BASE + "/entityOperations/query", json=body)
    assert ids(response.json()) == ["urn:ngsi-ld:Streetlight:sl-0003"]


@pytest.mark.parametrize("pattern", [
    "^urn:ngsi-ld:Streetlight:sl-00[0-4]",
    "sl-01.*",
    "ps-00(1|2)[05]$",
    ":(aq|wc)-000",
])
def test_id_pattern_is_a_regular_expression_search(url, pattern):
    got = query_all(url, {"idPattern": pattern})
    assert ids(got) == expect(lambda e: re.search(pattern, e["id"]) is not None)


def test_id_pattern_with_type(url):
    got = query_all(url, {"idPattern": "-00[0-2]", "type": "AirQualityObserved"})
    assert ids(got) == expect(lambda e: "AirQualityObserved" in types_of(e) and
                              re.search("-00[0-2]", e["id"]))


@pytest.mark.parametrize("expression,predicate", [
    ("Streetlight", lambda t: "Streetlight" in t),
    ("Streetlight,ParkingSpot", lambda t: "Streetlight" in t or "ParkingSpot" in t),
    ("Streetlight|RoadSegment", lambda t: "Streetlight" in t or "RoadSegment" in t),
    ("Device", lambda t: "Device" in t),
    ("WasteContainer;Device", lambda t: "WasteContainer" in t and "Device" in t),
    ("(WasteContainer;Device)|RoadSegment",
     lambda t: ("WasteContainer" in t and "Device" in t) or "RoadSegment" in t),
    ("RoadSegment|(Device;WasteContainer),ParkingSpot",
     lambda t: "RoadSegment" in t or ("WasteContainer" in t and "Device" in t) or
     "ParkingSpot" in t),
    ("Device;(WasteContainer|Streetlight)",
     lambda t: "Device" in t and ("WasteContainer" in t or "Streetlight" in t)),
    ("NoSuchType", lambda t: False),
])
def test_type_expressions(url, expression, predicate):
    got = query_all(url, {"type": expression})
    assert ids(got) == expect(lambda e: predicate(types_of(e)))


# --- attrs -------------------------------------------------------------------------------


def test_attrs_selects_entities_having_any_and_projects(url):
    got = query_all(url, {"attrs": "lanternModel,NO2"})
    assert ids(got) == expect(lambda e: has(e, "lanternModel") or has(e, "NO2"))
    for entity in got:
        # "scope" is an entity member, not an attribute (clause 4.18): a projection may keep it
        extra = set(entity) - {"id", "type", "scope"}
        assert extra and extra <= {"lanternModel", "NO2"}, entity


def test_attrs_with_type_projects_the_type_s_entities(url):
    got = query_all(url, {"type": "Streetlight", "attrs": "status"})
    assert ids(got) == expect(lambda e: "Streetlight" in types_of(e))
    assert all(set(e) - {"scope"} == {"id", "type", "status"} for e in got)


# --- q -----------------------------------------------------------------------------------

Q_CASES = [
    ("powerConsumption>50", lambda e: (num(e, "powerConsumption") or 0) > 50),
    ("powerConsumption>=50.5", lambda e: num(e, "powerConsumption") is not None and
     num(e, "powerConsumption") >= 50.5),
    ("powerConsumption<20", lambda e: num(e, "powerConsumption") is not None and
     num(e, "powerConsumption") < 20),
    ("NO2<=10", lambda e: num(e, "NO2") is not None and num(e, "NO2") <= 10),
    ("lampHeight==5", lambda e: num(e, "lampHeight") == 5),
    ("lampHeight==5,7,11", lambda e: num(e, "lampHeight") in (5, 7, 11)),
    ("lampHeight==5..8", lambda e: num(e, "lampHeight") is not None and
     5 <= num(e, "lampHeight") <= 8),
    ("lampHeight!=5..8", lambda e: num(e, "lampHeight") is not None and
     not 5 <= num(e, "lampHeight") <= 8),
    ("lampHeight!=4,12", lambda e: num(e, "lampHeight") not in (None, 4, 12)),
    ("fillingLevel==0.25..0.5", lambda e: num(e, "fillingLevel") is not None and
     0.25 <= num(e, "fillingLevel") <= 0.5),
    ('status=="ok"', lambda e: value_of(e, "status") == "ok"),
    ("status==ok", lambda e: value_of(e, "status") == "ok"),
    ('status=="free","closed"', lambda e: value_of(e, "status") in ("free", "closed")),
    ('status!="ok"', lambda e: has(e, "status") and value_of(e, "status") != "ok"),
    ('airQualityLevel=="good".."moderate"',
     lambda e: has(e, "airQualityLevel") and "good" <= value_of(e, "airQualityLevel") <= "moderate"),
    ("lanternModel~=LED-.*", lambda e: re.search("LED-.*", value_of(e, "lanternModel") or "")),
    ('lanternModel~="^led"', lambda e: re.search("^led", value_of(e, "lanternModel") or "")),
    ("lanternModel!~=^LED", lambda e: has(e, "lanternModel") and
     not re.search("^LED", value_of(e, "lanternModel"))),
    ("isPublic==true", lambda e: value_of(e, "isPublic") is True),
    ("isPublic==false", lambda e: value_of(e, "isPublic") is False),
    ("isIndoor==true;NO2>40", lambda e: value_of(e, "isIndoor") is True and num(e, "NO2") > 40),
    ("dateLastSwitchingOn>2024-06-01T00:00:00Z",
     lambda e: has(e, "dateLastSwitchingOn") and
     instant(value_of(e, "dateLastSwitchingOn")) > instant("2024-06-01T00:00:00Z")),
    ("dateLastSwitchingOn==2024-01-01T00:00:00Z..2024-12-31T23:59:59Z",
     lambda e: has(e, "dateLastSwitchingOn") and
     instant("2024-01-01T00:00:00Z") <= instant(value_of(e, "dateLastSwitchingOn")) <=
     instant("2024-12-31T23:59:59Z")),
    ("dateObserved>=2025-01-01", lambda e: has(e, "dateObserved") and
     instant(value_of(e, "dateObserved")) >= instant("2025-01-01")),
    ("nextCollection<2025-03-01", lambda e: has(e, "nextCollection") and
     instant(value_of(e, "nextCollection")) < instant("2025-03-01")),
    ("switchingTime<19:00:00Z", lambda e: has(e, "switchingTime") and
     value_of(e, "switchingTime") < "19:00:00Z"),
    ('pm25.qualityFlag=="validated"',
     lambda e: has(e, "pm25") and e["pm25"]["qualityFlag"]["value"] == "validated"),
    ("pm25.observedAt>2024-07-01T00:00:00Z",
     lambda e: has(e, "pm25") and
     instant(e["pm25"]["observedAt"]) > instant("2024-07-01T00:00:00Z")),
    ('address[addressLocality]=="Getafe"',
     lambda e: has(e, "address") and value_of(e, "address")["addressLocality"] == "Getafe"),
    ('address[postal.code]=="28005"',
     lambda e: has(e, "address") and value_of(e, "address")["postal"]["code"] == "28005"),
    ('category=="forDisabled"', lambda e: "forDisabled" in (value_of(e, "category") or [])),
    ('refStreetlightGroup=="urn:ngsi-ld:StreetlightGroup:g3"',
     lambda e: value_of(e, "refStreetlightGroup") == "urn:ngsi-ld:StreetlightGroup:g3"),
    ("refParkingSite==urn:ngsi-ld:ParkingSite:site-1,urn:ngsi-ld:ParkingSite:site-2",
     lambda e: value_of(e, "refParkingSite") in ("urn:ngsi-ld:ParkingSite:site-1",
                                                 "urn:ngsi-ld:ParkingSite:site-2")),
    ("lanternModel", lambda e: has(e, "lanternModel")),
    ("!lanternModel;lampHeight", lambda e: not has(e, "lanternModel") and has(e, "lampHeight")),
    ('(status=="ok"|status=="off");powerConsumption<40',
     lambda e: value_of(e, "status") in ("ok", "off") and (num(e, "powerConsumption") or 99) < 40),
    ('status=="defective"|lampHeight>10;isPublic==false',
     lambda e: value_of(e, "status") == "defective" or
     ((num(e, "lampHeight") or 0) > 10 and value_of(e, "isPublic") is False)),
    ('NO2>30;(airQualityLevel=="good"|airQualityLevel=="moderate")',
     lambda e: (num(e, "NO2") or 0) > 30 and value_of(e, "airQualityLevel") in ("good", "moderate")),
    ('((wasteType=="glass"));(fillingLevel>0.8|fillingLevel<0.1)',
     lambda e: value_of(e, "wasteType") == "glass" and
     (num(e, "fillingLevel") > 0.8 or num(e, "fillingLevel") < 0.1)),
]


@pytest.mark.parametrize("q,predicate", Q_CASES, ids=[case[0] for case in Q_CASES])
def test_q_matches_brute_force(url, q, predicate):
    got = query_all(url, {"q": q})
    assert ids(got) == expect(predicate)


def test_q_quoted_string_with_escaped_quotes(url):
    target = BY_ID["urn:ngsi-ld:AirQualityObserved:aq-0010"]
    name = value_of(target, "name")
    assert '"' in name
    escaped = name.replace('"', '\\"')
    got = get(url, {"q": f'name=="{escaped}"'}).json()
    assert ids(got) == [target["id"]]


def test_q_with_type_and_keyvalues(url):
    got = query_all(url, {"type": "Streetlight", "q": "lampHeight>=10",
                          "options": "keyValues"})
    assert ids(got) == expect(lambda e: "Streetlight" in types_of(e) and
                              num(e, "lampHeight") >= 10)
    for entity in got:
        assert entity["lampHeight"] == value_of(BY_ID[entity["id"]], "lampHeight")
        assert entity["status"] in ("ok", "defective", "off")
        assert entity["refStreetlightGroup"].startswith("urn:ngsi-ld:StreetlightGroup:")


def test_q_with_attrs_filters_and_projects(url):
    got = query_all(url, {"q": "NO2>80", "attrs": "NO2"})
    assert ids(got) == expect(lambda e: (num(e, "NO2") or 0) > 80)
    assert all(set(e) - {"scope"} == {"id", "type", "NO2"} for e in got)


# --- scopeQ ------------------------------------------------------------------------------

def scopes(e):
    return e.get("scope", [])


SCOPE_CASES = [
    ("/Madrid/Centro/Lighting", lambda s: "/Madrid/Centro/Lighting" in s),
    ("/Madrid/+/Lighting", lambda s: any(re.fullmatch(r"/Madrid/[^/]+/Lighting", x) for x in s)),
    ("/Madrid/Centro/#", lambda s: any(x.startswith("/Madrid/Centro/") for x in s)),
    ("/Sensors/#", lambda s: any(x.startswith("/Sensors") for x in s)),
    ("/Madrid/Retiro/#,/Madrid/Centro/Parking",
     lambda s: any(x.startswith("/Madrid/Retiro/") for x in s) or "/Madrid/Centro/Parking" in s),
    ("/Madrid/Retiro/#|/Madrid/Centro/Parking",
     lambda s: any(x.startswith("/Madrid/Retiro/") for x in s) or "/Madrid/Centro/Parking" in s),
    ("/Madrid/Centro/#;/Sensors/#",
     lambda s: any(x.startswith("/Madrid/Centro/") for x in s) and
     any(x.startswith("/Sensors") for x in s)),
    ("/#", lambda s: bool(s)),
]


@pytest.mark.parametrize("scope_q,predicate", SCOPE_CASES, ids=[c[0] for c in SCOPE_CASES])
def test_scope_q(url, scope_q, predicate):
    got = query_all(url, {"scopeQ": scope_q})
    assert ids(got) == expect(lambda e: predicate(scopes(e)))


def test_scope_q_with_type_and_q(url):
    got = query_all(url, {"scopeQ": "/Madrid/+/Parking", "type": "ParkingSpot",
                          "q": 'status=="free"'})
    assert ids(got) == expect(lambda e: "ParkingSpot" in types_of(e) and
                              value_of(e, "status") == "free")


# --- paging and count --------------------------------------------------------------------


@pytest.mark.parametrize("page", [1, 7, 20, 119, 120, 500])
def test_pages_are_stable_disjoint_and_complete(url, page):
    seen = []
    offset = 0
    while True:
        response = get(url, {"type": "Streetlight,WasteContainer", "limit": page,
                             "offset": offset, "count": "true"})
        assert response.status_code == 200
        assert int(response.headers["NGSILD-Results-Count"]) == 180
        batch = [e["id"] for e in response.json()]
        assert len(batch) <= page
        seen += batch
        if len(batch) < page:
            break
        offset += page
    assert len(seen) == len(set(seen))
    assert sorted(seen) == expect(lambda e: {"Streetlight", "WasteContainer"} & set(types_of(e)))
    # the same page asked twice is the same
    again = [e["id"] for e in get(url, {"type": "Streetlight,WasteContainer", "limit": page,
                                        "offset": 0}).json()]
    assert again == seen[:page]


def page_links(response):
    """rel -> target of the pagination Link headers (the @context Link is left out)."""
    return {rel: link["url"] for rel, link in response.links.items() if rel in ("prev", "next")}


@pytest.mark.parametrize("page", [1, 7, 20, 120])
def test_next_links_walk_the_whole_result_and_prev_links_walk_back(url, page):
    """Clause 6.3.10: rel="next" while matches remain, rel="prev" after the first page."""
    params = {"type": "Streetlight,WasteContainer", "q": "location", "limit": page,
              "count": "true"}
    matching = expect(lambda e: {"Streetlight", "WasteContainer"} & set(types_of(e)) and
                      has(e, "location"))
    response = get(url, params)
    assert "prev" not in page_links(response)
    pages = [ids_in_order(response)]
    while "next" in page_links(response):
        target = page_links(response)["next"]
        assert target.startswith(BASE + "/entities?")
        assert "q=location" in target and "count=true" in target
        response = requests.get(url + target)
        assert response.status_code == 200, response.text
        assert response.headers["NGSILD-Results-Count"] == str(len(matching))
        pages.append(ids_in_order(response))
    seen = [i for batch in pages for i in batch]
    assert sorted(seen) == matching
    assert len(pages) == -(-len(matching) // page)
    backwards = []
    while "prev" in page_links(response):
        response = requests.get(url + page_links(response)["prev"])
        backwards.insert(0, ids_in_order(response))
    assert backwards == pages[:-1]


def ids_in_order(response):
    return [e["id"] for e in response.json()]


def test_link_targets_carry_the_query_with_unsafe_characters_escaped(url):
    """Clients send q with raw '>' and '"' (docs/decisions.md 5); the link must not."""
    q = 'powerConsumption>5;status!="x"'
    connection = http.client.HTTPConnection(url.split("//", 1)[1], timeout=10)
    connection.request("GET", BASE + "/entities?type=Streetlight&q=" + q + "&limit=3&offset=3")
    response = connection.getresponse()
    assert response.status == 200
    response.read()
    values = [v.strip() for v in ",".join(response.headers.get_all("Link")).split(",")]
    nexts = [v for v in values if 'rel="next"' in v]
    prevs = [v for v in values if 'rel="prev"' in v]
    connection.close()
    assert len(nexts) == 1 and len(prevs) == 1
    assert 'type="application/json"' in nexts[0]
    target = nexts[0][1:nexts[0].index(">")]
    assert not set(target) & set('<>" ')
    assert target.endswith("limit=3&offset=6")
    again = requests.get(url + target)
    assert again.status_code == 200, again.text
    direct = get(url, {"type": "Streetlight", "q": q, "limit": 3, "offset": 6})
    assert ids_in_order(again) == ids_in_order(direct)
    assert prevs[0][1:prevs[0].index(">")].endswith("limit=3&offset=0")


def test_no_pagination_links_on_a_single_page_or_a_count_only_request(url):
    assert page_links(get(url, {"type": "RoadSegment", "limit": 1000})) == {}
    assert page_links(get(url, {"type": "RoadSegment", "limit": 0, "count": "true"})) == {}
    # a page past the end still links back
    assert set(page_links(get(url, {"type": "RoadSegment", "offset": 40}))) == {"prev"}


def test_post_query_has_no_pagination_links(url):
    body = {"type": "Query", "entities": [{"type": "AirQualityObserved"}]}
    response = post_query(url, body, {"limit": 10, "offset": 10})
    assert response.status_code == 200
    assert page_links(response) == {}


def test_default_limit_is_20(url):
    response = get(url, {"type": "Streetlight"})
    assert len(response.json()) == 20
    assert "NGSILD-Results-Count" not in response.headers
    assert page_links(response)["next"].endswith("limit=20&offset=20")
    # the @context Link header is still there, next to the pagination links
    assert "http://www.w3.org/ns/json-ld#context" in response.links


def test_count_matches_the_full_result(url):
    response = get(url, {"q": "powerConsumption>50", "count": "true", "limit": 5})
    assert int(response.headers["NGSILD-Results-Count"]) == len(
        expect(lambda e: (num(e, "powerConsumption") or 0) > 50))
    assert len(response.json()) == 5


def test_offset_beyond_the_end_is_an_empty_page_with_count(url):
    response = get(url, {"type": "RoadSegment", "offset": 1000, "count": "true"})
    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["NGSILD-Results-Count"] == "20"


def test_limit_zero_with_count_returns_only_the_count(url):
    response = get(url, {"type": "ParkingSpot", "limit": 0, "count": "true"})
    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["NGSILD-Results-Count"] == "80"


def test_limit_1000_is_accepted(url):
    response = get(url, {"q": "location", "limit": 1000})
    assert response.status_code == 200
    assert ids(response.json()) == expect(lambda e: has(e, "location"))


def test_limit_above_1000_is_too_many_results(url):
    assert_problem(get(url, {"type": "Streetlight", "limit": 1001}), 403, "TooManyResults")


@pytest.mark.parametrize("params", [
    {"type": "Streetlight", "limit": 0},
    {"type": "Streetlight", "limit": -1},
    {"type": "Streetlight", "limit": "ten"},
    {"type": "Streetlight", "offset": -5},
    {"type": "Streetlight", "count": "yes"},
])
def test_bad_paging_parameters_are_400(url, params):
    assert_problem(get(url, params), 400, "BadRequestData")


@pytest.mark.parametrize("params", [{}, {"count": "true"}, {"options": "keyValues"},
                                    {"limit": 5}])
def test_a_query_without_any_selector_is_400(url, params):
    assert_problem(get(url, params), 400, "BadRequestData")


# --- invalid expressions -----------------------------------------------------------------

BAD_Q = ["powerConsumption>", "(status==\"ok\"", "status==\"ok\")", "lampHeight==1..",
         "lanternModel~=", "isPublic>true", "status==\"unterminated", ";status", "a==1;;b==2",
         "!a==1", "lampHeight<1,2", "a[b", "a.==1", ""]


@pytest.mark.parametrize("q", BAD_Q)
def test_invalid_q_is_400(url, q):
    response = get(url, {"q": q})
    assert response.status_code == 400, response.text
    assert response.json()["type"] in (PROBLEM_PREFIX + "BadRequestData",
                                       PROBLEM_PREFIX + "InvalidRequest")


@pytest.mark.parametrize("expression", ["Streetlight;", "(Streetlight", "Streetlight)",
                                        "Streetlight,,ParkingSpot", "()", "|Streetlight", ""])
def test_invalid_type_expression_is_400(url, expression):
    response = get(url, {"type": expression})
    assert response.status_code == 400, response.text
    assert response.json()["type"] in (PROBLEM_PREFIX + "BadRequestData",
                                       PROBLEM_PREFIX + "InvalidRequest")


def test_id_pattern_does_not_backtrack_exponentially(url):
    entity = {"id": "urn:x:" + "a" * 40, "type": "Backtrack"}
    assert requests.post(url + BASE + "/entities", json=entity).status_code == 201
    # a backtracking regex engine needs ~2^40 steps here; the request must come back
    response = get(url, {"idPattern": "^urn:x:(a|aa)*b$"}, timeout=120)
    assert response.status_code == 200
    assert response.json() == []
    response = get(url, {"idPattern": "^urn:x:(a|aa)*$"}, timeout=120)
    assert ids(response.json()) == [entity["id"]]
    assert requests.delete(url + BASE + "/entities/" + entity["id"]).status_code == 204


@pytest.mark.parametrize("pattern", ["[a-", "(unclosed", "*start"])
def test_invalid_id_pattern_is_400(url, pattern):
    response = get(url, {"idPattern": pattern})
    assert response.status_code == 400, response.text
    assert response.json()["type"] in (PROBLEM_PREFIX + "BadRequestData",
                                       PROBLEM_PREFIX + "InvalidRequest")


@pytest.mark.parametrize("scope_q", ["Madrid", "/Madrid/", "/Madrid;", "(/Madrid", "/Ma drid"])
def test_invalid_scope_q_is_400(url, scope_q):
    response = get(url, {"scopeQ": scope_q})
    assert response.status_code == 400, response.text


def test_invalid_id_in_list_is_400(url):
    assert_problem(get(url, {"id": "not a uri,urn:ngsi-ld:Streetlight:sl-0001"}), 400,
                   "BadRequestData")


# --- POST /entityOperations/query --------------------------------------------------------


def post_query(url, body, params=None):
    return requests.post(url + BASE + "/entityOperations/query", json=body,
                         params=encode(params or {}))


def test_post_query_with_selectors_q_and_attrs(url):
    body = {"type": "Query",
            "entities": [{"type": "Streetlight", "idPattern": "sl-00[0-3]"},
                         {"id": "urn:ngsi-ld:ParkingSpot:ps-0007", "type": "ParkingSpot"}],
            "attrs": ["status", "powerConsumption"],
            "q": 'status!="defective"'}
    response = post_query(url, body, {"limit": 1000})
    assert response.status_code == 200, response.text
    got = response.json()
    assert ids(got) == expect(lambda e: (
        ("Streetlight" in types_of(e) and re.search("sl-00[0-3]", e["id"])) or
        e["id"] == "urn:ngsi-ld:ParkingSpot:ps-0007") and
        has(e, "status") and value_of(e, "status") != "defective")
    assert all(set(e) <= {"id", "type", "scope", "status", "powerConsumption"} for e in got)


def test_post_query_pages_with_url_parameters(url):
    body = {"type": "Query", "entities": [{"type": "AirQualityObserved"}]}
    seen = []
    for offset in range(0, 100, 30):
        response = post_query(url, body, {"limit": 30, "offset": offset, "count": "true"})
        assert response.status_code == 200
        assert response.headers["NGSILD-Results-Count"] == "100"
        seen += [e["id"] for e in response.json()]
    assert sorted(seen) == expect(lambda e: "AirQualityObserved" in types_of(e))
    assert len(set(seen)) == 100


def test_post_query_scope_and_keyvalues(url):
    body = {"type": "Query", "scopeQ": "/Madrid/Chamberi/#", "q": "NO2>50"}
    response = post_query(url, body, {"options": "keyValues", "limit": 1000})
    assert response.status_code == 200
    got = response.json()
    assert ids(got) == expect(lambda e: any(s.startswith("/Madrid/Chamberi/") for s in scopes(e))
                              and (num(e, "NO2") or 0) > 50)
    assert all(isinstance(e["NO2"], int) for e in got)


@pytest.mark.parametrize("body", [
    {"type": "Query"},
    {"type": "NotAQuery", "entities": [{"type": "Streetlight"}]},
    {"type": "Query", "entities": {"type": "Streetlight"}},
    {"type": "Query", "entities": [{"idPattern": "x"}]},
    {"type": "Query", "entities": [{"type": "Streetlight;"}]},
    {"type": "Query", "q": "a=="},
    {"type": "Query", "attrs": "status"},
    [{"type": "Streetlight"}],
])
def test_post_query_rejects_bad_bodies(url, body):
    response = post_query(url, body)
    assert response.status_code == 400, response.text


def test_post_query_limit_above_maximum(url):
    response = post_query(url, {"type": "Query", "entities": [{"type": "Streetlight"}]},
                          {"limit": 5000})
    assert_problem(response, 403, "TooManyResults")
