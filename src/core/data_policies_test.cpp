// Open data and personal data (docs/security.md): DataPolicies keeps a tenant's settings,
// ReadRestriction limits every read of core (entity get and query, temporal, discovery), and
// the retention pass erases old personal history.
#include "citytwin/core/data_policies.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "citytwin/core/discovery.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/core/retention_service.hpp"
#include "citytwin/core/temporal_service.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/query/query_filter.hpp"
#include "citytwin/store/memory_store.hpp"

namespace citytwin::core {
namespace {

namespace json = boost::json;
namespace form = model::form;

constexpr std::string_view kVocab = "https://example.org/";
constexpr std::int64_t kDay = 86'400'000'000;
constexpr std::int64_t kStart = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

std::string iri(std::string_view name) {
  return std::string(kVocab) + std::string(name);
}

class ManualClock final : public Clock {
 public:
  Instant now() const override { return Instant{micros}; }
  std::int64_t micros = kStart;
};

class ExampleTerms final : public jsonld::TermMapper {
 public:
  std::string expand(std::string_view term) const override { return iri(term); }
  std::string compact(std::string_view name) const override { return std::string(name); }
};

json::object entity(const std::string& id, const std::string& type,
                    std::vector<std::pair<std::string, json::value>> attrs) {
  json::object attr_map;
  for (auto& [name, value] : attrs) {
    attr_map[iri(name)] = json::array{json::object{{"type", "Property"}, {"value", value}}};
  }
  return json::object{{"id", id}, {"type", json::array{iri(type)}}, {"attrs", attr_map}};
}

std::vector<std::string> ids_of(const std::vector<json::object>& entities) {
  std::vector<std::string> out;
  for (const auto& found : entities) out.emplace_back(found.at(form::kId).as_string());
  return out;
}

class DataPoliciesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(entities.create("", entity("urn:p:1", "Parking", {{"free", 3}})).ok());
    ASSERT_TRUE(
        entities.create("", entity("urn:c:1", "Citizen", {{"name", "Ada"}, {"district", 7}})).ok());
    ASSERT_TRUE(
        entities.create("", entity("urn:b:1", "Bike", {{"rider", "Bob"}, {"battery", 80}})).ok());
    ASSERT_TRUE(policies.set_open_types("", {iri("Parking"), iri("Bike")}).ok());
    auto rule = make_personal_data_rule(iri("Bike"), {iri("rider")}, "P30D");
    ASSERT_TRUE(rule.ok()) << rule.error().detail;
    ASSERT_TRUE(policies.set_personal_data("", {*rule}).ok());
  }

  std::shared_ptr<const ReadRestriction> open_view(std::string_view tenant = "") {
    auto view = policies.open_data_view(tenant);
    EXPECT_TRUE(view.ok());
    return view.ok() ? *view : nullptr;
  }

  std::unique_ptr<store::EntityStore> store = store::make_memory_store();
  ManualClock clock;
  ExampleTerms terms;
  EntityService entities{*store, clock};
  TemporalService temporal{*store, clock};
  DataPolicies policies{*store};
};

TEST_F(DataPoliciesTest, SettingsArePerTenantAndValidated) {
  EXPECT_EQ(*policies.open_types(""), (std::vector<std::string>{iri("Bike"), iri("Parking")}));
  EXPECT_TRUE(policies.open_types("other")->empty());
  EXPECT_EQ(open_view("other"), nullptr);  // nothing opened: anonymous readers refused
  auto other = policies.export_view("other");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, nullptr);
  EXPECT_EQ(policies.personal_data("")->size(), 1u);
  EXPECT_TRUE(policies.personal_data("other")->empty());

  EXPECT_FALSE(make_personal_data_rule(iri("Bike"), {}, "").ok());
  EXPECT_FALSE(make_personal_data_rule("", {iri("rider")}, "").ok());
  EXPECT_FALSE(make_personal_data_rule(iri("Bike"), {iri("rider")}, "30 days").ok());
  EXPECT_FALSE(make_personal_data_rule(iri("Bike"), {iri("rider")}, "P0D").ok());
  auto rule = make_personal_data_rule(iri("Bike"), {iri("rider")}, "");
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(policies.set_personal_data("", {*rule, *rule}).error().kind,
            ErrorKind::kBadRequestData);
  EXPECT_FALSE(policies.set_open_types("", {""}).ok());

  // A change is seen at once through the cached views; an empty list closes the tenant.
  ASSERT_TRUE(policies.set_open_types("", {iri("Parking")}).ok());
  EXPECT_FALSE(open_view()->admits_type(iri("Bike")));
  ASSERT_TRUE(policies.set_open_types("", {}).ok());
  EXPECT_EQ(open_view(), nullptr);
}

