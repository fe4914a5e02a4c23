// Every complete U4SSC formula of the catalogue against a case computed by hand, plus unit
// conversion, missing inputs and zero denominators (docs/kpi.md, "Computation").
#include "citytwin/kpi/calculator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "citytwin/kpi/catalogue.hpp"

namespace citytwin::kpi {
namespace {

// One city-year of inputs, each in the unit the catalogue expects.
const std::map<std::string, double> kFixture = {
    {"households_with_internet", 45000},
    {"households_total", 60000},
    {"fixed_broadband_subscriptions", 30000},
    {"water_network_smart_monitored_km", 120},
    {"water_network_km", 800},
    {"drainage_ict_monitored_km", 90},
    {"drainage_km", 600},
    {"smart_electricity_meters", 52000},
    {"electricity_meters_total", 65000},
    {"transit_stops_realtime_info", 300},
    {"transit_stops_total", 1200},
    {"major_streets_ict_monitored_km", 70},
    {"major_streets_km", 350},
    {"intersections_adaptive_control", 45},
    {"intersections_signal_controlled", 180},
    {"open_datasets_published", 240},
    {"datasets_inventoried", 600},
    {"public_services_electronic", 85},
    {"procurements_online", 630},
    {"procurements_total", 900},
    {"patents_granted", 36},
    {"population", 150000},
    {"smes", 9900},
    {"enterprises_total", 10000},
    {"labour_force_unemployed", 4500},
    {"labour_force", 75000},
    {"youth_unemployed", 1200},
    {"youth_labour_force", 8000},
    {"labour_force_ict", 6000},
    {"water_unaccounted_m3", 1800000},
    {"water_supplied_m3", 12000000},
    {"households_basic_sanitation", 59400},
    {"electricity_customer_interruptions", 97500},
    {"electricity_customers", 65000},
    {"electricity_interruption_minutes", 4875000},
    {"households_electricity_connection", 60000},
    {"population_near_transit_stop", 135000},
    {"bicycle_network_km", 180},
    {"travel_time_peak_min", 39},
    {"travel_time_free_flow_min", 30},
    {"air_pollutant_mass_ug", 1440},
    {"air_sampled_m3", 96},
    {"ghg_emissions_t_co2e", 600000},
    {"water_consumption_l_per_day", 27000000},
    {"solid_waste_route_t", 21000},
    {"solid_waste_total_t", 60000},
    {"population_exposed_noise", 18000},
    {"green_area_ha", 1200},
    {"renewable_electricity_consumption_kwh", 270000000},
    {"energy_consumption_kwh", 1200000000},
    {"electricity_use_kwh", 900000000},
    {"public_buildings_electricity_kwh", 12000000},
    {"public_buildings_floor_m2", 100000},
    {"students_ict_access", 17100},
    {"students_enrolled", 19000},
    {"students_primary_secondary", 19000},
    {"school_age_population", 20000},
    {"population_higher_degree", 45000},
    {"adults_literate", 118800},
    {"adults_total", 120000},
    {"population_electronic_health_record", 105000},
    {"life_expectancy_years", 82.5},
    {"maternal_deaths", 3},
    {"live_births", 1500},
    {"hospital_beds", 600},
    {"hourly_earnings_female_usd", 27},
    {"hourly_earnings_male_usd", 30},
    {"lorenz_gap_area", 0.14},
    {"equality_line_area", 0.5},
    {"population_below_poverty", 13500},
    {"voters_participating", 72000},
    {"voters_registered", 120000},
    {"daycare_spots", 3400},
    {"preschool_children", 4000},
    {"natural_disaster_deaths", 3},
    {"emergency_response_minutes_total", 84000},
    {"emergency_responses", 10500},
    {"firefighters_fte", 180},
};

struct Case {
  const char* code;
  double expected;  // computed by hand from kFixture; the arithmetic is in the comment
};

const Case kCases[] = {
    {"EC.ICT.ICT.1C", 75},   // 45000 / 60000 x 100
    {"EC.ICT.ICT.2C", 50},   // 30000 / 60000 x 100
    {"EC.ICT.WS.2A", 15},    // 120 / 800 x 100
    {"EC.ICT.D.1A", 15},     // 90 / 600 x 100
    {"EC.ICT.ES.1C", 80},    // 52000 / 65000 x 100
    {"EC.ICT.T.1C", 25},     // 300 / 1200 x 100
    {"EC.ICT.T.2C", 20},     // 70 / 350 x 100
    {"EC.ICT.T.3A", 25},     // 45 / 180 x 100
    {"EC.ICT.PS.1A", 40},    // 240 / 600 x 100
    {"EC.ICT.PS.2A", 85},    // 85 (a count, no denominator)
    {"EC.ICT.PS.3A", 70},    // 630 / 900 x 100
    {"EC.P.IN.2C", 24},      // 36 / 150000 x 100000
    {"EC.P.IN.3A", 99},      // 9900 / 10000 x 100
    {"EC.P.EM.1C", 6},       // 4500 / 75000 x 100
    {"EC.P.EM.2C", 15},      // 1200 / 8000 x 100
    {"EC.P.EM.4A", 8},       // 6000 / 75000 x 100
    {"EC.I.WS.3C", 15},      // 1800000 / 12000000 x 100
    {"EC.I.WS.5C", 99},      // 59400 / 60000 x 100
    {"EC.I.ES.1C", 1.5},     // 97500 / 65000
    {"EC.I.ES.2C", 50},      // 4875000 / 97500
    {"EC.I.ES.3C", 100},     // 60000 / 60000 x 100
    {"EC.I.T.2A", 90},       // 135000 / 150000 x 100
    {"EC.I.T.3C", 120},      // 180 / 150000 x 100000
    {"EC.I.T.5A", 1.3},      // 39 / 30
    {"EN.EN.AQ.1C", 15},     // 1440 / 96
    {"EN.EN.AQ.2C", 4},      // 600000 / 150000
    {"EN.EN.WS.2C", 180},    // 27000000 / 150000
    {"EN.EN.WA.1C", 35},     // 21000 / 60000 x 100
    {"EN.EN.EQ.2A", 12},     // 18000 / 150000 x 100
    {"EN.EN.PSN.1C", 800},   // 1200 / 150000 x 100000
    {"EN.E.E.1C", 22.5},     // 270000000 / 1200000000 x 100
    {"EN.E.E.2C", 6000},     // 900000000 / 150000
    {"EN.E.E.4A", 120},      // 12000000 / 100000
    {"SC.EH.ED.1C", 90},     // 17100 / 19000 x 100
    {"SC.EH.ED.2C", 95},     // 19000 / 20000 x 100
    {"SC.EH.ED.3C", 30000},  // 45000 / 150000 x 100000
    {"SC.EH.ED.4C", 99},     // 118800 / 120000 x 100
    {"SC.EH.ED.5A", 70},     // 105000 / 150000 x 100
    {"SC.EH.H.1C", 82.5},    // 82.5 (a statistic, no denominator)
    {"SC.EH.H.2C", 200},     // 3 / 1500 x 100000
    {"SC.EH.H.4A", 400},     // 600 / 150000 x 100000
    {"SC.SH.SI.1C", 0.9},    // 27 / 30
    {"SC.SH.SI.2C", 0.28},   // 0.14 / 0.5
    {"SC.SH.SI.3C", 9},      // 13500 / 150000 x 100
    {"SC.SH.SI.4C", 60},     // 72000 / 120000 x 100
    {"SC.SH.SI.5A", 85},     // 3400 / 4000 x 100
    {"SC.SH.SA.1C", 2},      // 3 / 150000 x 100000
    {"SC.SH.SA.5A", 8},      // 84000 / 10500
    {"SC.SH.SA.7C", 120},    // 180 / 150000 x 100000
};

class CalculatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = Catalogue::embedded();
    ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
    catalogue_ = std::move(*parsed);
    for (const auto& entry : catalogue_.entries()) {
      if (entry.formula) definitions_[entry.code] = Definition{entry.code, *entry.formula, false};
    }
  }

