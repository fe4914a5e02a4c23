#!/usr/bin/env python3
"""Builds CityTwin's U4SSC KPI catalogue (data/kpi/catalogue.json) from the reference facts.

Usage: scripts/build_kpi_catalogue.py [REFERENCE_JSON] [OUTPUT_JSON]
  defaults: /work/shared/reference/u4ssc-kpis.json  data/kpi/catalogue.json

What it does, and what it refuses to do (docs/kpi.md, "The catalogue"):
- Every one of the 91 reference KPIs becomes one catalogue entry with its code, names,
  dimension / sub-dimension / category, tier (core/advanced), SDG references, unit, direction
  and evidence (evidence_level, formula_basis, sources).
- A computable definition (numerator / denominator / multiplier over NAMED input variables) is
  written only where the reference says `formula_complete` and gives an arithmetic formula. The
  variable name for each numerator/denominator text comes from VARIABLES below, an explicit,
  reviewed table: a complete formula whose wording is not in the table stops the script (a new
  reference edition must be reviewed, never guessed). Everything else is status "pending";
  EC.I.UP.2A (a Yes/No per principle, no arithmetic) is status "qualitative".
- Per-100 000 rates: the reference writes the denominator as "City population / 100 000" with
  multiplier 100000; the definition is numerator / population x 100000 (applied once).
- direction: the reference's value where it has one ("reference"); otherwise a reading that is
  unambiguous from the KPI's own definition, listed in DIRECTION_FROM_DEFINITION with its reason
  ("definition"); otherwise "unknown".
"""
import json
import sys

