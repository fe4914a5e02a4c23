#include "citytwin/model/temporal_instance_parser.hpp"

#include <bit>
#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/json_member.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/serialized_double.hpp"
#include "citytwin/model/attribute_parser.hpp"
#include "fake_term_mapper.hpp"

namespace citytwin::model {
namespace {

namespace json = boost::json;

// As the server reads a request body (precise numbers).
json::value body_of(std::string_view text) {
  boost::system::error_code ec;
  json::value value = parse_json(text, ec);
  EXPECT_FALSE(ec) << text;
  return value;
}

// The general path, written out: parse_attribute's single instance serialized, its datasetId,
// and observedAt as the history reads it back from the stored form.
Result<TemporalInstance> reference(std::string_view name, const json::value& body,
                                   const jsonld::TermMapper& terms, const ParseOptions& options) {
  auto parsed = parse_attribute(name, body, terms, options);
  if (!parsed.ok()) return std::move(parsed).error();
  const json::object& instance = parsed->begin()->value().as_array().front().as_object();
  TemporalInstance out;
  out.text = json::serialize(instance);
  if (const auto* dataset = instance.if_contains("datasetId")) {
    out.dataset_id = std::string(dataset->as_string());
  }
  if (const auto* observed = instance.if_contains("observedAt")) {
    auto instant = parse_date_time(std::string_view(observed->as_string()));
    if (instant) out.observed_at = instant->micros;
  }
  return out;
}

class TemporalInstanceParserTest : public ::testing::Test {
 protected:
  // Parses `text` both ways and expects the same outcome; returns whether the fast path
  // took it.
  bool same_as_general_path(std::string_view text, std::string_view name = "temperature") {
    json::value body = body_of(text);
    TemporalInstanceParser parser(terms_, options_);
    auto fast = parser.parse(name, body);
    auto general = reference(name, body, terms_, options_);
    EXPECT_EQ(fast.ok(), general.ok()) << text;
    if (!fast.ok() || !general.ok()) {
      if (!fast.ok() && !general.ok()) {
        EXPECT_EQ(fast.error().kind, general.error().kind) << text;
        EXPECT_EQ(fast.error().detail, general.error().detail) << text;
      }
      return false;
    }
    EXPECT_EQ(fast->text, general->text) << text;
    EXPECT_EQ(fast->dataset_id, general->dataset_id) << text;
    EXPECT_EQ(fast->observed_at, general->observed_at) << text;
    expect_layout_fits(*fast, text);
    return body.is_object() && parser.plain_property(body.get_object()).has_value();
  }

  // A layout says where "value" and "observedAt" are in the text and how the value was
  // written (what the history's chunk encoder takes on trust).
  static void expect_layout_fits(const TemporalInstance& instance, std::string_view body) {
    const InstanceLayout& layout = instance.layout;
    if (layout.size == 0) return;
    ASSERT_EQ(layout.size, instance.text.size()) << body;
    auto members = top_level_members(instance.text);
    ASSERT_TRUE(members.has_value()) << body;
    auto text_of = [&](TextSpan span) {
      return std::string_view(instance.text).substr(span.begin, span.end - span.begin);
    };
    TextSpan value;
    TextSpan observed;
    for (const JsonMember& member : *members) {
      TextSpan span{static_cast<std::uint32_t>(member.value_begin),
                    static_cast<std::uint32_t>(member.value_end)};
      if (member.key == "value") value = span;
      if (member.key == "observedAt") observed = span;
    }
    EXPECT_EQ(layout.value, value) << body;
    EXPECT_EQ(layout.observed_at, observed) << body;
    EXPECT_TRUE(layout.created_at.empty() && layout.modified_at.empty()) << body;
    std::string_view text = text_of(layout.value);
    std::string expected;
    switch (layout.written) {
      case WrittenValue::kDouble:
        append_serialized_double(expected, layout.number);
        EXPECT_EQ(text, expected) << body;
        break;
      case WrittenValue::kInteger:
        EXPECT_LE(std::abs(layout.number), kMaxExactInteger) << body;
        EXPECT_EQ(text, std::to_string(static_cast<std::int64_t>(layout.number))) << body;
        break;
      case WrittenValue::kBool:
        EXPECT_EQ(text, layout.boolean ? "true" : "false") << body;
        break;
      case WrittenValue::kPlainString:
        ASSERT_GE(text.size(), 2u) << body;
        EXPECT_TRUE(text.front() == '"' && text.back() == '"') << body;
        EXPECT_EQ(text.substr(1, text.size() - 2).find_first_of("\\\""), std::string_view::npos)
            << body;
        break;
      case WrittenValue::kUnknown:
        break;
    }
  }

