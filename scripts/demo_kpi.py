#!/usr/bin/env python3
"""The demo city's U4SSC statistics: four years (2022-2025) of every input the core KPIs'
official formulas need, most of the advanced ones' (a few are left out on purpose, so the
report shows what lacking data looks like), and the city's targets for 2030.

The reference gives no complete formula for 22 core KPIs (status pending). The demo city
supplies LOCAL definitions for 19 of them, each written from the KPI's own description in the
catalogue (a share of households, a rate per 100 000 inhabitants, ...); the report and every
result say "local" for them. Three stay pending (EC.ICT.ICT.4C is reported per technology,
EN.EN.WS.3C and EN.EN.WS.4C per treatment level or source), and the report says so.

A fictional city of about 250,000 inhabitants. Each variable has a 2025 value and a yearly
change; earlier years are derived from them, so trends exist and some targets are on track
while others are not. Deterministic, standard library only. Used by demo_city.py --load.

    demo_kpi.py --csv     # write the inputs as CSV (the format of POST /kpi/v1/inputs)
    demo_kpi.py --targets # write the targets as JSON (the body of PUT /kpi/v1/targets)
"""
import argparse
import json
import sys
import urllib.parse
import urllib.request

CITY = "demo"
YEARS = [2022, 2023, 2024, 2025]

# Where each group of figures comes from (plausible names of a city's statistical sources).
CENSUS = "Demo City statistics office, household survey"
UTILITY = "Demo City utilities annual report"
TRANSPORT = "Demo City mobility department"
HEALTH = "Regional health authority"
EDUCATION = "Regional education authority"
ENVIRONMENT = "Demo City environment department"
LABOUR = "National labour force survey, city sample"
CITY_HALL = "Demo City council, open data portal"