  // A batch holding `values` (variable -> value) in the catalogue's units, unless `units`
  // says otherwise.
  static InputBatch batch(const std::map<std::string, double>& values,
                          const std::map<std::string, std::string>& units = {},
                          const Catalogue* catalogue = nullptr) {
    InputBatch out;
    out.id = "imp-00000001";
    std::size_t row = 2;
    for (const auto& [name, value] : values) {
      InputRow input;
      input.row = row++;
      input.city = "testville";
      input.period = "2025";
      input.variable = name;
      input.value = value;
      auto unit = units.find(name);
      input.unit = unit != units.end()    ? unit->second
                   : catalogue != nullptr ? catalogue->variable_unit(name).value_or("count")
                                          : "count";
      input.source = "hand-made fixture";
      out.rows.push_back(input);
    }
    return out;
  }

  KpiResult compute(const std::string& code, const InputBatch& inputs) {
    std::vector<InputBatch> batches{inputs};
    InputIndex index(batches);
    Calculator calculator(
        [this](std::string_view wanted) -> const Definition* {
          auto it = definitions_.find(std::string(wanted));
          return it == definitions_.end() ? nullptr : &it->second;
        },
        index);
    return calculator.compute(code, "testville", "2025");
  }

  Catalogue catalogue_;
  std::map<std::string, Definition> definitions_;
};

