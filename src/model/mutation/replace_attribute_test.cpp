#include "citytwin/model/mutation/replace_attribute.hpp"

#include <gtest/gtest.h>

#include "mutation_test_support.hpp"

namespace citytwin::mutation {
namespace {

using namespace testing;

TEST(ReplaceAttribute, ReplacesInstanceCompletelyKeepingCreatedAt) {
  auto entity = sample_entity();
  auto instances = parse_array(R"([{"type": "Property", "value": 99}])");
  ASSERT_TRUE(replace_attribute(entity, kTemperature, instances, kT1).ok());
  auto temperature = instances_of(entity, kTemperature);
  ASSERT_EQ(temperature.size(), 2u);
  const auto& replaced = temperature[0].as_object();
  EXPECT_EQ(replaced.at("value"), 99);
  EXPECT_FALSE(replaced.contains("unitCode"));
  EXPECT_FALSE(replaced.contains("sub"));
  EXPECT_EQ(replaced.at("createdAt"), kT0Text);
  EXPECT_EQ(replaced.at("modifiedAt"), kT1Text);
  EXPECT_EQ(temperature[1].at("value"), 21);
  EXPECT_EQ(entity.at("modifiedAt"), kT1Text);
}

TEST(ReplaceAttribute, ReplacesSeveralInstancesByDatasetId) {
  auto entity = sample_entity();
  auto instances = parse_array(R"([{"type": "Property", "value": 1, "datasetId": "urn:ds:b"},
                                   {"type": "Property", "value": 2}])");
  ASSERT_TRUE(replace_attribute(entity, kTemperature, instances, kT1).ok());
  auto temperature = instances_of(entity, kTemperature);
  EXPECT_EQ(temperature[0].at("value"), 2);
  EXPECT_EQ(temperature[1].at("value"), 1);
  EXPECT_EQ(temperature[1].at("datasetId"), "urn:ds:b");
}

TEST(ReplaceAttribute, MissingTargetIsNotFoundAndAllOrNothing) {
  auto entity = sample_entity();
  const auto before = entity;
  auto instances = parse_array(R"([{"type": "Property", "value": 1},
                                   {"type": "Property", "value": 2, "datasetId": "urn:ds:z"}])");
  Status status = replace_attribute(entity, kTemperature, instances, kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(entity, before);
  status = replace_attribute(entity, kProvider, parse_array(R"([{"value": 1}])"), kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kResourceNotFound);
}

TEST(ReplaceAttribute, InvalidInstancesAreBadRequestData) {
  auto entity = sample_entity();
  const auto before = entity;
  Status status =
      replace_attribute(entity, kTemperature, parse_array(R"([{"value": 1}, {"value": 2}])"), kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kBadRequestData);
  status = replace_attribute(entity, kTemperature,
                             parse_array(R"([{"value": "urn:ngsi-ld:null"}])"), kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(entity, before);
}

}  // namespace
}  // namespace citytwin::mutation