  static ParseOptions fragment_options() {  // as the temporal write handlers parse
    ParseOptions options;
    options.require_id = false;
    options.require_type = false;
    return options;
  }

  testing::FakeTermMapper terms_;
  ParseOptions options_ = fragment_options();
};

TEST_F(TemporalInstanceParserTest, PlainPropertiesTakeTheFastPathAndMatchTheGeneralOne) {
  const char* plain[] = {
      R"({"type":"Property","value":14.37,"observedAt":"2026-01-01T00:00:00Z"})",
      R"({"value":14.37,"observedAt":"2026-01-01T00:00:00Z"})",
      R"({"observedAt":"2026-01-01T00:00:00Z","value":1,"type":"Property"})",
      R"({"type":"Property","value":1.50})",
      R"({"type":"Property","value":1e3})",
      R"({"type":"Property","value":1E-7})",
      R"({"type":"Property","value":-0.0})",
      R"({"type":"Property","value":0})",
      R"({"type":"Property","value":-9223372036854775808})",
      R"({"type":"Property","value":18446744073709551615})",
      R"({"type":"Property","value":123456789012345678901234567890})",
      R"({"type":"Property","value":0.1000000000000000055511151231257827})",
      R"({"type":"Property","value":true})",
      R"({"type":"Property","value":false})",
      R"({"type":"Property","value":"on"})",
      R"({"type":"Property","value":""})",
      R"({"type":"Property","value":"say \"hi\"\\ \/ \n\t\u0001\u001f\u007f"})",
      R"({"type":"Property","value":"caf\u00e9 ✓ 😀"})",
      R"({"type":"Property","value":"urn:ngsi-ld:null"})",
      R"({"type":"Property","value":"Point"})",
      R"({"type":"Property","value":21,"unitCode":"CEL"})",
      R"({"type":"Property","value":21,"unitCode":"C\"E\u00e9"})",
      R"({"type":"Property","value":21,"datasetId":"urn:ds:1"})",
      R"({"datasetId":"urn:ds:1","unitCode":"CEL","value":21,"observedAt":"2026-01-01T00:00:00Z"})",
      R"({"type":"Property","value":2,"observedAt":"2026-11-22T12:15:30+02:00"})",
      R"({"type":"Property","value":2,"observedAt":"2026-11-22T12:15:30.5Z"})",
      R"({"type":"Property","value":2,"observedAt":"2026-11-22T12:15:30.123456Z"})",
      R"({"type":"Property","value":2,"observedAt":"2026-11-22T12:15:30.1234567Z"})",
      R"({"type":"Property","value":2,"observedAt":"2026-11-22T12:15:30"})",
      R"({"type":"Property","value":2,"observedAt":"0001-01-01T00:00:00Z"})",
      R"({"type":"Property","value":2,"observedAt":"9999-12-31T23:59:59.999999Z"})",
      R"({"type":"Property","value":2,"observedAt":"1969-12-31T23:59:59.999Z"})",
      R"({"type":"Property","value":2,"observedAt":"0000-01-01T00:00:00+01:00"})",
  };
  for (const char* text : plain) EXPECT_TRUE(same_as_general_path(text)) << text;
}

TEST_F(TemporalInstanceParserTest, LayoutsSayHowTheFastPathWroteTheValue) {
  const char* kinds[][2] = {
      {R"({"type":"Property","value":14.37,"observedAt":"2026-01-01T00:00:00Z"})", "d"},
      {R"({"type":"Property","value":7})", "i"},
      {R"({"type":"Property","value":9007199254740993})", "?"},  // not an exact double
      {R"({"type":"Property","value":18446744073709551615})", "?"},
      {R"({"type":"Property","value":true,"unitCode":"CEL"})", "b"},
      {R"({"type":"Property","value":"on"})", "s"},
      {R"({"type":"Property","value":"caf\u00e9"})", "?"},
  };
  for (const auto& [text, kind] : kinds) {
    json::value body = body_of(text);
    TemporalInstanceParser parser(terms_, options_);
    auto parsed = parser.parse("temperature", body);
    ASSERT_TRUE(parsed.ok()) << text;
    ASSERT_NE(parsed->layout.size, 0u) << text;
    const char expected = *kind;
    const WrittenValue written = parsed->layout.written;
    EXPECT_EQ(written == WrittenValue::kDouble, expected == 'd') << text;
    EXPECT_EQ(written == WrittenValue::kInteger, expected == 'i') << text;
    EXPECT_EQ(written == WrittenValue::kBool, expected == 'b') << text;
    EXPECT_EQ(written == WrittenValue::kPlainString, expected == 's') << text;
    EXPECT_EQ(written == WrittenValue::kUnknown, expected == '?') << text;
  }
  // The general path says nothing.
  auto general = TemporalInstanceParser(terms_, options_)
                     .parse("temperature", body_of(R"({"type":"Property","value":{"a":1}})"));
  ASSERT_TRUE(general.ok());
  EXPECT_EQ(general->layout.size, 0u);
}

