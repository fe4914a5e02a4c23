#include "citytwin/model/mutation/timestamps.hpp"

#include <gtest/gtest.h>

#include "mutation_test_support.hpp"

namespace citytwin::mutation {
namespace {

using namespace testing;

TEST(StampNewEntity, StampsEntityInstancesAndSubAttributes) {
  auto entity = parse_object(R"({"id": "urn:x", "type": ["https://x/T"], "attrs": {
      "https://x/a": [{"type": "Property", "value": 1,
                       "sub": {"https://x/s": {"type": "Property", "value": 2,
                         "sub": {"https://x/ss": {"type": "Property", "value": 3}}}}},
                      {"type": "Property", "value": 4, "datasetId": "urn:d"}]}})");
  stamp_new_entity(entity, kT0);
  EXPECT_EQ(entity.at("createdAt"), kT0Text);
  EXPECT_EQ(entity.at("modifiedAt"), kT0Text);
  const auto& first = entity.at("attrs").at("https://x/a").at(0).as_object();
  EXPECT_EQ(first.at("createdAt"), kT0Text);
  EXPECT_EQ(first.at("modifiedAt"), kT0Text);
  const auto& sub = first.at("sub").at("https://x/s").as_object();
  EXPECT_EQ(sub.at("createdAt"), kT0Text);
  EXPECT_EQ(sub.at("sub").at("https://x/ss").at("modifiedAt"), kT0Text);
  EXPECT_EQ(entity.at("attrs").at("https://x/a").at(1).at("createdAt"), kT0Text);
}

TEST(StampReplacingInstance, KeepsCreatedAtAndUnchangedSubAttributes) {
  auto previous = parse_object(R"({"type": "Property", "value": 1,
      "createdAt": "2025-01-01T00:00:00.000Z", "modifiedAt": "2025-01-01T00:00:00.000Z",
      "sub": {"same": {"type": "Property", "value": 1, "createdAt": "2025-01-01T00:00:00.000Z",
                       "modifiedAt": "2025-01-01T00:00:00.000Z"},
              "changed": {"type": "Property", "value": 1,
                          "createdAt": "2025-01-01T00:00:00.000Z",
                          "modifiedAt": "2025-01-01T00:00:00.000Z"}}})");
  auto replacement = parse_object(R"({"type": "Property", "value": 2,
      "sub": {"same": {"type": "Property", "value": 1},
              "changed": {"type": "Property", "value": 2},
              "new": {"type": "Property", "value": 3}}})");
  stamp_replacing_instance(replacement, previous, kT1);
  EXPECT_EQ(replacement.at("createdAt"), "2025-01-01T00:00:00.000Z");
  EXPECT_EQ(replacement.at("modifiedAt"), kT1Text);
  const auto& sub = replacement.at("sub").as_object();
  EXPECT_EQ(sub.at("same").at("modifiedAt"), "2025-01-01T00:00:00.000Z");
  EXPECT_EQ(sub.at("changed").at("createdAt"), "2025-01-01T00:00:00.000Z");
  EXPECT_EQ(sub.at("changed").at("modifiedAt"), kT1Text);
  EXPECT_EQ(sub.at("new").at("createdAt"), kT1Text);
}

TEST(ReplaceEntity, KeepsOnlyTheEntityCreatedAt) {
  auto replacement = parse_object(R"({"id": "urn:ngsi-ld:Sensor:1", "type": ["https://x/T"],
      "attrs": {"https://x/a": [{"type": "Property", "value": 9}]}})");
  auto result = replace_entity(sample_entity(), replacement, kT1);
  EXPECT_EQ(result.at("createdAt"), kT0Text);
  EXPECT_EQ(result.at("modifiedAt"), kT1Text);
  EXPECT_EQ(result.at("attrs").at("https://x/a").at(0).at("createdAt"), kT1Text);
  EXPECT_FALSE(result.at("attrs").as_object().contains(kTemperature));
}

TEST(SameContent, IgnoresSystemAttributesAtEveryLevel) {
  auto a = parse_object(R"({"value": 1, "createdAt": "a", "sub": {"s": {"value": 2,
                            "modifiedAt": "x"}}})");
  auto b = parse_object(R"({"value": 1, "sub": {"s": {"value": 2}}})");
  EXPECT_TRUE(same_content(a, b));
  EXPECT_FALSE(same_content(a, parse_object(R"({"value": 1})")));
}

}  // namespace
}  // namespace citytwin::mutation
