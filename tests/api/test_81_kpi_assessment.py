"""U4SSC KPI assessment (issue #8, docs/kpi.md "Assessment"): targets per KPI (stored, logged
in the integrity chain), direction-aware status, trends across years, per-dimension summary
and the comparison of several cities of one tenant."""
import requests

KPI = "/kpi/v1"
JSON = {"Content-Type": "application/json"}
HEADER = "city,period,variable,value,unit,source\n"


def import_csv(server, text):
    response = requests.post(server.url + KPI + "/inputs", data=(HEADER + text).encode(),
                             headers={"Content-Type": "text/csv"})
    assert response.status_code == 201, response.text


def kpi_of(assessment, code):
    return next(k for k in assessment["kpis"] if k["code"] == code)


def test_targets_status_trend_and_summary(server):
    # Households with Internet access (EC.ICT.ICT.1C, higher is better): 60 %, 65 %, 70 %.
    rows = ""
    for year, internet in ((2023, 36000), (2024, 39000), (2025, 42000)):
        rows += f"north,{year},households_with_internet,{internet},count,Census\n"
        rows += f"north,{year},households_total,60000,count,Census\n"
    rows += "south,2025,households_with_internet,54000,count,Census\n"
    rows += "south,2025,households_total,60000,count,Census\n"
    import_csv(server, rows)

    bad = requests.put(server.url + KPI + "/targets/EC.ICT.ICT.1C", json={"value": 80},
                       headers=JSON)
    assert bad.status_code == 400, bad.text
    unknown = requests.put(server.url + KPI + "/targets/XX.NO.KPI.1C",
                           json={"value": 80, "year": 2030}, headers=JSON)
    assert unknown.status_code == 404
    put = requests.put(server.url + KPI + "/targets/EC.ICT.ICT.1C",
                       json={"value": 80, "year": 2030, "note": "Digital plan 2030"}, headers=JSON)
    assert put.status_code == 200, put.text
    assert put.json()["value"] == 80 and "setAt" in put.json()
    got = requests.get(server.url + KPI + "/targets/EC.ICT.ICT.1C")
    assert got.status_code == 200 and got.json()["year"] == 2030
    assert requests.get(server.url + KPI + "/targets/EC.ICT.ICT.2C").status_code == 404

    response = requests.get(server.url + KPI + "/assessment",
                            params={"city": "north", "period": "2025"})
    assert response.status_code == 200, response.text
    assessment = response.json()
    assert len(assessment["kpis"]) == 91
    internet = kpi_of(assessment, "EC.ICT.ICT.1C")
    assert internet["value"] == 70
    assert [p["value"] for p in internet["trend"]] == [60, 65, 70]
    assert internet["change"] == 5
    assert internet["trendDirection"] == "improving"
    # +5 points a year: 70 + 5 x 5 = 95 % by 2030 >= 80 %.
    assert internet["status"] == "onTrack"
    assert internet["statusReason"] == "projectedToMeet"
    assert internet["projectedValue"] == 95
    # No target: no status, with the reason.
    no_target = kpi_of(assessment, "EC.ICT.ICT.2C")
    assert no_target["status"] in ("noStatus", "noData")
    pending = next(k for k in assessment["kpis"] if k["definitionOrigin"] == "none")
    assert pending["status"] == "noData" and pending["value"] is None
    dims = {d["dimension"]: d for d in assessment["dimensions"]}
    assert set(dims) == {"Economy", "Environment", "Society and Culture"}
    assert sum(d["kpis"] for d in dims.values()) == 91
    assert dims["Economy"]["byStatus"]["onTrack"] >= 1
    assert assessment["summary"]["withValue"] == sum(d["withValue"] for d in dims.values())

    # A district-specific target overrides the tenant-wide one there.
    requests.put(server.url + KPI + "/targets/EC.ICT.ICT.1C",
                 json={"value": 95, "year": 2025, "city": "south"}, headers=JSON)
    compared = requests.get(server.url + KPI + "/comparison",
                            params={"cities": "north,south", "period": "2025"})
    assert compared.status_code == 200, compared.text
    body = compared.json()
    assert body["cities"] == ["north", "south"]
    row = next(k for k in body["kpis"] if k["code"] == "EC.ICT.ICT.1C")
    assert row["values"]["north"] == {"value": 70, "status": "onTrack"}
    assert row["values"]["south"] == {"value": 90, "status": "offTrack"}  # 90 < 95 in 2025
    assert row["best"] == "south"
    one = requests.get(server.url + KPI + "/comparison", params={"cities": "north", "period": "2025"})
    assert one.status_code == 400

    # Targets are logged in the integrity chain.
    integrity = requests.get(server.url + KPI + "/integrity").json()
    assert integrity["ok"], integrity


def test_bulk_targets_replace_the_set_or_nothing(server):
    ok = requests.put(server.url + KPI + "/targets", headers=JSON, json=[
        {"code": "EC.ICT.ICT.1C", "value": 90, "year": 2030},
        {"code": "EN.EN.AQ.2C", "value": 3, "year": 2030}])
    assert ok.status_code == 200, ok.text
    bad = requests.put(server.url + KPI + "/targets", headers=JSON, json=[
        {"code": "EC.ICT.ICT.1C", "value": 50, "year": 2030},
        {"code": "EN.EN.AQ.2C", "value": "three", "year": 2030}])
    assert bad.status_code == 400
    listed = requests.get(server.url + KPI + "/targets").json()
    assert sorted((t["code"], t["value"]) for t in listed) == [("EC.ICT.ICT.1C", 90),
                                                               ("EN.EN.AQ.2C", 3)]
    bad_period = requests.get(server.url + KPI + "/assessment", params={"city": "north"})
    assert bad_period.status_code == 400
