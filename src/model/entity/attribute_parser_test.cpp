#include "citytwin/model/attribute_parser.hpp"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include "citytwin/model/null_marker.hpp"
#include "fake_term_mapper.hpp"
#include "test_support.hpp"

namespace citytwin::model {
namespace {

using testing::expect_error;
using testing::iri;
using testing::json_of;
using testing::object_of;

class AttributeParserTest : public ::testing::Test {
 protected:
  Result<boost::json::array> parse(std::string_view body) const {
    return parse_attribute_value("attr", json_of(body), terms_, options_);
  }
  // The single stored instance of a successful parse.
  boost::json::object single(std::string_view body) const {
    auto result = parse(body);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().detail);
    if (!result.ok()) return {};
    EXPECT_EQ(result->size(), 1u);
    return result->front().as_object();
  }
  void expect_bad(std::string_view body, std::string_view fragment) const {
    expect_error(parse(body), ErrorKind::kBadRequestData, fragment);
  }

  testing::FakeTermMapper terms_;
  ParseOptions options_;
};

// Concise inference, clause 4.5 (concise representation).
TEST_F(AttributeParserTest, BareValuesAreProperties) {
  EXPECT_EQ(single("5"), object_of(R"({"type":"Property","value":5})"));
  EXPECT_EQ(single(R"("text")"), object_of(R"({"type":"Property","value":"text"})"));
  EXPECT_EQ(single("false"), object_of(R"({"type":"Property","value":false})"));
  EXPECT_EQ(single("[1,2]"), object_of(R"({"type":"Property","value":[1,2]})"));
  EXPECT_EQ(single("[]"), object_of(R"({"type":"Property","value":[]})"));
  EXPECT_EQ(single(R"({"type":"PostalAddress","street":"x"})"),
            object_of(R"({"type":"Property","value":{"type":"PostalAddress","street":"x"}})"));
  EXPECT_EQ(single(R"([{"street":"x"},{"street":"y"}])"),
            object_of(R"({"type":"Property","value":[{"street":"x"},{"street":"y"}]})"));
}

TEST_F(AttributeParserTest, ValueMembersSelectTheType) {
  EXPECT_EQ(single(R"({"value":1,"unitCode":"CEL"})"),
            object_of(R"({"type":"Property","value":1,"unitCode":"CEL"})"));
  EXPECT_EQ(single(R"({"object":"urn:a"})"),
            object_of(R"({"type":"Relationship","object":"urn:a"})"));
  EXPECT_EQ(single(R"({"languageMap":{"en":"a","es":["b","c"]}})"),
            object_of(R"({"type":"LanguageProperty","languageMap":{"en":"a","es":["b","c"]}})"));
  EXPECT_EQ(
      single(R"({"vocab":["x","http://o.org/y"]})"),
      object_of(R"({"type":"VocabProperty","vocab":["https://example.org/x","http://o.org/y"]})"));
  EXPECT_EQ(single(R"({"valueList":[1,"a"]})"),
            object_of(R"({"type":"ListProperty","valueList":[1,"a"]})"));
  EXPECT_EQ(single(R"({"objectList":["urn:a",{"object":"urn:b"}]})"),
            object_of(R"({"type":"ListRelationship","objectList":["urn:a","urn:b"]})"));
  EXPECT_EQ(single(R"({"json":{"a":null}})"),
            object_of(R"({"type":"JsonProperty","json":{"a":null}})"));
}

TEST_F(AttributeParserTest, GeometriesAreGeoProperties) {
  const auto expected =
      object_of(R"({"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]}})");
  EXPECT_EQ(single(R"({"type":"Point","coordinates":[1,2]})"), expected);
  EXPECT_EQ(single(R"({"value":{"type":"Point","coordinates":[1,2]}})"), expected);
  EXPECT_EQ(single(R"({"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]}})"),
            expected);
  // An explicit Property keeps a geometry as a plain value.
  EXPECT_EQ(single(R"({"type":"Property","value":{"type":"Point","coordinates":[1,2]}})"),
            object_of(R"({"type":"Property","value":{"type":"Point","coordinates":[1,2]}})"));
}

