// KpiService over the in-memory store: import -> results as entities -> integrity log.
#include "citytwin/kpi/kpi_service.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "citytwin/kpi/result_entity.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/store/memory_store.hpp"

namespace citytwin::kpi {
namespace {

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant{1'767'225'600'000'000}; }
};

const std::string kHeader = "city,period,variable,value,unit,source\n";

class KpiServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalogue = Catalogue::embedded();
    ASSERT_TRUE(catalogue.ok());
    service_ = std::make_unique<KpiService>(*store_, entities_, clock_, std::move(*catalogue));
  }

  ImportOutcome import_csv(const std::string& text, const std::string& tenant = "") {
    auto outcome = service_->import(tenant, InputFormat::kCsv, text);
    EXPECT_TRUE(outcome.ok()) << outcome.error().detail;
    return *outcome;
  }

  std::optional<boost::json::object> result(const std::string& code,
                                            const std::string& city = "demo",
                                            const std::string& tenant = "") {
    auto entity = entities_.get(tenant, result_entity_id(city, "2025", code));
    if (!entity) return std::nullopt;
    return result_view(*entity);
  }

  FixedClock clock_;
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  core::EntityService entities_{*store_, clock_};
  std::unique_ptr<KpiService> service_;
};

TEST_F(KpiServiceTest, ImportPublishesAffectedKpisAsEntities) {
  auto outcome = import_csv(kHeader +
                            "demo,2025,households_with_internet,45000,count,Stats\n"
                            "demo,2025,households_total,60000,count,Stats\n");
  ASSERT_TRUE(outcome.accepted);
  EXPECT_EQ(outcome.import_id, "imp-00000001");
  // Every KPI that uses one of the two variables: 1C, 2C, WS.5C, ES.3C.
  EXPECT_EQ(outcome.results, 4u);
  auto internet = result("EC.ICT.ICT.1C");
  ASSERT_TRUE(internet);
  EXPECT_EQ(internet->at("kpiValue").to_number<double>(), 75);
  EXPECT_EQ(internet->at("dataStatus"), "ok");
  EXPECT_EQ(internet->at("definitionOrigin"), "official");
  EXPECT_EQ(internet->at("calculationPeriod").as_object().at("to"), "2025-12-31");
  auto broadband = result("EC.ICT.ICT.2C");
  ASSERT_TRUE(broadband);
  EXPECT_EQ(broadband->at("dataStatus"), "noData");
  EXPECT_FALSE(broadband->contains("kpiValue"));
  EXPECT_EQ(broadband->at("missingInputs").as_array().at(0), "fixed_broadband_subscriptions");
}

TEST_F(KpiServiceTest, NewInputRecomputesWithTheNewestValue) {
  import_csv(kHeader +
             "demo,2025,households_with_internet,45000,count,Stats\n"
             "demo,2025,households_total,60000,count,Stats\n");
  import_csv(kHeader + "demo,2025,households_with_internet,54000,count,Survey\n");
  auto internet = result("EC.ICT.ICT.1C");
  ASSERT_TRUE(internet);
  EXPECT_EQ(internet->at("kpiValue").to_number<double>(), 90);
  const auto& provenance = internet->at("provenance").as_array();
  EXPECT_EQ(provenance.at(0).as_object().at("importId"), "imp-00000002");
  EXPECT_EQ(provenance.at(1).as_object().at("importId"), "imp-00000001");
}

TEST_F(KpiServiceTest, RejectedFileStoresNothing) {
  auto outcome = import_csv(kHeader +
                            "demo,2025,households_total,60000,count,Stats\n"
                            "demo,2025,households_total,oops,count,Stats\n");
  EXPECT_FALSE(outcome.accepted);
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_EQ(outcome.errors[0].row, 3u);
  EXPECT_TRUE(store_->list_documents(InputStore::kNamespace)->empty());
  EXPECT_TRUE(store_->list_documents(IntegrityLog::kRecords)->empty());
  EXPECT_FALSE(result("EC.I.ES.3C"));
}

