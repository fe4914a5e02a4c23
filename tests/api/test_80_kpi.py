"""U4SSC KPI engine (issue #8, docs/kpi.md): the catalogue, local definitions, statistical
inputs (whole file or nothing), results as NGSI-LD KeyPerformanceIndicator entities, and the
integrity log, through the HTTP API and the offline `citytwin kpi` commands."""
import http.server
import json
import os
import subprocess
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402

KPI = "/kpi/v1"
NGSI = "/ngsi-ld/v1"
HEADER = "city,period,variable,value,unit,source,method,confidence\n"
CSV = {"Content-Type": "text/csv"}


def post_csv(server, text, tenant=None):
    headers = dict(CSV)
    if tenant:
        headers["NGSILD-Tenant"] = tenant
    return requests.post(server.url + KPI + "/inputs", data=text.encode(), headers=headers)


def entity_id(city, period, code):
    return f"urn:ngsi-ld:KeyPerformanceIndicator:U4SSC:{city}:{period}:{code}"


def test_catalogue_lists_the_91_kpis_and_filters(server):
    response = requests.get(server.url + KPI + "/catalogue")
    assert response.status_code == 200, response.text
    kpis = response.json()
    assert len(kpis) == 91
    assert sum(1 for k in kpis if k["status"] == "computable") == 49
    assert sum(1 for k in kpis if k["status"] == "pending") == 41
    environment = requests.get(server.url + KPI + "/catalogue",
                               params={"dimension": "Environment"}).json()
    assert len(environment) == 17
    core = requests.get(server.url + KPI + "/catalogue",
                        params={"dimension": "Environment", "coreOrAdvanced": "core"}).json()
    assert len(core) == 12
    ict = requests.get(server.url + KPI + "/catalogue",
                       params={"dimension": "Economy", "subDimension": "ICT"}).json()
    assert len(ict) == 17
    sdg = requests.get(server.url + KPI + "/catalogue", params={"sdg": "17.8.1"}).json()
    assert "EC.ICT.ICT.1C" in [k["code"] for k in sdg]
    assert all(any(ref == "17.8.1" for ref in k["sdg"]) for k in sdg)


def test_catalogue_entry_and_unknown_code(server):
    entry = requests.get(server.url + KPI + "/catalogue/EC.ICT.ICT.1C").json()
    assert entry["definition"]["numerator"]["name"] == "households_with_internet"
    assert entry["definition"]["multiplier"] == 100
    assert entry["definitionOrigin"] == "official"
    assert entry["direction"] == "higher"
    pending = requests.get(server.url + KPI + "/catalogue/SC.SH.SA.9C").json()
    assert pending["status"] == "pending" and "definition" not in pending
    assert pending["definitionOrigin"] == "none"
    missing = requests.get(server.url + KPI + "/catalogue/NO.SUCH.1C")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/json")


def test_csv_import_publishes_results_as_ngsi_ld_entities(server):
    response = post_csv(server, HEADER +
                        "csvtown,2025,households_with_internet,45000,count,Stats office,census,0.9\n"
                        "csvtown,2025,households_total,60000,count,Stats office,census,0.9\n")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["rows"] == 2 and body["importId"].startswith("imp-")
    assert body["results"] == 4
    # The result is an ordinary NGSI-LD entity.
    ngsi = requests.get(server.url + NGSI + "/entities/" +
                        entity_id("csvtown", "2025", "EC.ICT.ICT.1C"))
    assert ngsi.status_code == 200, ngsi.text
    entity = ngsi.json()
    assert entity["type"] == "KeyPerformanceIndicator"
    assert entity["kpiValue"]["value"] == 75
    assert entity["definitionOrigin"]["value"] == "official"
    assert entity["calculationPeriod"]["value"] == {"from": "2025-01-01", "to": "2025-12-31"}
    listed = requests.get(server.url + NGSI + "/entities",
                          params={"type": "KeyPerformanceIndicator", "q": "area==\"csvtown\"",
                                  "limit": 100}).json()
    assert len(listed) == 4
    # And through the KPI API, with provenance and completeness.
    results = requests.get(server.url + KPI + "/results",
                           params={"city": "csvtown", "code": "EC.ICT.ICT.2C"}).json()
    assert len(results) == 1
    assert results[0]["dataStatus"] == "noData"
    assert results[0]["missingInputs"] == ["fixed_broadband_subscriptions"]
    ok = requests.get(server.url + KPI + "/results",
                      params={"city": "csvtown", "code": "EC.ICT.ICT.1C"}).json()[0]
    assert [p["importId"] for p in ok["provenance"]] == [body["importId"]] * 2
    assert ok["provenance"][0]["source"] == "Stats office"


