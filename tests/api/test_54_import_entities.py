"""Entities from CSV (POST /citytwin/v1/import/entities, the console's Import view): row-level
validation, errors by line, good rows written in batches, line numbers of a file sent in
parts (docs/console.md).
"""
import os
import sys

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from ngsild import V1, assert_problem  # noqa: E402

IMPORT = "/citytwin/v1/import/entities"


def post_csv(server, text, params=None, headers=None):
    return requests.post(server.url + IMPORT, data=text.encode(), params=params or {},
                         headers={"Content-Type": "text/csv", **(headers or {})})


def entity(server, entity_id, headers=None):
    return requests.get(f"{server.url}{V1}/entities/{entity_id}", headers=headers or {})


def test_good_rows_are_written_and_bad_rows_reported_by_line(server):
    text = ("id,type,temperature[CEL],name,open,longitude,latitude,observedAt\n"
            'urn:ngsi-ld:Kiosk:1,Kiosk,21.5,"North, gate",true,2.17,41.38,2026-12-01T10:00:00Z\n'
            "urn:ngsi-ld:Kiosk:2,Kiosk,7,,,200,41,\n"
            "not a uri,Kiosk,1,,,,,\n"
            ",Kiosk,2,,,,,\n"
            "urn:ngsi-ld:Kiosk:5,Kiosk,3,,,,,\n")
    response = post_csv(server, text)
    assert response.status_code == 207, response.text
    body = response.json()
    assert body["rows"] == 5 and body["written"] == 2 and body["created"] == 2
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "longitude"), (4, ""), (5, "id")]
    assert "URI" in body["errors"][1]["reason"]

    kiosk = entity(server, "urn:ngsi-ld:Kiosk:1").json()
    assert kiosk["temperature"] == {"type": "Property", "value": 21.5, "unitCode": "CEL",
                                    "observedAt": "2026-12-01T10:00:00.000Z"}
    assert kiosk["name"]["value"] == "North, gate"
    assert kiosk["open"]["value"] is True
    assert kiosk["location"]["value"] == {"type": "Point", "coordinates": [2.17, 41.38]}
    assert entity(server, "urn:ngsi-ld:Kiosk:5").json()["temperature"]["value"] == 3
    assert entity(server, "urn:ngsi-ld:Kiosk:2").status_code == 404


def test_a_second_import_updates_and_all_good_is_201(server):
    first = post_csv(server, "id,type,level\nurn:ngsi-ld:Tank:1,Tank,10\n")
    assert first.status_code == 201 and first.json()["created"] == 1
    again = post_csv(server, "id,type,level\nurn:ngsi-ld:Tank:1,Tank,11\n")
    assert again.status_code == 201
    assert again.json() == {"rows": 1, "written": 1, "created": 0, "errors": []}
    assert entity(server, "urn:ngsi-ld:Tank:1").json()["level"]["value"] == 11


def test_parts_of_a_file_report_lines_of_the_whole_file(server):
    # The second part of a file whose data rows 502.. are here: its first row is line 502.
    text = "id,type,level\nurn:ngsi-ld:Tank:p1,Tank,1\nbad id,Tank,2\n"
    body = post_csv(server, text, params={"firstLine": "502"}).json()
    assert [e["row"] for e in body["errors"]] == [503]
    assert_problem(post_csv(server, text, params={"firstLine": "one"}), 400)


def test_batches_of_many_rows_all_arrive(server):
    rows = "".join(f"urn:ngsi-ld:Meter:{i},Meter,{i}\n" for i in range(1200))
    response = post_csv(server, "id,type,reading\n" + rows)
    assert response.status_code == 201, response.text
    assert response.json()["written"] == 1200
    count = requests.get(f"{server.url}{V1}/entities", params={"type": "Meter", "count": "true",
                                                                "limit": 1})
    assert count.headers["NGSILD-Results-Count"] == "1200"


def test_unusable_files_are_refused_whole(server):
    no_type = post_csv(server, "id,name\nurn:ngsi-ld:X:1,x\n")
    assert_problem(no_type, 400)
    assert no_type.json()["errors"] == [{"row": 1, "column": "type",
                                         "reason": "a type column is required"}]
    assert entity(server, "urn:ngsi-ld:X:1").status_code == 404
    assert_problem(post_csv(server, 'id,type\n"open,Thing\n'), 400)
    assert_problem(post_csv(server, ""), 400)
    assert_problem(post_csv(server, "id,type,a b\n"), 400)
    assert_problem(post_csv(server, "id,type,level,level\n"), 400)
    assert_problem(post_csv(server, "id,type,longitude\n"), 400)
    wrong_type = requests.post(server.url + IMPORT, data=b"id,type\n",
                               headers={"Content-Type": "application/json"})
    assert_problem(wrong_type, 415)


def test_rows_go_to_the_request_tenant(server):
    tenant = {"NGSILD-Tenant": "imports"}
    assert post_csv(server, "id,type\nurn:ngsi-ld:Thing:t1,Thing\n", headers=tenant).status_code == 201
    assert entity(server, "urn:ngsi-ld:Thing:t1", headers=tenant).status_code == 200
    assert entity(server, "urn:ngsi-ld:Thing:t1").status_code == 404