// Doubles of every exponent, written by the fast path, read as the serializer writes them.
TEST_F(TemporalInstanceParserTest, RandomNumbersAreWrittenAsTheSerializerWritesThem) {
  std::mt19937_64 random(20261206);
  for (int i = 0; i < 3000; ++i) {
    double value = std::bit_cast<double>(random());
    if (!std::isfinite(value)) continue;
    std::string text = R"({"type":"Property","value":)" + json::serialize(json::value(value)) + "}";
    EXPECT_TRUE(same_as_general_path(text)) << text;
  }
}

TEST_F(TemporalInstanceParserTest, EverythingElseTakesTheGeneralPath) {
  const char* other[] = {
      // other kinds, values and members
      R"({"type":"Property","value":{"a":1}})",
      R"({"type":"Property","value":[1,2]})",
      R"({"type":"Property","value":{"type":"Point","coordinates":[1,2]}})",
      R"({"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]}})",
      R"({"type":"Relationship","object":"urn:a"})",
      R"({"object":"urn:a","observedAt":"2026-01-01T00:00:00Z"})",
      R"({"type":"Property","value":1,"accuracy":{"type":"Property","value":0.5}})",
      R"({"type":"Property","value":1,"accuracy":0.5})",
      R"({"type":"Property","value":1,"createdAt":"2020-01-01T00:00:00Z"})",
      R"({"type":"Property","value":1,"modifiedAt":"2020-01-01T00:00:00Z"})",
      R"({"type":"Property","value":1,"instanceId":"urn:ngsi-ld:Instance:1-1"})",
      R"({"type":"Property","value":1,"@context":"https://example.org/c.jsonld"})",
      R"({"type":"Property","value":1,"objectType":"T"})",
      R"({"a":1})",
      R"({})",
      // bad input: the same 400 as the general path
      R"({"type":"Property","value":null})",
      R"({"type":"Property"})",
      R"({"type":"Property","value":1,"observedAt":"yesterday"})",
      R"({"type":"Property","value":1,"observedAt":12})",
      R"({"type":"Property","value":1,"observedAt":"2026-13-01T00:00:00Z"})",
      R"({"type":"Property","value":1,"unitCode":""})",
      R"({"type":"Property","value":1,"unitCode":5})",
      R"({"type":"Property","value":1,"datasetId":"not a uri"})",
      R"({"type":"Property","value":1,"datasetId":7})",
      R"({"type":"Property","value":1,"object":"urn:a"})",
      R"({"type":"Property","value":1,"lang":"en"})",
      R"({"type":"Propertyy","value":1})",
      R"({"type":7,"value":1})",
  };
  for (const char* text : other) EXPECT_FALSE(same_as_general_path(text)) << text;
}

TEST_F(TemporalInstanceParserTest, AnInvalidNameIsTheGeneralPathsError) {
  EXPECT_FALSE(same_as_general_path(R"({"type":"Property","value":1})", "bad name"));
  EXPECT_FALSE(same_as_general_path(R"({"type":"Property","value":1})", "@id"));
  EXPECT_TRUE(same_as_general_path(R"({"type":"Property","value":1})", "https://x.org/t"));
}

TEST_F(TemporalInstanceParserTest, WithNullsAllowedEverythingTakesTheGeneralPath) {
  options_.allow_null = true;
  EXPECT_FALSE(same_as_general_path(R"({"type":"Property","value":"urn:ngsi-ld:null"})"));
  EXPECT_FALSE(same_as_general_path(R"({"type":"Property","value":1})"));
}

TEST_F(TemporalInstanceParserTest, OneParserServesManyInstances) {
  TemporalInstanceParser parser(terms_, options_);
  for (int i = 0; i < 3; ++i) {
    json::value body = body_of(R"({"value":"x\ny","unitCode":"é"})");
    auto parsed = parser.parse("t", body);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->text, R"({"type":"Property","value":"x\ny","unitCode":"é"})");
  }
}

}  // namespace
}  // namespace citytwin::model
