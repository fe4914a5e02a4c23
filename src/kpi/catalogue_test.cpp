// The embedded catalogue: all 91 U4SSC KPIs, formulas only where the reference has them.
#include "citytwin/kpi/catalogue.hpp"

#include <gtest/gtest.h>

#include <map>

namespace citytwin::kpi {
namespace {

class CatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = Catalogue::embedded();
    ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
    catalogue_ = std::move(*parsed);
  }
  Catalogue catalogue_;
};

TEST_F(CatalogueTest, HoldsThe91KpisWithTheReferenceCounts) {
  ASSERT_EQ(catalogue_.entries().size(), 91u);
  std::map<std::string, int> by_status;
  std::map<std::string, int> by_tier;
  for (const auto& entry : catalogue_.entries()) {
    ++by_status[entry.status];
    ++by_tier[entry.core_or_advanced];
    EXPECT_EQ(entry.formula.has_value(), entry.status == "computable") << entry.code;
    EXPECT_FALSE(entry.direction.empty()) << entry.code;
  }
  EXPECT_EQ(by_status["computable"], 49);
  EXPECT_EQ(by_status["pending"], 41);
  EXPECT_EQ(by_status["qualitative"], 1);  // EC.I.UP.2A
  EXPECT_EQ(by_tier["core"], 55);
  EXPECT_EQ(by_tier["advanced"], 36);
}

TEST_F(CatalogueTest, Per100000RatesDivideByPopulationOnce) {
  const KpiEntry* patents = catalogue_.find("EC.P.IN.2C");
  ASSERT_NE(patents, nullptr);
  ASSERT_TRUE(patents->formula);
  EXPECT_EQ(patents->formula->denominator->name, "population");
  EXPECT_EQ(patents->formula->multiplier, 100000);
  EXPECT_EQ(patents->formula->unit, "per_100000");
}

TEST_F(CatalogueTest, PendingKpiHasNoFormula) {
  const KpiEntry* fatalities = catalogue_.find("SC.SH.SA.9C");
  ASSERT_NE(fatalities, nullptr);
  EXPECT_EQ(fatalities->status, "pending");
  EXPECT_FALSE(fatalities->formula);
  EXPECT_EQ(fatalities->direction, "unknown");
}

TEST_F(CatalogueTest, FiltersByDimensionTierAndSdg) {
  CatalogueFilter filter;
  filter.dimension = "Environment";
  int environment = 0;
  for (const auto& entry : catalogue_.entries()) environment += filter.matches(entry);
  EXPECT_EQ(environment, 17);
  filter.core_or_advanced = "core";
  int core = 0;
  for (const auto& entry : catalogue_.entries()) core += filter.matches(entry);
  EXPECT_EQ(core, 12);
  CatalogueFilter sdg;
  sdg.sdg = "17";
  const KpiEntry* internet = catalogue_.find("EC.ICT.ICT.1C");  // SDG 17.8.1
  EXPECT_TRUE(sdg.matches(*internet));
  sdg.sdg = "17.8";
  EXPECT_TRUE(sdg.matches(*internet));
  sdg.sdg = "1";  // not a prefix of 17 at a dot boundary
  EXPECT_FALSE(sdg.matches(*internet));
}

TEST(CatalogueParse, RefusesAComputableEntryWithoutDefinition) {
  auto parsed = Catalogue::parse(R"({"kpis": [{"code": "X.1C", "status": "computable"}]})");
  EXPECT_FALSE(parsed.ok());
}

}  // namespace
}  // namespace citytwin::kpi

namespace citytwin::kpi {
namespace {

TEST(NumberJson, WholeNumbersAreIntegersOthersStayDoubles) {
  EXPECT_TRUE(number_json(100000.0).is_int64());
  EXPECT_EQ(number_json(100000.0).as_int64(), 100000);
  EXPECT_TRUE(number_json(22.5).is_double());
  EXPECT_TRUE(number_json(1e300).is_double());
}

}  // namespace
}  // namespace citytwin::kpi
