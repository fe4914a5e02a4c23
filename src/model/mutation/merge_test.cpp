#include "citytwin/model/mutation/merge.hpp"

#include <gtest/gtest.h>

#include "mutation_test_support.hpp"

namespace citytwin::mutation {
namespace {

using namespace testing;

boost::json::object attrs_fragment(std::string_view attrs) {
  boost::json::object fragment;
  fragment["attrs"] = boost::json::parse(attrs);
  return fragment;
}

TEST(MergeEntity, MergesMembersAndKeepsUnmentionedOnes) {
  auto entity = sample_entity();
  // Clause 5.5.12 EXAMPLE 1: value and observedAt change, unitCode and sub-attributes stay.
  auto fragment = attrs_fragment(R"({"https://example.org/temperature": [
      {"type": "Property", "value": 100, "observedAt": "2026-01-02T00:00:00.000Z"}]})");
  Result<MergeOutcome> outcome = merge_entity(entity, fragment, kT1);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->merged, std::vector<std::string>{std::string(kTemperature)});
  EXPECT_TRUE(outcome->deleted.empty());
  auto temperature = instances_of(entity, kTemperature);
  const auto& merged = temperature[0].as_object();
  EXPECT_EQ(merged.at("value"), 100);
  EXPECT_EQ(merged.at("unitCode"), "CEL");
  EXPECT_EQ(merged.at("observedAt"), "2026-01-02T00:00:00.000Z");
  EXPECT_TRUE(merged.at("sub").as_object().contains(kAccuracy));
  EXPECT_EQ(merged.at("createdAt"), kT0Text);
  EXPECT_EQ(merged.at("modifiedAt"), kT1Text);
  EXPECT_EQ(temperature[1].at("modifiedAt"), kT0Text);  // other instance untouched
  EXPECT_EQ(entity.at("modifiedAt"), kT1Text);
  EXPECT_EQ(entity.at("createdAt"), kT0Text);
}

TEST(MergeEntity, MergePatchesCompoundPropertyValues) {
  auto entity = sample_entity();
  // Clause 5.5.12 EXAMPLE 2.
  auto fragment = attrs_fragment(R"({"https://example.org/address": [{"type": "Property",
      "value": {"street": "Pariser Platz", "country": "urn:ngsi-ld:null"}}]})");
  ASSERT_TRUE(merge_entity(entity, fragment, kT1).ok());
  EXPECT_EQ(instances_of(entity, kAddress)[0].at("value"),
            boost::json::parse(R"({"street": "Pariser Platz", "city": "Madrid"})"));
}

TEST(MergeEntity, ReplacesNonObjectValuesAndGeoProperties) {
  auto entity = sample_entity();
  entity["attrs"].as_object()["https://uri.etsi.org/ngsi-ld/location"] = parse_array(
      R"([{"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}}])");
  auto fragment = attrs_fragment(R"({
      "https://uri.etsi.org/ngsi-ld/location": [{"type": "GeoProperty",
          "value": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}],
      "https://example.org/address": [{"type": "Property", "value": "plain text"}]})");
  ASSERT_TRUE(merge_entity(entity, fragment, kT1).ok());
  EXPECT_EQ(instances_of(entity, "https://uri.etsi.org/ngsi-ld/location")[0].at("value"),
            boost::json::parse(
                R"({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})"));
  EXPECT_EQ(instances_of(entity, kAddress)[0].at("value"), "plain text");
}

TEST(MergeEntity, MergesLanguageMapsPerLanguage) {
  auto entity = sample_entity();
  entity["attrs"].as_object()["https://example.org/name"] = parse_array(
      R"([{"type": "LanguageProperty", "languageMap": {"en": "Square", "es": "Plaza"}}])");
  auto fragment = attrs_fragment(R"({"https://example.org/name": [{"type": "LanguageProperty",
      "languageMap": {"fr": "Place", "en": "urn:ngsi-ld:null"}}]})");
  ASSERT_TRUE(merge_entity(entity, fragment, kT1).ok());
  EXPECT_EQ(instances_of(entity, "https://example.org/name")[0].at("languageMap"),
            boost::json::parse(R"({"es": "Plaza", "fr": "Place"})"));
}

TEST(MergeEntity, AddsMissingAttributesAndInstances) {
  auto entity = sample_entity();
  auto fragment = attrs_fragment(R"({
      "https://example.org/provider": [{"type": "Relationship", "object": "urn:a",
                                        "observedAt": "urn:ngsi-ld:null"}],
      "https://example.org/temperature": [{"type": "Property", "value": 3,
                                           "datasetId": "urn:ds:c"}]})");
  Result<MergeOutcome> outcome = merge_entity(entity, fragment, kT1);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->merged.size(), 2u);
  auto provider = instances_of(entity, kProvider);
  ASSERT_EQ(provider.size(), 1u);
  EXPECT_FALSE(provider[0].as_object().contains("observedAt"));  // nothing to delete: dropped
  EXPECT_EQ(provider[0].at("createdAt"), kT1Text);
  auto temperature = instances_of(entity, kTemperature);
  ASSERT_EQ(temperature.size(), 3u);
  EXPECT_EQ(temperature[2].at("createdAt"), kT1Text);
}