# variable: (value in 2025, unit, yearly change as a fraction, source). Counts are rounded.
INPUTS = {
    # Population and households
    "population": (250_000, "count", 0.008, CENSUS),
    "households_total": (104_000, "count", 0.010, CENSUS),
    "households_with_internet": (93_600, "count", 0.030, CENSUS),
    "fixed_broadband_subscriptions": (81_100, "count", 0.035, UTILITY),
    "households_basic_sanitation": (103_400, "count", 0.011, CENSUS),
    "households_electricity_connection": (103_900, "count", 0.010, UTILITY),
    # ICT infrastructure
    "smart_electricity_meters": (86_000, "count", 0.12, UTILITY),
    "electricity_meters_total": (118_000, "count", 0.010, UTILITY),
    "transit_stops_realtime_info": (410, "count", 0.09, TRANSPORT),
    "transit_stops_total": (820, "count", 0.005, TRANSPORT),
    "major_streets_ict_monitored_km": (96, "km", 0.07, TRANSPORT),
    "major_streets_km": (240, "km", 0.0, TRANSPORT),
    "drainage_ict_monitored_km": (85, "km", 0.10, UTILITY),
    "drainage_km": (610, "km", 0.004, UTILITY),
    "water_network_smart_monitored_km": (310, "km", 0.15, UTILITY),
    "water_network_km": (980, "km", 0.004, UTILITY),
    "intersections_adaptive_control": (64, "count", 0.11, TRANSPORT),
    "intersections_signal_controlled": (290, "count", 0.006, TRANSPORT),
    "open_datasets_published": (212, "count", 0.14, CITY_HALL),
    "datasets_inventoried": (480, "count", 0.04, CITY_HALL),
    "public_services_electronic": (138, "count", 0.10, CITY_HALL),
    "procurements_online": (2_950, "count", 0.08, CITY_HALL),
    "procurements_total": (3_400, "count", 0.01, CITY_HALL),
    # Productivity and employment
    "patents_granted": (61, "count", 0.05, "National patent office"),
    "smes": (17_650, "count", 0.015, "Chamber of commerce register"),
    "enterprises_total": (17_800, "count", 0.015, "Chamber of commerce register"),
    "labour_force": (128_000, "count", 0.007, LABOUR),
    "labour_force_unemployed": (9_600, "count", -0.04, LABOUR),
    "youth_labour_force": (14_500, "count", 0.0, LABOUR),
    "youth_unemployed": (2_650, "count", -0.03, LABOUR),
    "labour_force_ict": (7_300, "count", 0.06, LABOUR),
    # Water, electricity, transport
    "water_supplied_m3": (24_800_000, "m3", 0.005, UTILITY),
    "water_unaccounted_m3": (4_200_000, "m3", -0.03, UTILITY),
    "electricity_customer_interruptions": (61_000, "count", -0.02, UTILITY),
    "electricity_customers": (118_000, "count", 0.010, UTILITY),
    "electricity_interruption_minutes": (4_880_000, "min", 0.01, UTILITY),
    "population_near_transit_stop": (221_000, "count", 0.012, TRANSPORT),
    "bicycle_network_km": (148, "km", 0.06, TRANSPORT),
    "travel_time_peak_min": (34, "min", 0.01, TRANSPORT),
    "travel_time_free_flow_min": (22, "min", 0.0, TRANSPORT),
    # Environment
    "air_pollutant_mass_ug": (2_856, "ug", -0.05, ENVIRONMENT),
    "air_sampled_m3": (168, "m3", 0.0, ENVIRONMENT),
    "ghg_emissions_t_co2e": (1_050_000, "t", -0.03, ENVIRONMENT),
    "water_consumption_l_per_day": (36_500_000, "L/d", 0.002, UTILITY),
    "solid_waste_route_t": (41_000, "t", 0.04, ENVIRONMENT),
    "solid_waste_total_t": (118_000, "t", -0.01, ENVIRONMENT),
    "population_exposed_noise": (52_000, "count", -0.02, ENVIRONMENT),
    "green_area_ha": (1_120, "ha", 0.01, ENVIRONMENT),
    "renewable_electricity_consumption_kwh": (455_000_000, "kWh", 0.07, UTILITY),
    "energy_consumption_kwh": (3_900_000_000, "kWh", -0.01, UTILITY),
    "electricity_use_kwh": (1_310_000_000, "kWh", 0.004, UTILITY),
    # Education and health
    "students_ict_access": (30_900, "count", 0.05, EDUCATION),
    "students_enrolled": (36_800, "count", 0.004, EDUCATION),
    "students_primary_secondary": (33_700, "count", 0.004, EDUCATION),
    "school_age_population": (35_200, "count", 0.003, EDUCATION),
    "population_higher_degree": (71_500, "count", 0.02, CENSUS),
    "adults_literate": (199_300, "count", 0.009, CENSUS),
    "adults_total": (201_000, "count", 0.008, CENSUS),
    "population_electronic_health_record": (162_000, "count", 0.09, HEALTH),
    "life_expectancy_years": (82.4, "a", 0.002, HEALTH),
    "maternal_deaths": (1, "count", 0.0, HEALTH),
    "live_births": (2_150, "count", -0.01, HEALTH),
    "hospital_beds": (910, "count", 0.0, HEALTH),
    # Safety, housing and social inclusion
    "hourly_earnings_female_usd": (21.6, "USD", 0.035, LABOUR),
    "hourly_earnings_male_usd": (24.9, "USD", 0.025, LABOUR),
    "lorenz_gap_area": (0.155, "1", -0.01, CENSUS),
    "equality_line_area": (0.5, "1", 0.0, CENSUS),
    "population_below_poverty": (29_500, "count", -0.02, CENSUS),
    "voters_participating": (118_000, "count", 0.0, CITY_HALL),
    "voters_registered": (192_000, "count", 0.008, CITY_HALL),
    "daycare_spots": (6_100, "count", 0.04, CITY_HALL),
    "preschool_children": (8_900, "count", -0.005, CITY_HALL),
    "natural_disaster_deaths": (0, "count", 0.0, "Civil protection"),
    "firefighters_fte": (265, "count", 0.0, "Demo City fire brigade"),
    # Left out on purpose (the report lists them as lacking data): the public buildings'
    # electricity and floor area (EN.E.E.4A) and the emergency response times (SC.SH.SA.5A).
    # Inputs of the demo city's local definitions (LOCAL_DEFINITIONS below)
    "wireless_broadband_subscriptions": (231_000, "count", 0.04, "National telecom regulator"),
    "public_wifi_hotspots": (146, "count", 0.08, CITY_HALL),
    "water_meters_smart": (39_000, "count", 0.18, UTILITY),
    "water_meters_total": (71_500, "count", 0.006, UTILITY),
    "rd_expenditure_usd": (265_000_000, "USD", 0.05, "Regional statistics office"),
    "city_gdp_usd": (14_800_000_000, "USD", 0.025, "Regional statistics office"),
    "households_basic_water": (104_000, "count", 0.010, CENSUS),
    "households_potable_water": (103_500, "count", 0.011, UTILITY),
    "households_wastewater_collection": (101_800, "count", 0.012, UTILITY),
    "households_waste_collection": (104_000, "count", 0.010, ENVIRONMENT),
    "transit_network_km": (412, "km", 0.015, TRANSPORT),
    "households_water_safety_plan": (104_000, "count", 0.010, UTILITY),
    "antenna_sites_compliant": (618, "count", 0.03, "National telecom regulator"),
    "antenna_sites_total": (618, "count", 0.03, "National telecom regulator"),
    "residential_thermal_energy_kwh": (1_150_000_000, "kWh", -0.02, UTILITY),
    "physicians": (1_020, "count", 0.01, HEALTH),
    "culture_expenditure_usd": (21_500_000, "USD", 0.02, CITY_HALL),
    "city_expenditure_usd": (1_240_000_000, "USD", 0.03, CITY_HALL),
    "population_informal_settlements": (1_900, "count", -0.06, CENSUS),
    "disaster_losses_usd": (7_400_000, "USD", 0.0, "Civil protection"),
    "police_fte": (540, "count", 0.0, "Demo City police"),
    "violent_crimes": (1_310, "count", -0.025, "Demo City police"),
    "traffic_fatalities": (9, "count", -0.08, TRANSPORT),
}


