"""The demo city that `make demo` loads: it loads through the public API and answers the
queries the README and scripts/demo.sh show."""
import os
import subprocess

import requests

SCRIPTS = os.path.join(os.path.dirname(__file__), "..", "..", "scripts")


def test_demo_city_loads_and_answers_the_documented_queries(server):
    out = subprocess.run(["/usr/bin/python3", os.path.join(SCRIPTS, "demo_city.py"), "--load", server.url],
                         capture_output=True, text=True, check=True)
    assert "loaded 390 demo entities" in out.stdout
    # A week of history: 20 stations x 3 attributes x 168 hours, 100 containers x 56 readings;
    # and a year (2025) of hourly pm25: 20 stations x 8760 hours.
    assert "added 190880 history instances" in out.stdout
    assert "19 local KPI definitions, 420 KPI inputs" in out.stdout
    assert "1 sensor rule (1 input from the stations' 2025 history)" in out.stdout

    # The U4SSC statistics (demo_kpi.py): every core KPI with an official or a local
    # definition has a value for 2025; the three core KPIs still pending have none.
    assessment = requests.get(server.url + "/kpi/v1/assessment",
                              params={"city": "demo", "period": "2025"}).json()
    core = [k for k in assessment["kpis"] if k["coreOrAdvanced"] == "core"]
    assert len(core) == 55
    assert sorted(k["code"] for k in core if k["value"] is None) == [
        "EC.ICT.ICT.4C", "EN.EN.WS.3C", "EN.EN.WS.4C"]
    assert all(k["definitionOrigin"] == "none" for k in core if k["value"] is None)
    # Four years of statistics; EN.EN.AQ.1C comes from the stations, which have one year.
    assert all(len(k["trend"]) == (1 if k["code"] == "EN.EN.AQ.1C" else 4)
               for k in core if k["value"] is not None)
    # EN.EN.AQ.1C comes from the stations' year of readings (a sensor rule), checked here
    # against the mean of the same readings read back through the temporal API.
    air = next(k for k in core if k["code"] == "EN.EN.AQ.1C")
    assert air["definitionOrigin"] == "local"
    readings = []
    for offset in (0, 10):  # 10 stations a page: one answer holds at most 100,000 instances
        year = requests.get(server.url + "/ngsi-ld/v1/temporal/entities", params={
            "type": "AirQualityObserved", "attrs": "pm25", "options": "temporalValues",
            "timerel": "between", "timeAt": "2025-01-01T00:00:00Z",
            "endTimeAt": "2026-01-01T00:00:00Z", "timeproperty": "observedAt", "limit": 10,
            "offset": offset})
        assert year.status_code == 200, year.text[:500]
        for station in year.json():
            readings += [value for value, _ in station["pm25"]["values"]]
    assert len(readings) == 20 * 8760
    assert abs(air["value"] - sum(readings) / len(readings)) < 1e-6

    statuses = assessment["summary"]["byStatus"]
    assert statuses["onTrack"] > 0 and statuses["offTrack"] > 0
    advanced_without = [k["code"] for k in assessment["kpis"]
                        if k["coreOrAdvanced"] == "advanced" and k["value"] is None]
    report = requests.get(server.url + "/kpi/v1/report",
                          params={"city": "demo", "period": "2025", "lang": "en"}).text
    assert f"Advanced KPIs without data: {len(advanced_without)}." in report
    assert "Core KPIs without data: 3." in report
    # Two districts side by side: the north is better connected (EC.ICT.ICT.1C, higher is
    # better).
    compared = requests.get(server.url + "/kpi/v1/comparison",
                            params={"cities": "demo:north,demo:south", "period": "2025"}).json()
    internet = next(k for k in compared["kpis"] if k["code"] == "EC.ICT.ICT.1C")
    assert internet["best"] == "demo:north"
    assert internet["values"]["demo:north"]["value"] > internet["values"]["demo:south"]["value"]
    base = server.url + "/ngsi-ld/v1"

    daily = requests.get(base + "/temporal/entities", params={
        "type": "AirQualityObserved", "attrs": "pm25", "options": "aggregatedValues",
        "aggrMethods": "avg,max", "aggrPeriodDuration": "P1D", "timerel": "between",
        "timeAt": "2026-11-15T08:00:00Z", "endTimeAt": "2026-11-22T08:00:00Z", "limit": 100})
    assert daily.status_code == 200, daily.text
    assert len(daily.json()) == 20
    for station in daily.json():
        assert len(station["pm25"]["avg"]) == 7
        assert all(period[0] <= peak[0] for period, peak in
                   zip(station["pm25"]["avg"], station["pm25"]["max"]))

    types = requests.get(base + "/types").json()["typeList"]
    assert sorted(types) == ["AirQualityObserved", "KeyPerformanceIndicator", "ParkingSpot",
                             "Streetlight", "WasteContainer"]

    polluted = requests.get(base + "/entities", params={
        "type": "AirQualityObserved", "q": "pm25>15", "options": "keyValues", "limit": 100}).json()
    assert polluted and all(e["pm25"] > 15 for e in polluted)

    full_nearby = requests.get(base + "/entities", params={
        "type": "WasteContainer", "q": "fillingLevel>=0.9", "georel": "near;maxDistance==1000",
        "geometry": "Point", "coordinates": "[2.1734,41.3851]", "options": "keyValues", "limit": 100}).json()
    assert all(e["fillingLevel"] >= 0.9 for e in full_nearby)

    free = requests.get(base + "/entities", params={
        "type": "ParkingSpot", "q": 'status=="free"', "count": "true", "limit": 0})
    assert free.status_code == 200
    assert 0 < int(free.headers["NGSILD-Results-Count"]) < 120

    # Loading twice is idempotent (upsert), so `make demo` can be rerun on the same data.
    again = subprocess.run(["/usr/bin/python3", os.path.join(SCRIPTS, "demo_city.py"), "--load",
                            server.url], check=True, capture_output=True, text=True)
    assert "added 0 history instances" in again.stdout
    everything = requests.get(base + "/entities", params={
        "type": "Streetlight,AirQualityObserved,WasteContainer,ParkingSpot", "count": "true", "limit": 0})
    assert everything.headers["NGSILD-Results-Count"] == "390"