TEST_F(AttributeParserTest, ValidatesGeometryWithCallback) {
  options_.validate_geometry = [](const boost::json::value&) -> Status {
    return make_error(ErrorKind::kBadRequestData, "latitude out of range");
  };
  expect_bad(R"({"type":"Point","coordinates":[1,200]})", "latitude out of range");
  expect_bad(R"({"type":"GeoProperty","value":{"type":"Point","coordinates":[1,200]}})", "attr");
}

TEST_F(AttributeParserTest, RejectsInvalidValues) {
  expect_bad("null", "null");
  expect_bad(R"({"type":"Property"})", "requires member 'value'");
  expect_bad(R"({"type":"Property","value":null})", "null");
  expect_bad(R"({"type":"Relationship"})", "requires member 'object'");
  expect_bad(R"({"type":"Relationship","object":"not a uri"})", "URI");
  expect_bad(R"({"type":"Relationship","object":[]})", "URI");
  expect_bad(R"({"type":"Relationship","object":5})", "URI");
  expect_bad(R"j({"type":"GeoProperty","value":"POINT(1 2)"})j", "GeoJSON");
  expect_bad(R"({"type":"GeoProperty","value":{"type":"Circle","coordinates":[1,2]}})", "GeoJSON");
  expect_bad(R"({"type":"LanguageProperty","languageMap":{"en":5}})", "strings");
  expect_bad(R"({"type":"LanguageProperty","languageMap":{"e n":"x"}})", "language tag");
  expect_bad(R"({"type":"LanguageProperty","languageMap":"x"})", "object");
  expect_bad(R"({"type":"VocabProperty","vocab":5})", "vocab");
  expect_bad(R"({"type":"VocabProperty","vocab":"a b"})", "vocab");
  expect_bad(R"({"type":"ListProperty","valueList":5})", "valueList");
  expect_bad(R"({"type":"ListRelationship","objectList":["bad uri"]})", "objectList");
  expect_bad(R"({"type":"Temperature","value":5})", "unknown attribute type");
  expect_bad(R"({"value":1,"object":"urn:a"})", "more than one");
  expect_bad(R"({"type":"Property","value":1,"object":"urn:a"})", "'object' is not allowed");
  expect_bad(R"({"datasetId":"urn:ds:1"})", "value member");
}

