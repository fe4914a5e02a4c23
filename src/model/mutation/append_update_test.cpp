#include "citytwin/model/mutation/append_update.hpp"

#include <gtest/gtest.h>

#include "mutation_test_support.hpp"

namespace citytwin::mutation {
namespace {

using namespace testing;

TEST(AppendAttributes, AddsNewAttributeAndNewInstance) {
  auto entity = sample_entity();
  auto attrs = parse_object(R"({
    "https://example.org/provider": [{"type": "Relationship", "object": "urn:ngsi-ld:Org:1"}],
    "https://example.org/temperature": [{"type": "Property", "value": 5,
                                          "datasetId": "urn:ds:c"}]})");
  Result<AttributeOutcome> outcome = append_attributes(entity, attrs, false, kT1);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->updated,
            (std::vector<std::string>{std::string(kProvider), std::string(kTemperature)}));
  EXPECT_TRUE(outcome->not_updated.empty());
  auto provider = instances_of(entity, kProvider);
  ASSERT_EQ(provider.size(), 1u);
  EXPECT_EQ(provider[0].at("createdAt"), kT1Text);
  EXPECT_EQ(provider[0].at("modifiedAt"), kT1Text);
  EXPECT_EQ(instances_of(entity, kTemperature).size(), 3u);
  EXPECT_EQ(entity.at("createdAt"), kT0Text);
  EXPECT_EQ(entity.at("modifiedAt"), kT1Text);
}

TEST(AppendAttributes, OverwritesMatchingInstanceKeepingCreatedAt) {
  auto entity = sample_entity();
  auto attrs = parse_object(R"({"https://example.org/temperature": [
      {"type": "Property", "value": 30, "datasetId": "urn:ds:b"}]})");
  ASSERT_TRUE(append_attributes(entity, attrs, false, kT1).ok());
  auto temperature = instances_of(entity, kTemperature);
  ASSERT_EQ(temperature.size(), 2u);
  EXPECT_EQ(temperature[0].at("value"), 20);  // default instance untouched
  EXPECT_EQ(temperature[0].at("modifiedAt"), kT0Text);
  EXPECT_EQ(temperature[1].at("value"), 30);
  EXPECT_EQ(temperature[1].at("createdAt"), kT0Text);
  EXPECT_EQ(temperature[1].at("modifiedAt"), kT1Text);
}

TEST(AppendAttributes, NoOverwriteReportsExistingInstances) {
  auto entity = sample_entity();
  const auto before = entity;
  auto attrs = parse_object(R"({"https://example.org/temperature": [
      {"type": "Property", "value": 30}, {"type": "Property", "value": 31,
                                          "datasetId": "urn:ds:b"}]})");
  Result<AttributeOutcome> outcome = append_attributes(entity, attrs, true, kT1);
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->updated.empty());
  ASSERT_EQ(outcome->not_updated.size(), 2u);
  EXPECT_EQ(outcome->not_updated[0].name, kTemperature);
  EXPECT_NE(outcome->not_updated[0].reason.find("default instance"), std::string::npos);
  EXPECT_NE(outcome->not_updated[1].reason.find("urn:ds:b"), std::string::npos);
  EXPECT_EQ(entity, before);  // nothing changed, not even modifiedAt
}

TEST(AppendAttributes, NoOverwriteStillAppendsNewInstances) {
  auto entity = sample_entity();
  auto attrs = parse_object(R"({"https://example.org/temperature": [
      {"type": "Property", "value": 30}, {"type": "Property", "value": 1,
                                          "datasetId": "urn:ds:new"}]})");
  Result<AttributeOutcome> outcome = append_attributes(entity, attrs, true, kT1);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->updated, std::vector<std::string>{std::string(kTemperature)});
  EXPECT_EQ(outcome->not_updated.size(), 1u);
  EXPECT_EQ(instances_of(entity, kTemperature).size(), 3u);
  EXPECT_EQ(instances_of(entity, kTemperature)[0].at("value"), 20);
}