# Reference wording -> (variable name, unit the variable is expected in). Units are CityTwin
# unit codes (src/kpi/units.cpp). Wordings that mean the same statistic share one variable.
VARIABLES = {
    "Number of households with Internet access": ("households_with_internet", "count"),
    "Total number of households": ("households_total", "count"),
    "Total number of city households": ("households_total", "count"),
    "Number of fixed broadband subscriptions": ("fixed_broadband_subscriptions", "count"),
    "Length of the water distribution network covered by a smart (ICT-based) water monitoring system (km)":
        ("water_network_smart_monitored_km", "km"),
    "Total length of the water distribution network (km)": ("water_network_km", "km"),
    "Length of drainage / storm water system monitored by ICT (km)": ("drainage_ict_monitored_km", "km"),
    "Total length of the drainage / storm water system (km)": ("drainage_km", "km"),
    "Number of smart electricity meters installed": ("smart_electricity_meters", "count"),
    "Total number of electricity meters installed": ("electricity_meters_total", "count"),
    "Number of stops and stations with dynamic (real-time) information":
        ("transit_stops_realtime_info", "count"),
    "Total number of stops and stations": ("transit_stops_total", "count"),
    "Length of major streets monitored by ICT (km)": ("major_streets_ict_monitored_km", "km"),
    "Total length of major streets (km)": ("major_streets_km", "km"),
    "Number of intersections with adaptive traffic control": ("intersections_adaptive_control", "count"),
    "Total number of signal-controlled intersections": ("intersections_signal_controlled", "count"),
    "Total number of open data sets published": ("open_datasets_published", "count"),
    "Total number of data sets (inventoried)": ("datasets_inventoried", "count"),
    "Number of public services the city delivers through electronic means (web, mobile apps, text messages)":
        ("public_services_electronic", "count"),
    "Number of public sector procurement activities conducted online": ("procurements_online", "count"),
    "Total number of public sector procurement activities": ("procurements_total", "count"),
    "Number of new patents granted during the year to persons and companies resident in the city":
        ("patents_granted", "count"),
    "City population / 100 000": ("population", "count"),
    "Total city population": ("population", "count"),
    "Current city population": ("population", "count"),
    "Total current city population": ("population", "count"),
    "Total number of city inhabitants": ("population", "count"),
    "Number of SMEs (firms with fewer than 250 employees)": ("smes", "count"),
    "Total number of enterprises": ("enterprises_total", "count"),
    "Number of the city labour force that is unemployed": ("labour_force_unemployed", "count"),
    "Total city labour force": ("labour_force", "count"),
    "Number of unemployed young people (above the legal working age and under 24; without work, available for and actively seeking work)":
        ("youth_unemployed", "count"),
    "Youth labour force (employed plus unemployed young people of the same ages)":
        ("youth_labour_force", "count"),
    "Number of people in the city labour force working in ICT-sector occupations":
        ("labour_force_ict", "count"),
    "Volume of water supplied minus volume of water used (unaccounted-for water, m3)":
        ("water_unaccounted_m3", "m3"),
    "Total volume of water supplied (m3)": ("water_supplied_m3", "m3"),
    "Number of city households with access to basic sanitation facilities":
        ("households_basic_sanitation", "count"),
    "Sum of customer interruptions": ("electricity_customer_interruptions", "count"),
    "Total number of customers served": ("electricity_customers", "count"),
    "Sum of all customer interruption durations (minutes)": ("electricity_interruption_minutes", "min"),
    "Total number of customer interruptions": ("electricity_customer_interruptions", "count"),
    "Number of city households with an authorized connection to the electrical system":
        ("households_electricity_connection", "count"),
    "Number of city inhabitants living within 0.5 km of a public transport stop":
        ("population_near_transit_stop", "count"),
    "Total length of bicycle paths and bicycle lanes (km; lanes or paths on both sides of a road counted separately)":
        ("bicycle_network_km", "km"),
    "Travel time during peak periods (min)": ("travel_time_peak_min", "min"),
    "Travel time during free-flow periods (min)": ("travel_time_free_flow_min", "min"),
    "Mass of pollutant collected (ug)": ("air_pollutant_mass_ug", "ug"),
    "Volume of air sampled (m3)": ("air_sampled_m3", "m3"),
    "Total greenhouse gas emissions generated in the calendar year by all activities within the city, including indirect emissions outside the city boundary (tonnes CO2-equivalent)":
        ("ghg_emissions_t_co2e", "t"),
    "Total water consumption in the city (litres per day)": ("water_consumption_l_per_day", "L/d"),
    "Tonnes of the city's solid waste handled by one treatment or disposal route (one data point per route, e.g. recycled, sanitary landfill, incineration / energy-from-waste, open burning, open dump, other)":
        ("solid_waste_route_t", "t"),
    "Total tonnes of the city's solid waste": ("solid_waste_total_t", "t"),
    "Number of inhabitants exposed to noise pollution": ("population_exposed_noise", "count"),
    "Total green area in the city (hectares of vegetated or natural surface, incl. green roofs; public and private)":
        ("green_area_ha", "ha"),
    "Consumption of electricity generated from renewable sources (geothermal, solar, wind, hydro, tide and wave, biomass and other combustible renewables)":
        ("renewable_electricity_consumption_kwh", "kWh"),
    "Total energy consumption of the city": ("energy_consumption_kwh", "kWh"),
    "Total electricity use in the city, residential and non-residential (kWh per year)":
        ("electricity_use_kwh", "kWh"),
    "Annual electricity use at final consumption by public (government-owned) buildings in the city (kWh)":
        ("public_buildings_electricity_kwh", "kWh"),
    "Total floor area of those buildings (m2)": ("public_buildings_floor_m2", "m2"),
    "Number of students with classroom access to ICT facilities": ("students_ict_access", "count"),
    "Total number of students enrolled in schools": ("students_enrolled", "count"),
    "Number of students in primary and secondary levels in public and private schools":
        ("students_primary_secondary", "count"),
    "Total school-aged population": ("school_age_population", "count"),
    "Number of city inhabitants holding at least one higher-level education degree":
        ("population_higher_degree", "count"),
    "Number of adult city inhabitants who are deemed literate": ("adults_literate", "count"),
    "Total number of adult city inhabitants": ("adults_total", "count"),
    "Number of city inhabitants with electronic health records": ("population_electronic_health_record", "count"),
    "Average number of years that people born in the same year would live if the health and living conditions at their birth stayed unchanged (life-table statistic)":
        ("life_expectancy_years", "a"),
    "Number of maternal deaths in a year": ("maternal_deaths", "count"),
    "Number of live births in a year": ("live_births", "count"),
    "Total number of in-patient hospital beds (public and private)": ("hospital_beds", "count"),
    "Average hourly earnings of female employees (USD)": ("hourly_earnings_female_usd", "USD"),
    "Average hourly earnings of male employees (USD)": ("hourly_earnings_male_usd", "USD"),
    "Area between the Lorenz curve of the income (or consumption) distribution and the line of perfect equality":
        ("lorenz_gap_area", "1"),
    "Total area under the line of perfect equality": ("equality_line_area", "1"),
    "Number of city inhabitants living below the poverty threshold (households at or below the threshold x current average household size)":
        ("population_below_poverty", "count"),
    "Number of people who voted in the last municipal election": ("voters_participating", "count"),
    "Number of people on the electoral register (eligible voters) for that election":
        ("voters_registered", "count"),
    "Number of day-care spots available for pre-school children": ("daycare_spots", "count"),
    "Total number of pre-school-age children": ("preschool_children", "count"),
    "Number of deaths caused by natural disasters recorded over a 12-month period":
        ("natural_disaster_deaths", "count"),
    "Sum, over the year, of the time from the initial emergency call to the arrival of emergency responders on scene (minutes)":
        ("emergency_response_minutes_total", "min"),
    "Total number of emergency responses in the same year": ("emergency_responses", "count"),
    "Number of full-time firefighters (certified staff working directly in firefighting and responding to daily calls)":
        ("firefighters_fte", "count"),
}

# Result unit code by the reference's unit wording (src/kpi/units.cpp); "" when the wording
# names no unit CityTwin can check.
RESULT_UNITS = {
    "Percentage": "percent",
    "Percentage and Number": "percent",
    "Percentage (per treatment / disposal route)": "percent",
    "Number (of services)": "count",
    "Number (interruptions per customer per year)": "1",
    "Minutes": "min",
    "Ratio": "1",
    "Ratio (female : male)": "1",
    "Coefficient (0-1)": "1",
    "Years": "a",
    "ug/m3 (annual mean, per pollutant)": "ug/m3",
    "Tonnes CO2-equivalent per capita (per year)": "t/capita",
    "Litres per capita per day": "L/d/capita",
    "kWh per capita per year": "kWh/capita",
    "kWh per m2 per year": "kWh/m2",
    "Number per 100 000 live births": "per_100000",
}

