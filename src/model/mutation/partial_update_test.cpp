#include "citytwin/model/mutation/partial_update.hpp"

#include <gtest/gtest.h>

#include "mutation_test_support.hpp"

namespace citytwin::mutation {
namespace {

using namespace testing;

TEST(PartialUpdateAttribute, UpdatesGivenMembersOnly) {
  auto entity = sample_entity();
  // Clause 5.5.8 EXAMPLE 1: value and observedAt change, unitCode stays.
  auto fragment = parse_object(R"({"type": "Property", "value": 100,
                                   "observedAt": "2026-01-02T00:00:00.000Z"})");
  ASSERT_TRUE(partial_update_attribute(entity, kTemperature, fragment, kT1).ok());
  auto instance = instances_of(entity, kTemperature)[0].as_object();
  EXPECT_EQ(instance.at("value"), 100);
  EXPECT_EQ(instance.at("unitCode"), "CEL");
  EXPECT_EQ(instance.at("observedAt"), "2026-01-02T00:00:00.000Z");
  EXPECT_EQ(instance.at("createdAt"), kT0Text);
  EXPECT_EQ(instance.at("modifiedAt"), kT1Text);
  EXPECT_TRUE(instance.at("sub").as_object().contains(kAccuracy));
  EXPECT_EQ(instances_of(entity, kTemperature)[1].at("value"), 21);
  EXPECT_EQ(entity.at("modifiedAt"), kT1Text);
}

TEST(PartialUpdateAttribute, TargetsInstanceByDatasetId) {
  auto entity = sample_entity();
  auto fragment = parse_object(R"({"value": 7, "datasetId": "urn:ds:b"})");
  ASSERT_TRUE(partial_update_attribute(entity, kTemperature, fragment, kT1).ok());
  EXPECT_EQ(instances_of(entity, kTemperature)[0].at("value"), 20);
  EXPECT_EQ(instances_of(entity, kTemperature)[1].at("value"), 7);
}

TEST(PartialUpdateAttribute, MergesSubAttributesAndDeletesWithNull) {
  auto entity = sample_entity();
  auto fragment = parse_object(R"({"unitCode": "urn:ngsi-ld:null", "sub": {
      "https://example.org/accuracy": {"type": "Property", "value": "urn:ngsi-ld:null"},
      "https://example.org/provider": {"type": "Relationship", "object": "urn:ngsi-ld:Org:1"}}})");
  ASSERT_TRUE(partial_update_attribute(entity, kTemperature, fragment, kT1).ok());
  auto instance = instances_of(entity, kTemperature)[0].as_object();
  EXPECT_FALSE(instance.contains("unitCode"));
  EXPECT_EQ(instance.at("value"), 20);
  const auto& sub = instance.at("sub").as_object();
  EXPECT_FALSE(sub.contains(kAccuracy));
  EXPECT_EQ(sub.at(kProvider).at("createdAt"), kT1Text);
}

TEST(PartialUpdateAttribute, ReplacedSubAttributeKeepsCreatedAt) {
  auto entity = sample_entity();
  auto fragment = parse_object(R"({"sub": {
      "https://example.org/accuracy": {"type": "Property", "value": 0.1}}})");
  ASSERT_TRUE(partial_update_attribute(entity, kTemperature, fragment, kT1).ok());
  const auto accuracy = instances_of(entity, kTemperature)[0].at("sub").at(kAccuracy);
  EXPECT_EQ(accuracy.at("value"), 0.1);
  EXPECT_EQ(accuracy.at("createdAt"), kT0Text);
  EXPECT_EQ(accuracy.at("modifiedAt"), kT1Text);
}

TEST(PartialUpdateAttribute, MissingAttributeOrInstanceIsNotFound) {
  auto entity = sample_entity();
  const auto before = entity;
  Status status = partial_update_attribute(entity, kProvider, parse_object(R"({"value": 1})"), kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kResourceNotFound);
  status = partial_update_attribute(entity, kTemperature,
                                    parse_object(R"({"value": 1, "datasetId": "urn:ds:z"})"), kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(entity, before);
}

TEST(PartialUpdateAttribute, TypeChangeIsBadRequestData) {
  auto entity = sample_entity();
  const auto before = entity;
  Status status = partial_update_attribute(
      entity, kTemperature, parse_object(R"({"type": "Relationship", "object": "urn:a"})"), kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kBadRequestData);
  status =
      partial_update_attribute(entity, kTemperature, parse_object(R"({"object": "urn:a"})"), kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(entity, before);
}

TEST(PartialUpdateAttribute, CannotDeleteTheAttributeItself) {
  auto entity = sample_entity();
  const auto before = entity;
  Status status = partial_update_attribute(entity, kTemperature,
                                           parse_object(R"({"value": "urn:ngsi-ld:null"})"), kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(entity, before);
}

}  // namespace
}  // namespace citytwin::mutation