TEST(AppendAttributes, InvalidInputLeavesEntityUnchanged) {
  auto entity = sample_entity();
  const auto before = entity;
  auto duplicate = parse_object(R"({
      "https://example.org/provider": [{"type": "Relationship", "object": "urn:a"}],
      "https://example.org/temperature": [{"type": "Property", "value": 1},
                                          {"type": "Property", "value": 2}]})");
  Result<AttributeOutcome> outcome = append_attributes(entity, duplicate, false, kT1);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(entity, before);
  auto with_null = parse_object(R"({"https://example.org/provider": [
      {"type": "Relationship", "object": "urn:ngsi-ld:null"}]})");
  EXPECT_FALSE(append_attributes(entity, with_null, false, kT1).ok());
  EXPECT_EQ(entity, before);
}

TEST(UpdateAttributes, ReplacesOnlyExistingInstances) {
  auto entity = sample_entity();
  auto attrs = parse_object(R"({
      "https://example.org/temperature": [{"type": "Property", "value": 25},
                                          {"type": "Property", "value": 9,
                                           "datasetId": "urn:ds:missing"}],
      "https://example.org/provider": [{"type": "Relationship", "object": "urn:a"}]})");
  Result<AttributeOutcome> outcome = update_attributes(entity, attrs, kT1);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->updated, std::vector<std::string>{std::string(kTemperature)});
  ASSERT_EQ(outcome->not_updated.size(), 2u);
  EXPECT_NE(outcome->not_updated[0].reason.find("urn:ds:missing"), std::string::npos);
  EXPECT_EQ(outcome->not_updated[1].name, kProvider);
  EXPECT_EQ(outcome->not_updated[1].reason, "attribute does not exist");
  auto temperature = instances_of(entity, kTemperature);
  ASSERT_EQ(temperature.size(), 2u);
  // Replaced as a whole (clause 5.5.8 EXAMPLE 2): unitCode and the sub-attribute are gone.
  EXPECT_EQ(temperature[0].at("value"), 25);
  EXPECT_FALSE(temperature[0].as_object().contains("unitCode"));
  EXPECT_FALSE(temperature[0].as_object().contains("sub"));
  EXPECT_EQ(temperature[0].at("createdAt"), kT0Text);
  EXPECT_EQ(temperature[0].at("modifiedAt"), kT1Text);
  EXPECT_FALSE(entity.at("attrs").as_object().contains(kProvider));
  EXPECT_EQ(entity.at("modifiedAt"), kT1Text);
}

TEST(UpdateAttributes, NgsiLdNullDeletesTheInstance) {
  auto entity = sample_entity();
  auto attrs = parse_object(R"({
      "https://example.org/temperature": [{"type": "Property", "value": "urn:ngsi-ld:null",
                                           "datasetId": "urn:ds:b"}],
      "https://example.org/address": [{"type": "Property", "value": "urn:ngsi-ld:null"}]})");
  Result<AttributeOutcome> outcome = update_attributes(entity, attrs, kT1);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->updated.size(), 2u);
  auto temperature = instances_of(entity, kTemperature);
  ASSERT_EQ(temperature.size(), 1u);
  EXPECT_FALSE(temperature[0].as_object().contains("datasetId"));
  EXPECT_FALSE(entity.at("attrs").as_object().contains(kAddress));  // last instance gone
}

TEST(UpdateAttributes, NothingToUpdateKeepsModifiedAt) {
  auto entity = sample_entity();
  auto attrs = parse_object(R"({"https://example.org/provider": [
      {"type": "Relationship", "object": "urn:a"}]})");
  Result<AttributeOutcome> outcome = update_attributes(entity, attrs, kT1);
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->updated.empty());
  EXPECT_EQ(entity.at("modifiedAt"), kT0Text);
}

TEST(UpdateAttributes, InvalidInputLeavesEntityUnchanged) {
  auto entity = sample_entity();
  const auto before = entity;
  auto attrs = parse_object(R"({
      "https://example.org/address": [{"type": "Property", "value": 1}],
      "https://example.org/temperature": {"type": "Property", "value": 1}})");
  Result<AttributeOutcome> outcome = update_attributes(entity, attrs, kT1);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(entity, before);
}

}  // namespace
}  // namespace citytwin::mutation