def test_json_import_converts_units_and_filters_results(server):
    rows = [
        {"city": "jsonville", "period": "2025", "variable": "bicycle_network_km",
         "value": 180000, "unit": "m", "source": "Roads department"},
        {"city": "jsonville", "period": "2025", "variable": "population", "value": 150000,
         "unit": "count", "source": "Census", "confidence": 1},
    ]
    response = requests.post(server.url + KPI + "/inputs", json=rows)
    assert response.status_code == 201, response.text
    bikes = requests.get(server.url + KPI + "/results",
                         params={"city": "jsonville", "code": "EC.I.T.3C"}).json()
    assert bikes[0]["kpiValue"] == 120  # 180 km / 150000 x 100000
    assert bikes[0]["unit"] == "per_100000"
    economy = requests.get(server.url + KPI + "/results",
                           params={"city": "jsonville", "dimension": "Environment"}).json()
    assert economy and all(r["dimension"] == "Environment" for r in economy)
    inputs = requests.get(server.url + KPI + "/inputs",
                          params={"city": "jsonville", "variable": "population"}).json()
    assert len(inputs) == 1 and inputs[0]["value"] == 150000


def test_zero_denominator_is_no_data(server):
    response = post_csv(server, HEADER +
                        "zerotown,2025,labour_force_unemployed,0,count,Stats,,\n"
                        "zerotown,2025,labour_force,0,count,Stats,,\n")
    assert response.status_code == 201, response.text
    result = requests.get(server.url + KPI + "/results",
                          params={"city": "zerotown", "code": "EC.P.EM.1C"}).json()[0]
    assert result["dataStatus"] == "noData"
    assert "kpiValue" not in result
    assert result["noDataReason"] == "zero denominator: labour_force is 0"


def test_invalid_csv_is_rejected_whole_with_every_row_error(server):
    before = requests.get(server.url + KPI + "/inputs", params={"city": "badtown"}).json()
    response = post_csv(server, HEADER +
                        "badtown,2025,population,150000,count,Census,,\n"
                        "badtown,20x5,population,1,count,Census,,\n"
                        "badtown,2025,unknown_thing,1,count,Census,,\n"
                        "badtown,2025,bicycle_network_km,5,kWh,Roads,,\n")
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["type"].endswith("BadRequestData")
    errors = {(e["row"], e["column"]) for e in problem["errors"]}
    assert errors == {(3, "period"), (4, "variable"), (5, "unit")}
    after = requests.get(server.url + KPI + "/inputs", params={"city": "badtown"}).json()
    assert before == after == []
    assert requests.get(server.url + KPI + "/results", params={"city": "badtown"}).json() == []


