// Discovery over the in-memory store (GS CIM 009 V1.8.1 clauses 5.7.5-5.7.10; data types
// 5.2.25-5.2.28): entity counts per type, and attributeCount as attribute instances.
#include "citytwin/core/discovery.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "citytwin/core/entity_service.hpp"
#include "citytwin/store/memory_store.hpp"

namespace citytwin::core {
namespace {

namespace json = boost::json;

constexpr std::string_view kVocab = "https://example.org/";

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant{1'767'225'600'000'000}; }
};

std::string iri(std::string_view name) {
  return std::string(kVocab) + std::string(name);
}

json::object instance(std::string_view kind, std::string_view member, json::value value,
                      std::string_view dataset_id = {}) {
  json::object out{{"type", kind}, {member, std::move(value)}};
  if (!dataset_id.empty()) out["datasetId"] = dataset_id;
  return out;
}

class DiscoveryTest : public ::testing::Test {
 protected:
  void add(std::string_view id, std::string_view type, json::object attrs) {
    json::object entity{
        {"id", id}, {"type", json::array{json::string(iri(type))}}, {"attrs", std::move(attrs)}};
    ASSERT_TRUE(service.create("", std::move(entity)).ok()) << id;
  }

  void SetUp() override {
    // Two vehicles: one with a three-instance multi-attribute, one with a single instance.
    add("urn:ngsi-ld:Vehicle:1", "Vehicle",
        {{iri("speed"),
          json::array{instance("Property", "value", 50),
                      instance("Property", "value", 52, "urn:ngsi-ld:Dataset:gps"),
                      instance("Property", "value", 51, "urn:ngsi-ld:Dataset:radar")}},
         {iri("owner"), json::array{instance("Relationship", "object", "urn:ngsi-ld:P:1")}}});
    add("urn:ngsi-ld:Vehicle:2", "Vehicle",
        {{iri("speed"), json::array{instance("Property", "value", 30)}}});
    add("urn:ngsi-ld:Radar:1", "Radar",
        {{iri("speed"), json::array{instance("Property", "value", 70)}}});
  }

  std::unique_ptr<store::EntityStore> store = store::make_memory_store();
  FixedClock clock;
  EntityService service{*store, clock};
  Discovery discovery{*store};
};

// Clause 5.2.28: "attributeCount: number of attribute instances with this attribute name".
TEST_F(DiscoveryTest, AttributeCountCountsInstancesNotEntities) {
  auto details = discovery.attribute_details("", iri("speed"));
  ASSERT_TRUE(details.ok());
  EXPECT_EQ(details->entity_count, 3u);
  EXPECT_EQ(details->usage.instance_count, 5u);
  EXPECT_EQ(details->usage.kinds, (std::set<std::string>{"Property"}));
  EXPECT_EQ(details->type_names, (std::set<std::string>{iri("Radar"), iri("Vehicle")}));
}

TEST_F(DiscoveryTest, TypeDetailsCountEntitiesAndInstancesWithinTheType) {
  auto details = discovery.type_details("", iri("Vehicle"));
  ASSERT_TRUE(details.ok());
  EXPECT_EQ(details->entity_count, 2u);
  ASSERT_EQ(details->attributes.size(), 2u);
  EXPECT_EQ(details->attributes.at(iri("speed")).instance_count, 4u);
  EXPECT_EQ(details->attributes.at(iri("owner")).instance_count, 1u);
  EXPECT_EQ(details->attributes.at(iri("owner")).kinds, (std::set<std::string>{"Relationship"}));
}

TEST_F(DiscoveryTest, UnknownTypeOrAttributeIsNotFound) {
  auto type = discovery.type_details("", iri("Boat"));
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.error().kind, ErrorKind::kResourceNotFound);
  auto attribute = discovery.attribute_details("", iri("depth"));
  ASSERT_FALSE(attribute.ok());
  EXPECT_EQ(attribute.error().kind, ErrorKind::kResourceNotFound);
}

}  // namespace
}  // namespace citytwin::core
