#include "citytwin/model/mutation/delete_attribute.hpp"

#include <gtest/gtest.h>

#include "mutation_test_support.hpp"

namespace citytwin::mutation {
namespace {

using namespace testing;

TEST(DeleteAttribute, DeletesTheDefaultInstance) {
  auto entity = sample_entity();
  ASSERT_TRUE(delete_attribute(entity, kTemperature, std::nullopt, false, kT1).ok());
  auto temperature = instances_of(entity, kTemperature);
  ASSERT_EQ(temperature.size(), 1u);
  EXPECT_EQ(temperature[0].at("datasetId"), "urn:ds:b");
  EXPECT_EQ(entity.at("modifiedAt"), kT1Text);
}

TEST(DeleteAttribute, DeletesByDatasetIdAndDropsEmptyAttribute) {
  auto entity = sample_entity();
  ASSERT_TRUE(delete_attribute(entity, kTemperature, "urn:ds:b", false, kT1).ok());
  ASSERT_EQ(instances_of(entity, kTemperature).size(), 1u);
  ASSERT_TRUE(delete_attribute(entity, kTemperature, std::nullopt, false, kT1).ok());
  EXPECT_FALSE(entity.at("attrs").as_object().contains(kTemperature));
}

TEST(DeleteAttribute, DeleteAllRemovesEveryInstance) {
  auto entity = sample_entity();
  ASSERT_TRUE(delete_attribute(entity, kTemperature, std::nullopt, true, kT1).ok());
  EXPECT_FALSE(entity.at("attrs").as_object().contains(kTemperature));
  EXPECT_TRUE(entity.at("attrs").as_object().contains(kAddress));
}

TEST(DeleteAttribute, NothingMatchingIsNotFound) {
  auto entity = sample_entity();
  const auto before = entity;
  Status status = delete_attribute(entity, kProvider, std::nullopt, false, kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kResourceNotFound);
  status = delete_attribute(entity, kTemperature, "urn:ds:z", false, kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kResourceNotFound);
  status = delete_attribute(entity, kAddress, "urn:ds:b", false, kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(entity, before);
}

TEST(DeleteAttribute, ScopeIsRemovedFromTheEntity) {
  auto entity = sample_entity();
  entity["scope"] = parse_array(R"(["/Madrid"])");
  ASSERT_TRUE(delete_attribute(entity, kScopeIri, std::nullopt, false, kT1).ok());
  EXPECT_FALSE(entity.contains("scope"));
  Status status = delete_attribute(entity, kScopeIri, std::nullopt, false, kT1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kResourceNotFound);
}

}  // namespace
}  // namespace citytwin::mutation