def test_invalid_json_and_media_type_are_rejected(server):
    response = requests.post(server.url + KPI + "/inputs", json=[
        {"city": "badjson", "period": "2025", "variable": "population", "value": "many",
         "unit": "count", "source": "Census"},
        {"city": "badjson", "period": "2025", "variable": "households_total", "value": 1,
         "unit": "count"}])
    assert response.status_code == 400
    assert {(e["row"], e["column"]) for e in response.json()["errors"]} == {
        (1, "value"), (2, "source")}
    assert requests.get(server.url + KPI + "/inputs", params={"city": "badjson"}).json() == []
    wrong_type = requests.post(server.url + KPI + "/inputs", data="x",
                               headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415


def test_local_definition_overrides_and_is_marked_local(server):
    tenant = {"NGSILD-Tenant": "localdefs"}
    definition = {"numerator": {"name": "traffic_fatalities", "unit": "count"},
                  "denominator": {"name": "population", "unit": "count"},
                  "multiplier": 100000, "unit": "per_100000"}
    response = requests.put(server.url + KPI + "/definitions/SC.SH.SA.9C", json=definition,
                            headers=tenant)
    assert response.status_code == 200, response.text
    assert response.json()["origin"] == "local"
    response = post_csv(server, HEADER +
                        "localcity,2025,traffic_fatalities,6,count,Police,,\n"
                        "localcity,2025,population,150000,count,Census,,\n", tenant="localdefs")
    assert response.status_code == 201, response.text
    result = requests.get(server.url + KPI + "/results",
                          params={"code": "SC.SH.SA.9C"}, headers=tenant).json()[0]
    assert result["kpiValue"] == 4
    assert result["definitionOrigin"] == "local"
    entry = requests.get(server.url + KPI + "/catalogue/SC.SH.SA.9C", headers=tenant).json()
    assert entry["definitionOrigin"] == "local"
    assert requests.get(server.url + KPI + "/catalogue/SC.SH.SA.9C").json()[
        "definitionOrigin"] == "none"
    # The default tenant does not know the local variable.
    refused = post_csv(server, HEADER + "x,2025,traffic_fatalities,1,count,Police,,\n")
    assert refused.status_code == 400


def test_invalid_definitions_are_refused(server):
    tenant = {"NGSILD-Tenant": "cycles"}
    first = requests.put(server.url + KPI + "/definitions/EC.P.EM.3A",
                         json={"numerator": {"kpi": "EC.ICT.ES.2A"}, "unit": "1"}, headers=tenant)
    assert first.status_code == 200, first.text
    cycle = requests.put(server.url + KPI + "/definitions/EC.ICT.ES.2A",
                         json={"numerator": {"kpi": "EC.P.EM.3A"}, "unit": "1"}, headers=tenant)
    assert cycle.status_code == 400 and "cycle" in cycle.json()["detail"]
    unnamed = requests.put(server.url + KPI + "/definitions/EC.P.EM.3A",
                           json={"numerator": {"unit": "count"}, "unit": "1"}, headers=tenant)
    assert unnamed.status_code == 400
    unknown = requests.put(server.url + KPI + "/definitions/NOPE.1C",
                           json={"numerator": {"name": "x", "unit": "count"}, "unit": "count"})
    assert unknown.status_code == 404


def test_integrity_endpoint_reports_an_intact_log(server):
    post_csv(server, HEADER + "logtown,2025,population,1000,count,Census,,\n",
             tenant="logged").raise_for_status()
    report = requests.get(server.url + KPI + "/integrity",
                          headers={"NGSILD-Tenant": "logged"}).json()
    assert report["ok"] is True
    assert report["records"] > 1 and report["problems"] == []
    assert report["head"]["seq"] == report["records"] and len(report["head"]["hash"]) == 64


def run_cli(*args):
    binary = os.environ.get("CITYTWIN_BIN", "build/release/citytwin")
    return subprocess.run([binary, "kpi", *args], capture_output=True, text=True, timeout=120)


def test_offline_import_and_verify(tmp_path):
    server = CityTwinServer().start()
    try:
        post_csv(server, HEADER + "clitown,2025,households_total,60000,count,Stats,,\n"
                 ).raise_for_status()
        server.stop()
        data = os.path.join(server.data_dir, "db")
        good = tmp_path / "inputs.csv"
        good.write_text(HEADER + "clitown,2025,households_with_internet,48000,count,ISP,,\n")
        done = run_cli("import", str(good), "--data", data)
        assert done.returncode == 0, done.stderr
        assert "imported 1 rows" in done.stdout
        bad = tmp_path / "bad.json"
        bad.write_text('[{"city": "clitown", "period": "2025", "variable": "population",'
                       ' "value": -1, "unit": "count", "source": "x"},'
                       ' {"city": "clitown", "period": "2025", "variable": "nothing",'
                       ' "value": 1, "unit": "count", "source": "x"}]')
        refused = run_cli("import", str(bad), "--data", data)
        assert refused.returncode == 1
        assert "row 1, column value" in refused.stderr
        assert "row 2, column variable" in refused.stderr
        verified = run_cli("verify", "--data", data)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "intact" in verified.stdout
        server.start()
        result = requests.get(server.url + KPI + "/results",
                              params={"city": "clitown", "code": "EC.ICT.ICT.1C"}).json()
        assert result[0]["kpiValue"] == 80  # 48000 / 60000 x 100, from both imports
        inputs = requests.get(server.url + KPI + "/inputs", params={"city": "clitown"}).json()
        assert len(inputs) == 2
    finally:
        server.cleanup()


class Receiver:
    """Records notifications POSTed to it on 127.0.0.1."""

    def __init__(self):
        self.bodies = []
        self.condition = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.condition:
                    receiver.bodies.append(json.loads(body))
                    receiver.condition.notify_all()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/notify"

    def wait_for_entity(self, entity_id, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                for body in self.bodies:
                    for entity in body.get("data", []):
                        if entity["id"] == entity_id:
                            return entity
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no notification for {entity_id}: {self.bodies}"
                self.condition.wait(remaining)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_subscriptions_are_notified_of_results(server):
    receiver = Receiver()
    try:
        tenant = {"NGSILD-Tenant": "subscribed"}
        subscription = {"type": "Subscription", "entities": [{"type": "KeyPerformanceIndicator"}],
                        "notification": {"endpoint": {"uri": receiver.url()}}}
        response = requests.post(server.url + NGSI + "/subscriptions", json=subscription,
                                 headers=tenant)
        assert response.status_code == 201, response.text
        post_csv(server, HEADER +
                 "subtown,2025,smart_electricity_meters,52000,count,Utility,,\n"
                 "subtown,2025,electricity_meters_total,65000,count,Utility,,\n",
                 tenant="subscribed").raise_for_status()
        entity = receiver.wait_for_entity(entity_id("subtown", "2025", "EC.ICT.ES.1C"))
        assert entity["type"] == "KeyPerformanceIndicator"
        assert entity["kpiValue"]["value"] == 80  # 52000 / 65000 x 100
    finally:
        receiver.stop()


def test_sensor_rule_feeds_a_local_definition(server):
    tenant = {"NGSILD-Tenant": "sensors"}
    stations = {"urn:ngsi-ld:AirQualityObserved:s1": ([0.5, 0.5], [10, 20, 30]),
                "urn:ngsi-ld:AirQualityObserved:s2": ([0.2, 0.8], [40]),
                "urn:ngsi-ld:AirQualityObserved:far": ([5.0, 5.0], [1000])}
    for station_id, (point, values) in stations.items():
        requests.post(server.url + NGSI + "/entities", headers=tenant, json={
            "id": station_id, "type": "AirQualityObserved",
            "location": {"type": "GeoProperty",
                         "value": {"type": "Point", "coordinates": point}}}).raise_for_status()
        history = {"id": station_id, "type": "AirQualityObserved",
                   "pm25": [{"type": "Property", "value": v,
                             "observedAt": f"2025-03-0{i + 1}T12:00:00Z"}
                            for i, v in enumerate(values)]}
        requests.post(server.url + NGSI + "/temporal/entities", headers=tenant,
                      json=history).raise_for_status()
    definition = {"numerator": {"name": "pm25_annual_mean", "unit": "ug/m3"}, "unit": "ug/m3"}
    requests.put(server.url + KPI + "/definitions/EN.EN.AQ.1C", json=definition,
                 headers=tenant).raise_for_status()
    rule = {"city": "square", "entityType": "AirQualityObserved", "attribute": "pm25",
            "aggregation": "mean", "unit": "ug/m3",
            "geoQ": {"geometry": "Polygon", "georel": "within",
                     "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}}
    response = requests.put(server.url + KPI + "/rules/pm25_annual_mean", json=rule,
                            headers=tenant)
    assert response.status_code == 200, response.text
    evaluated = requests.post(server.url + KPI + "/rules/evaluate", headers=tenant,
                              json={"city": "square", "period": "2025"})
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json()["rows"] == 1
    result = requests.get(server.url + KPI + "/results", headers=tenant,
                          params={"code": "EN.EN.AQ.1C"}).json()[0]
    assert result["kpiValue"] == 25  # (10 + 20 + 30 + 40) / 4, the far station left out
    assert result["provenance"][0]["source"].startswith("sensor rule: 2 AirQualityObserved")
    empty = requests.post(server.url + KPI + "/rules/evaluate", headers=tenant,
                          json={"city": "square", "period": "2023"}).json()
    assert "importId" not in empty and empty["skipped"][0]["variable"] == "pm25_annual_mean"
    bad = requests.put(server.url + KPI + "/rules/unknown_variable", json=rule, headers=tenant)
    assert bad.status_code == 400