TEST_F(KpiServiceTest, ZeroDenominatorIsPublishedAsNoData) {
  import_csv(kHeader +
             "demo,2025,households_with_internet,0,count,Stats\n"
             "demo,2025,households_total,0,count,Stats\n");
  auto internet = result("EC.ICT.ICT.1C");
  ASSERT_TRUE(internet);
  EXPECT_EQ(internet->at("dataStatus"), "noData");
  EXPECT_EQ(internet->at("noDataReason"), "zero denominator: households_total is 0");
}

TEST_F(KpiServiceTest, LocalDefinitionMakesAPendingKpiComputable) {
  auto stored = service_->put_definition(
      "", "SC.SH.SA.9C",
      boost::json::parse(R"({"numerator": {"name": "traffic_fatalities", "unit": "count"},
                             "denominator": {"name": "population", "unit": "count"},
                             "multiplier": 100000, "unit": "per_100000"})"));
  ASSERT_TRUE(stored.ok()) << stored.error().detail;
  auto outcome = import_csv(kHeader +
                            "demo,2025,traffic_fatalities,6,count,Police\n"
                            "demo,2025,population,150000,count,Stats\n");
  ASSERT_TRUE(outcome.accepted) << outcome.errors[0].reason;
  auto fatalities = result("SC.SH.SA.9C");
  ASSERT_TRUE(fatalities);
  EXPECT_EQ(fatalities->at("kpiValue").to_number<double>(), 4);  // 6 / 150000 x 100000
  EXPECT_EQ(fatalities->at("definitionOrigin"), "local");
  auto described = service_->describe("", "SC.SH.SA.9C");
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->at("definitionOrigin"), "local");
  // Other tenants keep the catalogue's (pending) definition.
  EXPECT_EQ(service_->describe("other", "SC.SH.SA.9C")->at("definitionOrigin"), "none");
}

TEST_F(KpiServiceTest, DefinitionChangeRecomputesExistingResults) {
  import_csv(kHeader +
             "demo,2025,households_with_internet,45000,count,Stats\n"
             "demo,2025,households_total,60000,count,Stats\n");
  auto stored = service_->put_definition(
      "", "EC.ICT.ICT.1C",
      boost::json::parse(R"({"numerator": {"name": "households_with_internet", "unit": "count"},
                             "denominator": {"name": "households_total", "unit": "count"},
                             "unit": "ratio"})"));
  ASSERT_TRUE(stored.ok()) << stored.error().detail;
  auto internet = result("EC.ICT.ICT.1C");
  EXPECT_EQ(internet->at("kpiValue").to_number<double>(), 0.75);
  EXPECT_EQ(internet->at("definitionOrigin"), "local");
}

TEST_F(KpiServiceTest, InvalidDefinitionsAreRefused) {
  auto json = [](const char* text) { return boost::json::parse(text); };
  // A cycle through kpi references.
  ASSERT_TRUE(service_
                  ->put_definition("", "EC.P.EM.3A",
                                   json(R"({"numerator": {"kpi": "EC.ICT.ES.2A"}, "unit": "1"})"))
                  .ok());
  auto cycle = service_->put_definition(
      "", "EC.ICT.ES.2A", json(R"({"numerator": {"kpi": "EC.P.EM.3A"}, "unit": "1"})"));
  ASSERT_FALSE(cycle.ok());
  EXPECT_NE(cycle.error().detail.find("cycle"), std::string::npos) << cycle.error().detail;
  // A variable without a name, an unknown unit, a unit inconsistent with the catalogue's,
  // an unknown KPI code, and a code outside the catalogue.
  EXPECT_FALSE(service_
                   ->put_definition("", "EC.P.EM.3A",
                                    json(R"({"numerator": {"unit": "count"}, "unit": "1"})"))
                   .ok());
  EXPECT_FALSE(
      service_
          ->put_definition("", "EC.P.EM.3A",
                           json(R"({"numerator": {"name": "x", "unit": "furlong"}, "unit": "1"})"))
          .ok());
  EXPECT_FALSE(service_
                   ->put_definition(
                       "", "EC.P.EM.3A",
                       json(R"({"numerator": {"name": "population", "unit": "km"}, "unit": "1"})"))
                   .ok());
  EXPECT_FALSE(service_
                   ->put_definition("", "EC.P.EM.3A",
                                    json(R"({"numerator": {"kpi": "NO.SUCH.1C"}, "unit": "1"})"))
                   .ok());
  auto outside = service_->put_definition(
      "", "XX.1C", json(R"({"numerator": {"name": "x", "unit": "count"}, "unit": "count"})"));
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().kind, ErrorKind::kResourceNotFound);
}

