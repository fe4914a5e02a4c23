#include "citytwin/model/mutation.hpp"

#include <gtest/gtest.h>

#include "citytwin/model/mutation/entity_types.hpp"
#include "citytwin/model/mutation/json_merge_patch.hpp"
#include "citytwin/model/mutation/ngsild_null.hpp"
#include "mutation_test_support.hpp"

namespace citytwin::mutation {
namespace {

using testing::parse_array;
using testing::parse_object;

TEST(ValidateInstances, AcceptsOneDefaultAndUniqueDatasetIds) {
  EXPECT_TRUE(validate_instances(parse_array(
                                     R"([{"type": "Property", "value": 1},
                      {"type": "Property", "value": 2, "datasetId": "urn:a"},
                      {"type": "Property", "value": 3, "datasetId": "urn:b"}])"))
                  .ok());
}

TEST(ValidateInstances, RejectsTwoDefaultInstances) {
  Status status = validate_instances(parse_array(R"([{"value": 1}, {"value": 2}])"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kBadRequestData);
}

TEST(ValidateInstances, RejectsDuplicateDatasetIds) {
  Status status = validate_instances(
      parse_array(R"([{"value": 1, "datasetId": "urn:a"}, {"value": 2, "datasetId": "urn:a"}])"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kBadRequestData);
  EXPECT_NE(status.error().detail.find("urn:a"), std::string::npos);
}

TEST(ValidateInstances, RejectsEmptyNonObjectAndBadDatasetId) {
  EXPECT_FALSE(validate_instances(boost::json::array{}).ok());
  EXPECT_FALSE(validate_instances(parse_array("[1]")).ok());
  EXPECT_FALSE(validate_instances(parse_array(R"([{"value": 1, "datasetId": 7}])")).ok());
  EXPECT_FALSE(validate_instances(parse_array(R"([{"value": 1, "sub": {"x": 1}}])")).ok());
}

TEST(ValidateAttributeMap, NamesTheAttribute) {
  Status status = validate_attribute_map(parse_object(R"({"https://x/a": {"value": 1}})"));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().detail.find("https://x/a"), std::string::npos);
}

TEST(FindInstance, MatchesByDatasetId) {
  auto instances = parse_array(R"([{"value": 1, "datasetId": "urn:a"}, {"value": 2}])");
  EXPECT_EQ(find_instance(instances, std::nullopt), 1u);
  EXPECT_EQ(find_instance(instances, "urn:a"), 0u);
  EXPECT_FALSE(find_instance(instances, "urn:z"));
}

TEST(NgsiLdNull, RecognisesEveryForm) {
  EXPECT_TRUE(is_ngsild_null(boost::json::value("urn:ngsi-ld:null")));
  EXPECT_TRUE(is_ngsild_null(parse_array(R"(["urn:ngsi-ld:null"])")));
  EXPECT_TRUE(is_ngsild_null(parse_object(R"({"@none": "urn:ngsi-ld:null"})")));
  EXPECT_FALSE(is_ngsild_null(boost::json::value("urn:ngsi-ld:other")));
  EXPECT_TRUE(is_null_instance(parse_object(R"({"type": "Relationship",
                                                "object": "urn:ngsi-ld:null"})")));
  EXPECT_FALSE(is_null_instance(parse_object(R"({"type": "Property", "value": 1})")));
  EXPECT_TRUE(contains_ngsild_null(parse_object(
      R"({"type": "Property", "value": 1, "sub": {"s": {"value": "urn:ngsi-ld:null"}}})")));
}

TEST(JsonMergePatch, FollowsRfc7396WithNgsiLdNull) {
  auto target = parse_object(R"({"a": "b", "c": {"d": "e", "f": "g"}, "keep": [1, 2]})");
  auto patch = parse_object(R"({"a": "z", "c": {"f": "urn:ngsi-ld:null", "n": 1},
                                "keep": [3], "gone": null})");
  EXPECT_EQ(apply_merge_patch(target, patch),
            boost::json::parse(R"({"a": "z", "c": {"d": "e", "n": 1}, "keep": [3]})"));
  EXPECT_EQ(apply_merge_patch(boost::json::value(5), patch.at("c")),
            boost::json::parse(R"({"n": 1})"));
  EXPECT_EQ(apply_merge_patch(target, boost::json::value("x")), boost::json::value("x"));
}

TEST(EntityTypes, AddsSortedUnique) {
  auto entity = parse_object(R"({"type": ["https://x/B"]})");
  Result<bool> added = add_entity_types(entity, parse_array(R"(["https://x/A", "https://x/B"])"));
  ASSERT_TRUE(added.ok());
  EXPECT_TRUE(*added);
  EXPECT_EQ(entity.at("type"), boost::json::parse(R"(["https://x/A", "https://x/B"])"));
  Result<bool> again = add_entity_types(entity, boost::json::value("https://x/A"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_FALSE(add_entity_types(entity, boost::json::value(3)).ok());
}

}  // namespace
}  // namespace citytwin::mutation