TEST_F(CalculatorTest, EveryCompleteFormulaMatchesItsHandComputedCase) {
  InputBatch inputs = batch(kFixture, {}, &catalogue_);
  std::set<std::string> covered;
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.code);
    covered.insert(c.code);
    KpiResult result = compute(c.code, inputs);
    ASSERT_TRUE(result.value.has_value()) << result.reason;
    EXPECT_NEAR(*result.value, c.expected, std::abs(c.expected) * 1e-12);
    EXPECT_FALSE(result.local);
    EXPECT_TRUE(result.missing.empty());
    EXPECT_EQ(result.provenance.size(), definitions_.at(c.code).formula.terms().size());
  }
  // The table covers every computable KPI of the catalogue, and nothing else.
  std::set<std::string> computable;
  for (const auto& [code, _] : definitions_) computable.insert(code);
  EXPECT_EQ(covered, computable);
  EXPECT_EQ(computable.size(), 49u);
}

TEST_F(CalculatorTest, InputsInOtherUnitsAreConverted) {
  // Bicycle network in metres and water consumption in m3/day instead of km and L/day.
  InputBatch inputs = batch({{"bicycle_network_km", 180000},
                             {"population", 150000},
                             {"water_consumption_l_per_day", 27000}},
                            {{"bicycle_network_km", "m"},
                             {"population", "count"},
                             {"water_consumption_l_per_day", "m3/d"}});
  KpiResult bikes = compute("EC.I.T.3C", inputs);
  ASSERT_TRUE(bikes.value) << bikes.reason;
  EXPECT_NEAR(*bikes.value, 120, 1e-9);  // 180000 m = 180 km; 180 / 150000 x 100000
  EXPECT_EQ(bikes.unit, "per_100000");
  EXPECT_EQ(bikes.provenance[0].unit, "m");
  EXPECT_NEAR(bikes.provenance[0].used, 180, 1e-9);
  KpiResult water = compute("EN.EN.WS.2C", inputs);
  ASSERT_TRUE(water.value) << water.reason;
  EXPECT_NEAR(*water.value, 180, 1e-9);  // 27000 m3/d = 27000000 L/d; / 150000
}

TEST_F(CalculatorTest, WholeNumberInputsGiveTheExactRatio) {
  // Dividing first gives 119.99999999999999 (0.0012 is not a double); multiplying first is
  // exact for whole numbers, then rounded once.
  InputBatch inputs = batch({{"bicycle_network_km", 180}, {"population", 150000}}, {}, &catalogue_);
  KpiResult bikes = compute("EC.I.T.3C", inputs);
  ASSERT_TRUE(bikes.value) << bikes.reason;
  EXPECT_EQ(*bikes.value, 120);
}

TEST_F(CalculatorTest, AProductBeyondADoubleStillDividesToAFiniteValue) {
  InputBatch inputs = batch({{"bicycle_network_km", 1e305}, {"population", 1e10}}, {}, &catalogue_);
  KpiResult bikes = compute("EC.I.T.3C", inputs);
  ASSERT_TRUE(bikes.value) << bikes.reason;
  EXPECT_NEAR(*bikes.value, 1e300, 1e288);
}