def term(name, unit):
    return {"name": name, "unit": unit}


def share(numerator, denominator, unit="count"):
    return {"numerator": term(numerator, unit), "denominator": term(denominator, unit),
            "multiplier": 100, "unit": "percent"}


def per_100000(numerator, unit="count"):
    return {"numerator": term(numerator, unit), "denominator": term("population", "count"),
            "multiplier": 100000, "unit": "per_100000"}


# The demo city's local definitions of pending core KPIs (PUT /kpi/v1/definitions/{code}).
LOCAL_DEFINITIONS = {
    "EC.ICT.ICT.3C": per_100000("wireless_broadband_subscriptions"),
    "EC.ICT.ICT.5C": {"numerator": term("public_wifi_hotspots", "count"), "multiplier": 1,
                      "unit": "count"},
    "EC.ICT.WS.1C": share("water_meters_smart", "water_meters_total"),
    "EC.P.IN.1C": share("rd_expenditure_usd", "city_gdp_usd", "USD"),
    "EC.I.WS.1C": share("households_basic_water", "households_total"),
    "EC.I.WS.2C": share("households_potable_water", "households_total"),
    "EC.I.WS.4C": share("households_wastewater_collection", "households_total"),
    "EC.I.WA.1C": share("households_waste_collection", "households_total"),
    "EC.I.T.1C": per_100000("transit_network_km", "km"),
    "EN.EN.WS.1C": share("households_water_safety_plan", "households_total"),
    "EN.EN.EQ.1C": share("antenna_sites_compliant", "antenna_sites_total"),
    "EN.E.E.3C": {"numerator": term("residential_thermal_energy_kwh", "kWh"),
                  "denominator": term("population", "count"), "multiplier": 1,
                  "unit": "kWh/capita"},
    "SC.EH.H.3C": per_100000("physicians"),
    "SC.EH.C.1C": share("culture_expenditure_usd", "city_expenditure_usd", "USD"),
    "SC.SH.HO.1C": share("population_informal_settlements", "population"),
    "SC.SH.SA.2C": share("disaster_losses_usd", "city_gdp_usd", "USD"),
    "SC.SH.SA.6C": per_100000("police_fte"),
    "SC.SH.SA.8C": per_100000("violent_crimes"),
    "SC.SH.SA.9C": per_100000("traffic_fatalities"),
}