TEST_F(DataPoliciesTest, GetOfAClosedTypeIsNotFoundAndPersonalAttributesAreRemoved) {
  auto view = open_view();
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(entities.get("", "urn:c:1", view.get()).error().kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(entities.get("", "urn:nope", view.get()).error().kind, ErrorKind::kResourceNotFound);
  auto bike = entities.get("", "urn:b:1", view.get());
  ASSERT_TRUE(bike.ok());
  const auto& attrs = bike->at(form::kAttrs).as_object();
  EXPECT_FALSE(attrs.contains(iri("rider")));
  EXPECT_TRUE(attrs.contains(iri("battery")));
  // Without a restriction (keys) everything is there.
  EXPECT_TRUE(entities.get("", "urn:b:1")->at(form::kAttrs).as_object().contains(iri("rider")));
}

TEST_F(DataPoliciesTest, QueriesOfEveryShapeSeeOnlyOpenTypes) {
  auto view = open_view();
  auto run = [&](EntityQuery query) {
    query.restriction = view;
    query.limit = 100;
    auto found = entities.query("", query);
    EXPECT_TRUE(found.ok());
    return found.ok() ? ids_of(found->entities) : std::vector<std::string>{};
  };
  EntityQuery by_pattern;
  by_pattern.selectors.push_back(EntitySelector{{}, std::string(".*"), {}});
  EXPECT_EQ(run(by_pattern), (std::vector<std::string>{"urn:b:1", "urn:p:1"}));
  EntityQuery by_type;
  by_type.selectors.push_back(
      EntitySelector{{}, std::nullopt, *parse_type_expression("Citizen,Parking", terms)});
  EXPECT_EQ(run(by_type), (std::vector<std::string>{"urn:p:1"}));
  EntityQuery by_id;
  by_id.selectors.push_back(EntitySelector{{"urn:c:1", "urn:b:1"}, std::nullopt, {}});
  EXPECT_EQ(run(by_id), (std::vector<std::string>{"urn:b:1"}));
  EntityQuery by_attribute;
  by_attribute.attrs = {iri("name")};
  EXPECT_TRUE(run(by_attribute).empty());
  // q cannot probe a personal value: it is removed before q looks.
  EntityQuery probe;
  probe.q = *query::QueryFilter::parse("rider==\"Bob\"", terms);
  EXPECT_TRUE(run(probe).empty());
  EntityQuery count;
  count.count = true;
  count.q = *query::QueryFilter::parse("battery>0|free>0|district>0", terms);
  count.restriction = view;
  EXPECT_EQ(entities.query("", count)->total, 2u);
}

TEST_F(DataPoliciesTest, TemporalAndDiscoveryFollowTheRestriction) {
  auto view = open_view();
  TemporalQuery query;
  query.restriction = view;
  EXPECT_EQ(temporal.retrieve("", "urn:c:1", query).error().kind, ErrorKind::kResourceNotFound);
  auto bike = temporal.retrieve("", "urn:b:1", query);
  ASSERT_TRUE(bike.ok());
  EXPECT_FALSE(bike->at(form::kAttrs).as_object().contains(iri("rider")));
  EXPECT_TRUE(bike->at(form::kAttrs).as_object().contains(iri("battery")));
  EntityQuery selection;
  selection.selectors.push_back(
      EntitySelector{{"urn:c:1", "urn:b:1", "urn:p:1"}, std::nullopt, {}});
  selection.restriction = view;
  EXPECT_EQ(ids_of(temporal.match_entities("", selection)->entities),
            (std::vector<std::string>{"urn:b:1", "urn:p:1"}));

  Discovery discovery(*store);
  std::vector<std::string> types;
  auto listed = discovery.types("", view.get());
  ASSERT_TRUE(listed.ok());
  for (const auto& count : *listed) types.push_back(count.term);
  EXPECT_EQ(types, (std::vector<std::string>{iri("Bike"), iri("Parking")}));
  EXPECT_EQ(discovery.type_details("", iri("Citizen"), view.get()).error().kind,
            ErrorKind::kResourceNotFound);
  auto details = discovery.type_details("", iri("Bike"), view.get());
  ASSERT_TRUE(details.ok());
  EXPECT_FALSE(details->attributes.contains(iri("rider")));
  EXPECT_TRUE(details->attributes.contains(iri("battery")));
}

TEST_F(DataPoliciesTest, ExportViewHidesPersonalAttributesOfEveryType) {
  auto view = policies.export_view("");
  ASSERT_TRUE(view.ok());
  ASSERT_NE(*view, nullptr);
  EXPECT_TRUE((*view)->admits_type(iri("Citizen")));
  TemporalQuery query;
  query.restriction = *view;
  auto bike = temporal.retrieve("", "urn:b:1", query);
  ASSERT_TRUE(bike.ok());
  EXPECT_FALSE(bike->at(form::kAttrs).as_object().contains(iri("rider")));
}

TEST_F(DataPoliciesTest, RetentionErasesOnlyOldPersonalHistory) {
  // Forty days of updates of both attributes of the bike.
  for (int day = 1; day <= 40; ++day) {
    clock.micros = kStart + day * kDay;
    json::object attrs{
        {iri("rider"), json::array{json::object{{"type", "Property"}, {"value", day}}}},
        {iri("battery"), json::array{json::object{{"type", "Property"}, {"value", day}}}}};
    ASSERT_TRUE(entities.update_attributes("", "urn:b:1", attrs).ok());
  }
  RetentionService retention(*store, clock, &policies);
  auto report = retention.run_pass();
  ASSERT_TRUE(report.ok()) << report.error().detail;
  EXPECT_EQ(report->personal_entities, 1u);
  auto oldest = [&](const std::string& attribute) {
    auto samples = store->history("", "urn:b:1", attribute, {}, 100'000);
    EXPECT_TRUE(samples.ok());
    return samples->empty() ? std::int64_t{-1} : samples->front().modified_at;
  };
  // rider: only the last 30 days are left; battery: everything since creation.
  EXPECT_GE(oldest(iri("rider")), clock.micros - 30 * kDay);
  EXPECT_EQ(oldest(iri("battery")), kStart);
}

TEST(ReadRestrictionTest, AdmitsByAnyTypeAndRedactsPerType) {
  ReadRestriction restriction;
  restriction.types = NameSet{iri("A")};
  restriction.hidden[iri("B")] = {iri("secret")};
  json::object both = entity("urn:x", "A", {{"secret", 1}, {"open", 2}});
  both[form::kType].as_array().emplace_back(iri("B"));
  EXPECT_TRUE(restriction.admits(both));
  restriction.redact(both);
  EXPECT_FALSE(both.at(form::kAttrs).as_object().contains(iri("secret")));
  EXPECT_TRUE(both.at(form::kAttrs).as_object().contains(iri("open")));
  EXPECT_FALSE(restriction.admits(entity("urn:y", "B", {})));
  EXPECT_FALSE(restriction.admits(json::object{{"id", "urn:z"}}));
  ReadRestriction everything;
  EXPECT_TRUE(everything.admits(json::object{{"id", "urn:z"}}));
}

}  // namespace
}  // namespace citytwin::core