TEST_F(CalculatorTest, IncompatibleUnitGivesNoValue) {
  InputBatch inputs = batch({{"bicycle_network_km", 180}, {"population", 150000}},
                            {{"bicycle_network_km", "kWh"}, {"population", "count"}});
  KpiResult result = compute("EC.I.T.3C", inputs);
  EXPECT_FALSE(result.value);
  EXPECT_NE(result.reason.find("cannot be converted"), std::string::npos) << result.reason;
}

TEST_F(CalculatorTest, MissingDenominatorIsNoDataWithTheMissingInput) {
  InputBatch inputs = batch({{"households_with_internet", 45000}});
  KpiResult result = compute("EC.ICT.ICT.1C", inputs);
  EXPECT_FALSE(result.value);
  EXPECT_EQ(result.missing, std::vector<std::string>{"households_total"});
  EXPECT_NE(result.reason.find("missing input households_total"), std::string::npos);
  ASSERT_EQ(result.provenance.size(), 1u);
  EXPECT_EQ(result.provenance[0].import_id, "imp-00000001");
}

TEST_F(CalculatorTest, MissingNumeratorAndDenominatorAreBothListed) {
  KpiResult result = compute("EC.P.EM.1C", batch({{"population", 1}}));
  EXPECT_FALSE(result.value);
  EXPECT_EQ(result.missing, (std::vector<std::string>{"labour_force_unemployed", "labour_force"}));
}

TEST_F(CalculatorTest, ZeroDenominatorIsNoDataNotZeroOrInfinity) {
  KpiResult result =
      compute("EC.ICT.ICT.1C", batch({{"households_with_internet", 0}, {"households_total", 0}}));
  EXPECT_FALSE(result.value);
  EXPECT_EQ(result.reason, "zero denominator: households_total is 0");
  EXPECT_TRUE(result.missing.empty());
}

TEST_F(CalculatorTest, ZeroNumeratorIsARealZero) {
  KpiResult result =
      compute("EC.ICT.ICT.1C", batch({{"households_with_internet", 0}, {"households_total", 10}}));
  ASSERT_TRUE(result.value);
  EXPECT_EQ(*result.value, 0);
}

TEST_F(CalculatorTest, PendingKpiHasNoDefinition) {
  KpiResult result = compute("SC.SH.SA.9C", batch({{"population", 1}}));
  EXPECT_FALSE(result.value);
  EXPECT_NE(result.reason.find("no computable definition"), std::string::npos);
}

TEST_F(CalculatorTest, LocalDefinitionCanUseAnotherKpi) {
  // A local definition: youth unemployment relative to overall unemployment (ratio of KPIs).
  Formula formula;
  formula.numerator = Term{Term::Kind::kKpi, "EC.P.EM.2C", "", ""};
  formula.denominator = Term{Term::Kind::kKpi, "EC.P.EM.1C", "", ""};
  formula.unit = "1";
  definitions_["EC.P.EM.3A"] = Definition{"EC.P.EM.3A", formula, true};
  KpiResult result = compute("EC.P.EM.3A", batch(kFixture, {}, &catalogue_));
  ASSERT_TRUE(result.value) << result.reason;
  EXPECT_NEAR(*result.value, 2.5, 1e-12);  // 15 % / 6 %
  EXPECT_TRUE(result.local);
}

TEST(VariablesUsed, FollowsKpiReferences) {
  std::map<std::string, Definition> definitions;
  Formula inner;
  inner.numerator = Term{Term::Kind::kVariable, "a", "count", ""};
  inner.denominator = Term{Term::Kind::kVariable, "b", "count", ""};
  definitions["X"] = Definition{"X", inner, true};
  Formula outer;
  outer.numerator = Term{Term::Kind::kKpi, "X", "", ""};
  outer.denominator = Term{Term::Kind::kVariable, "c", "count", ""};
  definitions["Y"] = Definition{"Y", outer, true};
  DefinitionLookup lookup = [&definitions](std::string_view code) -> const Definition* {
    auto it = definitions.find(std::string(code));
    return it == definitions.end() ? nullptr : &it->second;
  };
  EXPECT_EQ(variables_used(definitions["Y"], lookup), (std::set<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace citytwin::kpi