# The city's targets for 2030, by KPI code. Some are reached already, some are on track,
# some are not (see the report's summary); KPIs whose direction the catalogue does not state
# get a target too, and the assessment says why it gives them no status.
TARGETS = [
    ("EC.ICT.ICT.1C", 98, 2030, "Digital inclusion plan 2030"),
    ("EC.ICT.ICT.2C", 95, 2030, "Digital inclusion plan 2030"),
    ("EC.ICT.ES.1C", 100, 2030, "Smart meter roll-out"),
    ("EC.ICT.T.1C", 70, 2030, "Mobility plan"),
    ("EC.ICT.T.2C", 60, 2030, "Mobility plan"),
    ("EC.P.EM.1C", 6, 2030, "Employment strategy"),
    ("EC.I.WS.3C", 10, 2030, "Water loss reduction programme"),
    ("EC.I.ES.1C", 0.4, 2030, "Grid resilience plan"),
    ("EC.I.ES.2C", 60, 2030, "Grid resilience plan"),
    ("EC.I.ES.3C", 99, 2025, "Universal access"),
    # The catalogue leaves this KPI's direction unknown: the city states it with the target.
    ("EN.EN.AQ.2C", 2.5, 2030, "Climate plan: a share of the 2030 reduction", "lower"),
    ("SC.EH.ED.1C", 95, 2030, "Schools digital plan"),
    ("SC.EH.ED.2C", 98, 2030, "Education plan"),
    ("SC.EH.ED.3C", 30000, 2030, "Education plan"),
    ("SC.EH.ED.4C", 99.5, 2030, "Education plan"),
    ("SC.EH.H.2C", 20, 2030, "SDG 3.1"),
    ("SC.SH.SI.1C", 1.0, 2030, "Equal pay charter"),
    ("SC.SH.SI.3C", 8, 2030, "Social inclusion plan"),
    ("SC.SH.SA.1C", 0, 2030, "Civil protection plan"),
    ("EC.ICT.D.1A", 25, 2030, "Drainage monitoring"),
    ("EC.ICT.PS.1A", 80, 2030, "Open data strategy"),
]


def value_in(variable, year):
    value, unit, change, _ = INPUTS[variable]
    scaled = value / (1 + change) ** (2025 - year)
    return round(scaled) if unit == "count" else round(scaled, 4)


# Two districts with a few statistics each (2024 and 2025), so that GET /kpi/v1/comparison
# has something to compare: district -> (share of the city's population, and for some
# variables a factor on that share: the north is better connected, the south greener).
DISTRICTS = {
    "demo:north": (0.55, {"households_with_internet": 1.04, "fixed_broadband_subscriptions": 1.08,
                          "green_area_ha": 0.6, "labour_force_unemployed": 0.8,
                          "population_below_poverty": 0.75}),
    "demo:south": (0.45, {"households_with_internet": 0.95, "fixed_broadband_subscriptions": 0.9,
                          "green_area_ha": 1.5, "labour_force_unemployed": 1.25,
                          "population_below_poverty": 1.3}),
}
DISTRICT_VARIABLES = ["population", "households_total", "households_with_internet",
                      "fixed_broadband_subscriptions", "green_area_ha", "labour_force",
                      "labour_force_unemployed", "population_below_poverty"]


def rows():
    for year in YEARS:
        for variable, (_, unit, _, source) in INPUTS.items():
            yield CITY, str(year), variable, value_in(variable, year), unit, source
    for district, (share, factors) in DISTRICTS.items():
        for year in (2024, 2025):
            for variable in DISTRICT_VARIABLES:
                _, unit, _, source = INPUTS[variable]
                value = value_in(variable, year) * share * factors.get(variable, 1.0)
                yield district, str(year), variable, round(value) if unit == "count" else round(value, 2), unit, source


def csv_text():
    lines = ["city,period,variable,value,unit,source,method,confidence"]
    for city, period, variable, value, unit, source in rows():
        lines.append(f'{city},{period},{variable},{value},{unit},"{source}",annual statistics,0.9')
    return "\n".join(lines) + "\n"


def targets():
    out = []
    for code, value, year, note, *direction in TARGETS:
        target = {"code": code, "value": value, "year": year, "note": note}
        if direction:
            target["direction"] = direction[0]
        out.append(target)
    return out