TEST_F(KpiServiceTest, VerifyFindsAnInputBatchChangedInTheStore) {
  import_csv(kHeader + "demo,2025,households_total,60000,count,Stats\n");
  auto reports = service_->verify(std::nullopt);
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_TRUE(reports->at(0).ok());
  EXPECT_GT(reports->at(0).records, 1u);  // the batch and its results
  auto key = std::string("\x1fimp-00000001");
  auto text = *store_->get_document(InputStore::kNamespace, key).value();
  text.replace(text.find("60000"), 5, "70000");
  ASSERT_TRUE(store_->put_document(InputStore::kNamespace, key, text).ok());
  reports = service_->verify(std::nullopt);
  ASSERT_TRUE(reports.ok());
  ASSERT_FALSE(reports->at(0).ok());
  EXPECT_EQ(reports->at(0).problems[0].what, "content-mismatch");
  EXPECT_EQ(reports->at(0).problems[0].seq, 1u);
}

TEST_F(KpiServiceTest, VerifyFindsAResultEntityChangedAfterPublication) {
  import_csv(kHeader +
             "demo,2025,households_with_internet,45000,count,Stats\n"
             "demo,2025,households_total,60000,count,Stats\n");
  ASSERT_TRUE(service_->verify(std::string())->at(0).ok());
  boost::json::object fragment{{vocab_iri("kpiValue"), boost::json::array{boost::json::object{
                                                           {"type", "Property"}, {"value", 99}}}}};
  ASSERT_TRUE(
      entities_.update_attributes("", result_entity_id("demo", "2025", "EC.ICT.ICT.1C"), fragment)
          .ok());
  auto reports = service_->verify(std::string());
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->at(0).problems.size(), 1u);
  EXPECT_EQ(reports->at(0).problems[0].what, "result-mismatch");
}

TEST_F(KpiServiceTest, ResultsFilterByCityAndDimension) {
  import_csv(kHeader +
             "demo,2025,households_with_internet,45000,count,Stats\n"
             "demo,2025,households_total,60000,count,Stats\n"
             "other,2025,population,1000,count,Stats\n"
             "other,2025,ghg_emissions_t_co2e,4000,t,Stats\n");
  ResultFilter filter;
  filter.city = "other";
  filter.code = "EN.EN.AQ.2C";
  auto results = service_->results("", filter);
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 1u);
  EXPECT_EQ(results->at(0).as_object().at("kpiValue").to_number<double>(), 4);
  ResultFilter economy;
  economy.dimension = "Economy";
  economy.city = "demo";
  auto listed = service_->results("", economy);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 4u);
}