TEST(MergeEntity, NgsiLdNullDeletesAttributesInstancesAndSubAttributes) {
  auto entity = sample_entity();
  auto fragment = attrs_fragment(R"({
      "https://example.org/address": [{"type": "Property", "value": "urn:ngsi-ld:null"}],
      "https://example.org/temperature": [
          {"type": "Property", "value": "urn:ngsi-ld:null", "datasetId": "urn:ds:b"},
          {"type": "Property", "unitCode": "urn:ngsi-ld:null",
           "sub": {"https://example.org/accuracy": {"type": "Property",
                                                    "value": "urn:ngsi-ld:null"}}}],
      "https://example.org/provider": [{"type": "Relationship", "object": "urn:ngsi-ld:null"}]})");
  Result<MergeOutcome> outcome = merge_entity(entity, fragment, kT1);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->deleted,
            (std::vector<std::string>{std::string(kAddress), std::string(kTemperature)}));
  EXPECT_EQ(outcome->merged, std::vector<std::string>{std::string(kTemperature)});
  const auto& attrs = entity.at("attrs").as_object();
  EXPECT_FALSE(attrs.contains(kAddress));
  EXPECT_FALSE(attrs.contains(kProvider));  // deleting what does not exist is a no-op
  auto temperature = instances_of(entity, kTemperature);
  ASSERT_EQ(temperature.size(), 1u);
  const auto& remaining = temperature[0].as_object();
  EXPECT_EQ(remaining.at("value"), 20);
  EXPECT_FALSE(remaining.contains("unitCode"));
  EXPECT_FALSE(remaining.contains("sub"));  // last sub-attribute removed
}

TEST(MergeEntity, MergesSubAttributesRecursively) {
  auto entity = sample_entity();
  auto fragment = attrs_fragment(R"({"https://example.org/temperature": [{"type": "Property",
      "sub": {"https://example.org/accuracy": {"type": "Property", "value": 0.2,
                                               "unitCode": "CEL"},
              "https://example.org/provider": {"type": "Relationship", "object": "urn:p"}}}]})");
  ASSERT_TRUE(merge_entity(entity, fragment, kT1).ok());
  const auto instance = instances_of(entity, kTemperature)[0].as_object();
  EXPECT_EQ(instance.at("value"), 20);
  const auto& accuracy = instance.at("sub").at(kAccuracy).as_object();
  EXPECT_EQ(accuracy.at("value"), 0.2);
  EXPECT_EQ(accuracy.at("unitCode"), "CEL");
  EXPECT_EQ(accuracy.at("createdAt"), kT0Text);
  EXPECT_EQ(accuracy.at("modifiedAt"), kT1Text);
  EXPECT_EQ(instance.at("sub").at(kProvider).at("createdAt"), kT1Text);
}

TEST(MergeEntity, TypeChangeReplacesTheInstanceKeepingCreatedAt) {
  auto entity = sample_entity();
  auto fragment = attrs_fragment(R"({"https://example.org/address": [
      {"type": "Relationship", "object": "urn:ngsi-ld:Address:1"}]})");
  ASSERT_TRUE(merge_entity(entity, fragment, kT1).ok());
  const auto address = instances_of(entity, kAddress)[0].as_object();
  EXPECT_EQ(address.at("type"), "Relationship");
  EXPECT_FALSE(address.contains("value"));
  EXPECT_EQ(address.at("createdAt"), kT0Text);
  EXPECT_EQ(address.at("modifiedAt"), kT1Text);
}

TEST(MergeEntity, AddsTypesAsSortedUnionAndReplacesScope) {
  auto entity = sample_entity();
  entity["scope"] = parse_array(R"(["/Madrid"])");
  auto fragment = parse_object(R"({"id": "urn:ngsi-ld:Sensor:1",
      "type": ["https://example.org/Device", "https://example.org/Sensor"],
      "scope": "/Madrid/Centro"})");
  Result<MergeOutcome> outcome = merge_entity(entity, fragment, kT1);
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->types_changed);
  EXPECT_TRUE(outcome->scope_changed);
  EXPECT_EQ(entity.at("type"),
            boost::json::parse(R"(["https://example.org/Device", "https://example.org/Sensor"])"));
  EXPECT_EQ(entity.at("scope"), boost::json::parse(R"(["/Madrid/Centro"])"));
  EXPECT_EQ(entity.at("modifiedAt"), kT1Text);

  Result<MergeOutcome> removal =
      merge_entity(entity, parse_object(R"({"scope": "urn:ngsi-ld:null"})"), kT1);
  ASSERT_TRUE(removal.ok());
  EXPECT_TRUE(removal->scope_changed);
  EXPECT_FALSE(entity.contains("scope"));
}

TEST(MergeEntity, NoChangeKeepsModifiedAt) {
  auto entity = sample_entity();
  auto fragment = parse_object(R"({"type": "https://example.org/Sensor"})");
  Result<MergeOutcome> outcome = merge_entity(entity, fragment, kT1);
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome->types_changed);
  EXPECT_EQ(entity.at("modifiedAt"), kT0Text);
}

TEST(MergeEntity, ErrorsLeaveTheEntityUnchanged) {
  auto entity = sample_entity();
  const auto before = entity;
  // The first attribute would merge fine; the second does not fit its stored type.
  auto fragment = attrs_fragment(R"({
      "https://example.org/address": [{"type": "Property", "value": {"city": "Bilbao"}}],
      "https://example.org/temperature": [{"object": "urn:a"}]})");
  Result<MergeOutcome> outcome = merge_entity(entity, fragment, kT1);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(entity, before);
  EXPECT_FALSE(merge_entity(entity, attrs_fragment(R"({"https://x/a": [{"value": 1},
                                                                       {"value": 2}]})"),
                            kT1)
                   .ok());
  EXPECT_FALSE(merge_entity(entity, parse_object(R"({"type": ["https://x/T", 3]})"), kT1).ok());
  EXPECT_FALSE(merge_entity(entity, parse_object(R"({"scope": 3})"), kT1).ok());
  EXPECT_EQ(entity, before);
}

}  // namespace
}  // namespace citytwin::mutation