def request(base_url, method, path, body=None, content_type="application/json", key=None):
    headers = {"Content-Type": content_type} if body is not None else {}
    if key:
        headers["Authorization"] = "Bearer " + key
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    req = urllib.request.Request(base_url.rstrip("/") + path, data=data, method=method,
                                 headers=headers)
    with urllib.request.urlopen(req, timeout=120) as response:
        return json.load(response)


# Sensor-derived inputs (docs/kpi.md): the city's air-quality stations measure the PM2.5
# concentration that U4SSC EN.EN.AQ.1C asks for ("annual mean ambient concentration"), so
# the demo city defines that KPI locally from the stations' year of hourly readings
# (demo_city.py loads them) instead of the official formula's manual samples (mass over
# sampled volume). The rule averages every station inside the city's boundary.
CENTER = (2.1734, 41.3851)
BOUNDARY = [[[CENTER[0] - 0.06, CENTER[1] - 0.045], [CENTER[0] + 0.06, CENTER[1] - 0.045],
             [CENTER[0] + 0.06, CENTER[1] + 0.045], [CENTER[0] - 0.06, CENTER[1] + 0.045],
             [CENTER[0] - 0.06, CENTER[1] - 0.045]]]
SENSOR_DEFINITIONS = {
    "EN.EN.AQ.1C": {"numerator": term("pm25_annual_mean", "ug/m3"), "unit": "ug/m3"},
}
SENSOR_RULES = {
    "pm25_annual_mean": {"city": CITY, "entityType": "AirQualityObserved", "attribute": "pm25",
                         "geoQ": {"geometry": "Polygon", "georel": "within",
                                  "coordinates": BOUNDARY},
                         "aggregation": "mean", "unit": "ug/m3"},
}


def load_sensor_inputs(base_url, key=None):
    """The sensor definitions and rules, and one evaluation of the rules for 2025."""
    for code, definition in SENSOR_DEFINITIONS.items():
        request(base_url, "PUT", "/kpi/v1/definitions/" + code, definition, key=key)
    for variable, rule in SENSOR_RULES.items():
        request(base_url, "PUT", "/kpi/v1/rules/" + variable, rule, key=key)
    query = urllib.parse.urlencode({"city": CITY, "period": "2025", "variable": "pm25_annual_mean"})
    if request(base_url, "GET", "/kpi/v1/inputs?" + query, key=key):
        return f"{len(SENSOR_RULES)} sensor rule"
    evaluated = request(base_url, "POST", "/kpi/v1/rules/evaluate",
                        {"city": CITY, "period": "2025"}, key=key)
    return f"{len(SENSOR_RULES)} sensor rule ({evaluated['rows']} input from the stations' 2025 history)"


def load(base_url, key=None):
    """Local definitions, then the inputs (which need the definitions' variables), then the
    targets; each step only once, so a restarted demo does not import the same file again."""
    done = []
    present = {d["code"] for d in request(base_url, "GET", "/kpi/v1/definitions", key=key)}
    for code, definition in LOCAL_DEFINITIONS.items():
        if code not in present:
            request(base_url, "PUT", "/kpi/v1/definitions/" + code, definition, key=key)
    done.append(f"{len(LOCAL_DEFINITIONS)} local KPI definitions")
    query = urllib.parse.urlencode({"city": CITY, "period": "2025", "variable": "traffic_fatalities"})
    if not request(base_url, "GET", "/kpi/v1/inputs?" + query, key=key):
        imported = request(base_url, "POST", "/kpi/v1/inputs", csv_text(), "text/csv", key=key)
        done.append(f"{imported['rows']} KPI inputs ({imported['results']} results)")
    if not request(base_url, "GET", "/kpi/v1/targets", key=key):
        request(base_url, "PUT", "/kpi/v1/targets", targets(), key=key)
    done.append(f"{len(TARGETS)} KPI targets")
    done.append(load_sensor_inputs(base_url, key=key))
    return ", ".join(done)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--csv", action="store_true", help="print the inputs as CSV")
    group.add_argument("--targets", action="store_true", help="print the targets as JSON")
    args = parser.parse_args()
    if args.csv:
        sys.stdout.write(csv_text())
    else:
        json.dump(targets(), sys.stdout, indent=1)
        print()


if __name__ == "__main__":
    main()