TEST_F(KpiServiceTest, TargetsAreStoredLoggedAndDriveTheAssessment) {
  import_csv(kHeader +
             "demo,2024,households_with_internet,42000,count,Stats\n"
             "demo,2024,households_total,60000,count,Stats\n"
             "demo,2025,households_with_internet,45000,count,Stats\n"
             "demo,2025,households_total,60000,count,Stats\n");
  auto stored = service_->put_target("", "EC.ICT.ICT.1C",
                                     boost::json::parse(R"({"value": 90, "year": 2030})"));
  ASSERT_TRUE(stored.ok()) << stored.error().detail;
  EXPECT_FALSE(
      service_->put_target("", "EC.ICT.ICT.1C", boost::json::parse(R"({"value": 90})")).ok());
  EXPECT_FALSE(
      service_->put_target("", "NO.SUCH", boost::json::parse(R"({"value": 1, "year": 2030})"))
          .ok());
  auto assessment = service_->assessment("", "demo", "2025");
  ASSERT_TRUE(assessment.ok()) << assessment.error().detail;
  EXPECT_EQ(assessment->kpis.size(), service_->catalogue().entries().size());
  const KpiAssessment* internet = nullptr;
  for (const auto& kpi : assessment->kpis) {
    if (kpi.entry->code == "EC.ICT.ICT.1C") internet = &kpi;
  }
  ASSERT_NE(internet, nullptr);
  // 70 % in 2024, 75 % in 2025: +5 points a year, 75 + 5 x 5 = 100 % by 2030 >= 90.
  EXPECT_EQ(*internet->value, 75);
  EXPECT_EQ(*internet->change, 5);
  EXPECT_EQ(internet->status.status, KpiStatus::kOnTrack);
  EXPECT_EQ(internet->status.reason, StatusReason::kProjectedToMeet);

  // A bulk replacement with one bad target stores nothing.
  EXPECT_FALSE(service_
                   ->put_targets("", boost::json::parse(R"([{"code": "EC.ICT.ICT.1C", "value": 1,
                     "year": 2030}, {"code": "EC.ICT.ICT.1C", "value": 2, "year": 2031}])"))
                   .ok());
  auto targets = service_->targets("");
  ASSERT_TRUE(targets.ok());
  ASSERT_EQ(targets->size(), 1u);
  EXPECT_EQ(targets->at(0).value, 90);

  auto intact = service_->verify(std::string());
  ASSERT_TRUE(intact.ok());
  EXPECT_TRUE(intact->at(0).ok());
  // Editing the stored targets behind the service's back is caught.
  ASSERT_TRUE(store_
                  ->put_document(TargetStore::kNamespace, "t:",
                                 R"({"targets":[{"code":"EC.ICT.ICT.1C","value":70,"year":2030}]})")
                  .ok());
  auto reports = service_->verify(std::string());
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->at(0).problems.size(), 1u);
  EXPECT_EQ(reports->at(0).problems[0].what, "content-mismatch");
}

// The catalogue leaves the direction of most KPIs unknown (the reference does not say); a
// city states it with its target, and the assessment then gives a status. A direction that
// contradicts the catalogue's is refused.
TEST_F(KpiServiceTest, ATargetStatesTheDirectionTheCatalogueLeavesUnknown) {
  ASSERT_EQ(service_->catalogue().find("EC.P.EM.2C")->direction, "unknown");
  import_csv(kHeader +
             "demo,2024,youth_unemployed,3000,count,Stats\n"
             "demo,2024,youth_labour_force,20000,count,Stats\n"
             "demo,2025,youth_unemployed,2600,count,Stats\n"
             "demo,2025,youth_labour_force,20000,count,Stats\n");
  auto youth = [this]() -> KpiAssessment {
    auto assessment = service_->assessment("", "demo", "2025");
    EXPECT_TRUE(assessment.ok());
    for (const auto& kpi : assessment->kpis) {
      if (kpi.entry->code == "EC.P.EM.2C") return kpi;
    }
    return {};
  };
  ASSERT_TRUE(
      service_->put_target("", "EC.P.EM.2C", boost::json::parse(R"({"value": 10, "year": 2030})"))
          .ok());
  EXPECT_EQ(youth().status.reason, StatusReason::kDirectionUnknown);
  ASSERT_TRUE(
      service_
          ->put_target("", "EC.P.EM.2C",
                       boost::json::parse(R"({"value": 10, "year": 2030, "direction": "lower"})"))
          .ok());
  // 15 % in 2024, 13 % in 2025: -2 points a year, 13 - 2 x 5 = 3 % by 2030 <= 10.
  KpiAssessment kpi = youth();
  EXPECT_EQ(kpi.direction, "lower");
  EXPECT_EQ(kpi.status.status, KpiStatus::kOnTrack);
  EXPECT_EQ(kpi.status.reason, StatusReason::kProjectedToMeet);
  EXPECT_EQ(kpi.trend_word, "improving");
  EXPECT_EQ(kpi.to_json().at("directionSource"), "target");
  // EC.ICT.ICT.1C: the reference says higher is better.
  auto contradicting = service_->put_target(
      "", "EC.ICT.ICT.1C",
      boost::json::parse(R"({"value": 90, "year": 2030, "direction": "lower"})"));
  ASSERT_FALSE(contradicting.ok());
  EXPECT_EQ(contradicting.error().kind, ErrorKind::kBadRequestData);
  EXPECT_FALSE(
      service_
          ->put_target("", "EC.P.EM.2C",
                       boost::json::parse(R"({"value": 10, "year": 2030, "direction": "down"})"))
          .ok());
}

}  // namespace
}  // namespace citytwin::kpi