# KPIs whose direction the reference leaves null but whose own definition makes it
# unambiguous (a loss, a death, a delay or an exposure that a city wants less of).
DIRECTION_FROM_DEFINITION = {
    "EC.I.WS.3C": ("lower", "water supply loss: share of supplied water that is lost"),
    "EC.I.ES.1C": ("lower", "outage frequency: interruptions per customer"),
    "EC.I.ES.2C": ("lower", "outage time: minutes per interruption"),
    "SC.SH.SA.1C": ("lower", "deaths caused by natural disasters"),
    "SC.SH.SA.5A": ("lower", "time from emergency call to arrival"),
    "EN.EN.EQ.2A": ("lower", "share of inhabitants exposed to noise pollution"),
    "SC.SH.SI.3C": ("lower", "share of inhabitants below the poverty threshold"),
}

DIRECTIONS = {"higher_is_better": "higher", "lower_is_better": "lower", "target_range": "target"}


def per_100000(kpi):
    return kpi["denominator"] == "City population / 100 000"


def result_unit(kpi):
    unit = kpi.get("unit") or ""
    if per_100000(kpi):
        return "per_100000"
    if unit in RESULT_UNITS:
        return RESULT_UNITS[unit]
    raise SystemExit(f"{kpi['code']}: complete formula with unreviewed unit wording {unit!r}")


def variable(kpi, text):
    if text not in VARIABLES:
        raise SystemExit(f"{kpi['code']}: complete formula with unreviewed wording {text!r}")
    name, unit = VARIABLES[text]
    return {"name": name, "unit": unit, "description": text}


def definition(kpi):
    """The computable definition, or None with the catalogue status."""
    if not kpi["formula_complete"]:
        return None, "pending"
    if kpi["numerator"] is None:
        return None, "qualitative"  # complete method, no arithmetic (EC.I.UP.2A)
    numerator = variable(kpi, kpi["numerator"])
    denominator = None
    if kpi["denominator"] not in (None, "none"):
        denominator = variable(kpi, kpi["denominator"])
    multiplier = kpi["multiplier"] if kpi["multiplier"] is not None else 1
    return {
        "numerator": numerator,
        "denominator": denominator,
        "multiplier": multiplier,
        "unit": result_unit(kpi),
    }, "computable"


def direction(kpi):
    if kpi.get("direction") in DIRECTIONS:
        return DIRECTIONS[kpi["direction"]], "reference", None
    if kpi["code"] in DIRECTION_FROM_DEFINITION:
        value, reason = DIRECTION_FROM_DEFINITION[kpi["code"]]
        return value, "definition", reason
    return "unknown", None, None


def entry(kpi):
    formula, status = definition(kpi)
    dir_value, dir_basis, dir_reason = direction(kpi)
    out = {
        "code": kpi["code"],
        "codeAsPublished": kpi["code_as_published"],
        "name": kpi["name"],
        "description": kpi.get("definition"),
        "dimension": kpi["dimension"],
        "subDimension": kpi["sub_dimension"],
        "category": kpi["category"],
        "coreOrAdvanced": kpi["tier"],
        "kind": kpi.get("kind"),
        "sdg": kpi.get("sdg_refs") or [],
        "unit": kpi.get("unit"),
        "direction": dir_value,
        "status": status,
        "evidenceLevel": kpi["evidence_level"],
        "formulaBasis": kpi.get("formula_basis"),
        "sensorDerivable": kpi.get("sensor_derivable"),
        "notes": kpi.get("notes"),
        "sources": kpi.get("sources") or [],
    }
    if dir_basis:
        out["directionBasis"] = dir_basis
    if dir_reason:
        out["directionReason"] = dir_reason
    if formula:
        out["definition"] = formula
    return out


def main():
    reference = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference/u4ssc-kpis.json"
    output = sys.argv[2] if len(sys.argv) > 2 else "data/kpi/catalogue.json"
    with open(reference, encoding="utf-8") as f:
        kpis = json.load(f)
    if len(kpis) != 91:
        raise SystemExit(f"expected 91 KPIs, found {len(kpis)}")
    catalogue = {
        "catalogue": "U4SSC KPIs for Smart Sustainable Cities (ITU-T Y.4903)",
        "generatedBy": "scripts/build_kpi_catalogue.py",
        "kpis": [entry(k) for k in kpis],
    }
    with open(output, "w", encoding="utf-8") as f:
        json.dump(catalogue, f, indent=1, ensure_ascii=False)
        f.write("\n")
    statuses = {}
    for item in catalogue["kpis"]:
        statuses[item["status"]] = statuses.get(item["status"], 0) + 1
    print(f"{output}: {len(kpis)} KPIs, {statuses}", file=sys.stderr)


if __name__ == "__main__":
    main()