TEST_F(AttributeParserTest, ParsesMetadata) {
  EXPECT_EQ(
      single(R"({"value":1,"observedAt":"2026-11-22T12:15:30+02:00","datasetId":"urn:ds:1"})"),
      object_of(R"({"type":"Property","value":1,"observedAt":"2026-11-22T10:15:30.000Z",
                          "datasetId":"urn:ds:1"})"));
  EXPECT_EQ(
      single(R"({"object":"urn:a","objectType":"Person"})"),
      object_of(
          R"({"type":"Relationship","object":"urn:a","objectType":"https://example.org/Person"})"));
  // System members are set by core, never taken from the client (clause 4.8).
  EXPECT_EQ(single(R"({"value":1,"createdAt":"2020-01-01T00:00:00Z","instanceId":"urn:i"})"),
            object_of(R"({"type":"Property","value":1})"));
}

TEST_F(AttributeParserTest, RejectsInvalidMetadata) {
  expect_bad(R"({"value":1,"observedAt":"yesterday"})", "observedAt");
  expect_bad(R"({"value":1,"observedAt":5})", "observedAt");
  expect_bad(R"({"value":1,"unitCode":5})", "unitCode");
  expect_bad(R"({"value":1,"datasetId":"ds 1"})", "datasetId");
  expect_bad(R"({"value":1,"lang":"en"})", "lang");
  expect_bad(R"({"value":1,"objectType":"Person"})", "objectType");
}

TEST_F(AttributeParserTest, ParsesSubAttributesRecursively) {
  EXPECT_EQ(
      single(R"({"value":20,"accuracy":{"value":0.5,"unit":"CEL"},"sensor":{"object":"urn:s"}})"),
      object_of(R"({"type":"Property","value":20,"sub":{
        "https://example.org/accuracy":{"type":"Property","value":0.5,"sub":{
          "https://example.org/unit":{"type":"Property","value":"CEL"}}},
        "https://example.org/sensor":{"type":"Relationship","object":"urn:s"}}})"));
}

TEST_F(AttributeParserTest, RejectsInvalidSubAttributes) {
  expect_bad(R"({"value":1,"bad name":2})", "attr.bad name");
  expect_bad(R"({"value":1,"accuracy":null})", "attr.accuracy");
  expect_bad(R"({"value":1,"accuracy":{"type":"Relationship","object":"x"}})", "attr.accuracy");
  expect_bad(R"({"value":1,"accuracy":[{"value":1,"datasetId":"urn:a"},{"value":2}]})",
             "several instances");
  expect_bad(R"({"value":1,"accuracy":2,"https://example.org/accuracy":3})", "another member");
}

TEST_F(AttributeParserTest, ParsesMultiAttributes) {
  auto result = parse(R"([{"value":1},{"value":2,"datasetId":"urn:ds:2"},
                          {"type":"Property","value":3,"datasetId":"urn:ds:3"}])");
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(*result, json_of(R"([{"type":"Property","value":1},
                                 {"type":"Property","value":2,"datasetId":"urn:ds:2"},
                                 {"type":"Property","value":3,"datasetId":"urn:ds:3"}])"));
}

TEST_F(AttributeParserTest, RejectsDuplicateDatasetIds) {
  expect_bad(R"([{"value":1,"datasetId":"urn:ds:1"},{"value":2,"datasetId":"urn:ds:1"}])",
             "duplicate datasetId");
  expect_bad(R"([{"value":1},{"object":"urn:a"}])", "more than one instance without datasetId");
  expect_bad(R"([{"value":1,"datasetId":"urn:ds:1"},{"value":null,"datasetId":"urn:ds:2"}])",
             "attr[1]");
}

// NGSI-LD Null for merge-patch (null_marker.hpp).
TEST_F(AttributeParserTest, KeepsNullMarkersWhenAllowed) {
  options_.allow_null = true;
  const auto bare = single("null");
  EXPECT_EQ(bare, object_of(R"({"type":"Property","value":"urn:ngsi-ld:null"})"));
  EXPECT_TRUE(is_null_marker(bare));
  EXPECT_TRUE(is_null_marker(single(R"({"type":"Relationship","object":null})")));
  EXPECT_TRUE(is_null_marker(single(R"({"type":"GeoProperty","value":"urn:ngsi-ld:null"})")));
  EXPECT_EQ(single(R"({"languageMap":null})"),
            object_of(R"({"type":"LanguageProperty","languageMap":{"@none":"urn:ngsi-ld:null"}})"));
  EXPECT_EQ(single(R"({"vocab":"urn:ngsi-ld:null"})"),
            object_of(R"({"type":"VocabProperty","vocab":"urn:ngsi-ld:null"})"));
  EXPECT_TRUE(is_null_marker(single(R"({"valueList":null})")));
  EXPECT_TRUE(is_null_marker(single(R"({"objectList":null})")));
  EXPECT_TRUE(is_null_marker(single(R"({"json":null})")));
  const auto sub = single(R"({"value":1,"accuracy":null})");
  EXPECT_TRUE(is_null_marker(sub.at("sub").at(iri("accuracy")).as_object()));
  EXPECT_FALSE(is_null_marker(single(R"({"value":1})")));
}

TEST_F(AttributeParserTest, KeepsFineGrainedNullsForMerge) {
  options_.allow_null = true;
  EXPECT_EQ(single(R"({"value":1,"unitCode":null,"observedAt":"urn:ngsi-ld:null"})"),
            object_of(R"({"type":"Property","value":1,"unitCode":"urn:ngsi-ld:null",
                          "observedAt":"urn:ngsi-ld:null"})"));
  EXPECT_EQ(
      single(R"({"object":"urn:a","objectType":null})"),
      object_of(R"({"type":"Relationship","object":"urn:a","objectType":"urn:ngsi-ld:null"})"));
  EXPECT_EQ(
      single(R"({"languageMap":{"fr":"Place","en":null}})"),
      object_of(
          R"({"type":"LanguageProperty","languageMap":{"fr":"Place","en":"urn:ngsi-ld:null"}})"));
  EXPECT_EQ(
      single(R"({"value":{"street":"x","geo":{"lat":null}}})"),
      object_of(R"({"type":"Property","value":{"street":"x","geo":{"lat":"urn:ngsi-ld:null"}}})"));
  EXPECT_EQ(single(R"({"json":{"a":null}})"),
            object_of(R"({"type":"JsonProperty","json":{"a":null}})"));
  options_.allow_null = false;
  expect_bad(R"({"languageMap":{"en":null}})", "strings");
  expect_bad(R"({"value":1,"unitCode":null})", "unitCode");
  EXPECT_EQ(single(R"({"value":{"a":null}})"),
            object_of(R"({"type":"Property","value":{"a":null}})"));
}

TEST_F(AttributeParserTest, ParseAttributeExpandsNameAndIgnoresContext) {
  auto result = parse_attribute("temperature", json_of(R"({"value":1,"@context":"http://c"})"),
                                terms_, options_);
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(*result,
            object_of(R"({"https://example.org/temperature":[{"type":"Property","value":1}]})"));
  expect_error(parse_attribute("bad=name", json_of("1"), terms_, options_),
               ErrorKind::kBadRequestData, "bad=name");
}

// Clause 5.6.4: a partial update body is a fragment; without a value member it changes only
// metadata and sub-attributes instead of becoming a Property holding the whole object.
TEST_F(AttributeParserTest, FragmentsWithoutValueMemberKeepTheStoredValue) {
  options_.allow_null = true;
  auto fragment = [this](std::string_view body) {
    auto result = parse_attribute_fragment("t", json_of(body), terms_, options_);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().detail);
    return result.ok() ? result->at(iri("t")).as_array().front().as_object()
                       : boost::json::object{};
  };
  EXPECT_EQ(fragment(R"({"unitCode":"urn:ngsi-ld:null"})"),
            object_of(R"({"unitCode":"urn:ngsi-ld:null"})"));
  EXPECT_EQ(fragment(R"({"observedAt":"2024-01-01T00:00:00Z","datasetId":"urn:d"})"),
            object_of(R"({"observedAt":"2024-01-01T00:00:00.000Z","datasetId":"urn:d"})"));
  EXPECT_EQ(fragment(R"({"accuracy":{"value":1}})"),
            object_of(R"({"sub":{")" + iri("accuracy") + R"(":{"type":"Property","value":1}}})"));
  EXPECT_EQ(fragment(R"({"type":"Relationship","objectType":"P"})"),
            object_of(R"({"type":"Relationship","objectType":")" + iri("P") + R"("})"));
  EXPECT_EQ(fragment(R"({"value":2,"unitCode":"CEL"})"),
            object_of(R"({"type":"Property","value":2,"unitCode":"CEL"})"));
  EXPECT_EQ(fragment("3"), object_of(R"({"type":"Property","value":3})"));
  EXPECT_EQ(fragment(R"({"type":"Point","coordinates":[1,2]})"),
            object_of(R"({"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]}})"));
  expect_error(
      parse_attribute_fragment("t", json_of(R"({"observedAt":"never"})"), terms_, options_),
      ErrorKind::kBadRequestData, "observedAt");
  expect_error(parse_attribute_fragment("t", json_of(R"([{"value":1}])"), terms_, options_),
               ErrorKind::kBadRequestData, "one attribute instance");
}

}  // namespace
}  // namespace citytwin::model
