#include "citytwin/model/entity_parser.hpp"

#include <gtest/gtest.h>

#include "fake_term_mapper.hpp"
#include "test_support.hpp"

namespace citytwin::model {
namespace {

using testing::expect_error;
using testing::object_of;

class EntityParserTest : public ::testing::Test {
 protected:
  Result<boost::json::object> parse(std::string_view payload) const {
    return parse_entity(object_of(payload), terms_, options_);
  }

  testing::FakeTermMapper terms_;
  ParseOptions options_;
};

TEST_F(EntityParserTest, ParsesIdTypesScopeAndAttributes) {
  auto result = parse(R"({"@context":"http://ctx","id":"urn:ngsi-ld:T:1","type":["T","S","T"],
                          "scope":"/Madrid","createdAt":"2020-01-01T00:00:00Z",
                          "modifiedAt":"2020-01-01T00:00:00Z","temperature":20})");
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(*result, object_of(R"({"id":"urn:ngsi-ld:T:1",
      "type":["https://example.org/S","https://example.org/T"],"scope":["/Madrid"],
      "attrs":{"https://example.org/temperature":[{"type":"Property","value":20}]}})"));
}

TEST_F(EntityParserTest, AttrsIsAlwaysPresent) {
  auto result = parse(R"({"id":"urn:a","type":"T"})");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->at("attrs").as_object().empty());
}

TEST_F(EntityParserTest, RejectsBadIds) {
  expect_error(parse(R"({"type":"T"})"), ErrorKind::kBadRequestData, "'id' is missing");
  expect_error(parse(R"({"id":5,"type":"T"})"), ErrorKind::kInvalidRequest, "'id'");
  expect_error(parse(R"({"id":"no-scheme","type":"T"})"), ErrorKind::kBadRequestData, "URI");
  expect_error(parse(R"({"id":"urn:a b","type":"T"})"), ErrorKind::kBadRequestData, "URI");
  expect_error(parse(R"({"id":"urn:a\u0001","type":"T"})"), ErrorKind::kBadRequestData, "URI");
}

TEST_F(EntityParserTest, RejectsBadTypes) {
  expect_error(parse(R"({"id":"urn:a"})"), ErrorKind::kBadRequestData, "'type' is missing");
  expect_error(parse(R"({"id":"urn:a","type":[]})"), ErrorKind::kBadRequestData, "empty");
  expect_error(parse(R"({"id":"urn:a","type":5})"), ErrorKind::kInvalidRequest, "'type'");
  expect_error(parse(R"({"id":"urn:a","type":["T",5]})"), ErrorKind::kInvalidRequest, "'type'");
  expect_error(parse(R"({"id":"urn:a","type":"Bad Type"})"), ErrorKind::kBadRequestData,
               "Bad Type");
}

TEST_F(EntityParserTest, IdAndTypeOptionalForFragments) {
  options_.require_id = false;
  options_.require_type = false;
  auto result = parse(R"({"a":1})");
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->contains("id"));
  EXPECT_FALSE(result->contains("type"));
}

TEST_F(EntityParserTest, ValidatesScope) {
  expect_error(parse(R"({"id":"urn:a","type":"T","scope":5})"), ErrorKind::kInvalidRequest,
               "scope");
  expect_error(parse(R"({"id":"urn:a","type":"T","scope":[""]})"), ErrorKind::kBadRequestData,
               "scope");
  options_.validate_scope = [](std::string_view scope) -> Status {
    if (scope.starts_with("/")) return ok_status();
    return make_error(ErrorKind::kBadRequestData, "must start with /");
  };
  EXPECT_TRUE(parse(R"({"id":"urn:a","type":"T","scope":["/a","/b/c"]})").ok());
  expect_error(parse(R"({"id":"urn:a","type":"T","scope":["/a","b"]})"), ErrorKind::kBadRequestData,
               "must start with /");
}

TEST_F(EntityParserTest, RejectsInvalidAttributes) {
  expect_error(parse(R"({"id":"urn:a","type":"T","bad name":1})"), ErrorKind::kBadRequestData,
               "bad name");
  expect_error(parse(R"j({"id":"urn:a","type":"T","a(b)":1})j"), ErrorKind::kBadRequestData,
               "a(b)");
  expect_error(parse(R"({"id":"urn:a","type":"T","@id":"urn:b"})"), ErrorKind::kBadRequestData,
               "@id");
  expect_error(parse(R"({"id":"urn:a","type":"T","temperature":null})"), ErrorKind::kBadRequestData,
               "'temperature'");
  expect_error(parse(R"({"id":"urn:a","type":"T","owner":{"type":"Relationship"}})"),
               ErrorKind::kBadRequestData, "'owner'");
  expect_error(parse(R"({"id":"urn:a","type":"T","x":1,"https://example.org/x":2})"),
               ErrorKind::kBadRequestData, "another");
}

TEST_F(EntityParserTest, AllowsNullMarkersForMerge) {
  options_.allow_null = true;
  auto result = parse(R"({"id":"urn:a","type":"T","temperature":null})");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->at("attrs").at("https://example.org/temperature"),
            boost::json::parse(R"([{"type":"Property","value":"urn:ngsi-ld:null"}])"));
}

TEST_F(EntityParserTest, NullScopeIsAMarkerForMerge) {
  options_.allow_null = true;
  options_.require_id = false;
  options_.require_type = false;
  auto result = parse(R"({"scope":null})");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->at("scope"), boost::json::parse(R"(["urn:ngsi-ld:null"])"));
}

TEST_F(EntityParserTest, ParseAttributesReturnsOnlyAttrs) {
  auto result = parse_attributes(
      object_of(R"({"@context":"http://ctx","id":"urn:a","type":"T","a":{"object":"urn:b"}})"),
      terms_, options_);
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(*result,
            object_of(R"({"https://example.org/a":[{"type":"Relationship","object":"urn:b"}]})"));
  expect_error(parse_attributes(object_of(R"({"id":"bad id","a":1})"), terms_, options_),
               ErrorKind::kBadRequestData, "URI");
}

}  // namespace
}  // namespace citytwin::model
