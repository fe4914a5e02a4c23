#include "citytwin/model/instance_text_renderer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/model/entity_renderer.hpp"
#include "fake_term_mapper.hpp"

namespace citytwin::model {
namespace {

namespace json = boost::json;
using testing::FakeTermMapper;

// What render_entity() writes for the instance parsed from `stored`, with its instanceId set
// the way the temporal service sets it.
std::string rendered_as_json(std::string_view stored, std::string_view instance_id,
                             const RenderOptions& options) {
  boost::system::error_code ec;
  json::object instance = parse_json(stored, ec).as_object();
  instance["instanceId"] = instance_id;
  json::object entity{{"id", "urn:ngsi-ld:T:1"},
                      {"type", json::array{testing::iri("T")}},
                      {"attrs", json::object{{testing::iri("a"), json::array{instance}}}}};
  FakeTermMapper terms;
  return to_json_text(render_entity(entity, terms, options).at("a"));
}

std::string rendered_as_text(std::string_view stored, std::string_view instance_id,
                             const RenderOptions& options, bool& handled) {
  std::string out = "[";
  handled = append_normalized_instance(out, stored, instance_id, options);
  return handled ? out.substr(1) : std::string();
}

constexpr std::string_view kInstanceId = "urn:ngsi-ld:Instance:1796553394448767-5";

TEST(InstanceTextRenderer, WritesWhatTheRendererWritesForASensorReading) {
  RenderOptions options;
  const std::string stored =
      R"({"type":"Property","value":1.231E1,"observedAt":"2026-01-07T22:39:00.000Z",)"
      R"("unitCode":"CEL","createdAt":"2026-01-07T22:39:01.000Z",)"
      R"("modifiedAt":"2026-01-07T22:39:01.000Z"})";
  bool handled = false;
  std::string text = rendered_as_text(stored, kInstanceId, options, handled);
  ASSERT_TRUE(handled);
  EXPECT_EQ(text, R"({"type":"Property","value":12.31,"instanceId":")" + std::string(kInstanceId) +
                      R"(","observedAt":"2026-01-07T22:39:00.000Z","unitCode":"CEL"})");
  EXPECT_EQ(text, rendered_as_json(stored, kInstanceId, options));
  options.sys_attrs = true;
  text = rendered_as_text(stored, kInstanceId, options, handled);
  ASSERT_TRUE(handled);
  EXPECT_EQ(text, rendered_as_json(stored, kInstanceId, options));
}

TEST(InstanceTextRenderer, LeavesToTheRendererWhatNeedsCompactionOrChoice) {
  RenderOptions options;
  options.lang = "en";
  for (
      std::string_view stored : {
          R"({"type":"Property","value":1,"sub":{"https://example.org/b":{"type":"Property","value":2}}})",
          R"({"type":"Relationship","object":"urn:a","objectType":"https://example.org/T"})",
          R"({"type":"VocabProperty","vocab":"https://example.org/x"})",
          R"({"type":"LanguageProperty","languageMap":{"en":"x"}})",
          R"({"type":"Property","value":1,"other":2})",
          R"({"type":"Property","object":"urn:a"})",
          R"({"type":"Property","value":1,"value":2})",
          R"({"type":"Mystery","value":1})",
          R"({"type":"Property"})",
          R"({"value":1})",
          R"({"type":"Property","value":1,})",
          R"({"type":"Property","value":tru})",
      }) {
    std::string out = "kept";
    EXPECT_FALSE(append_normalized_instance(out, stored, kInstanceId, options)) << stored;
    EXPECT_EQ(out, "kept");
  }
  options.lang.clear();
  options.format = RepresentationFormat::kConcise;
  std::string out;
  EXPECT_FALSE(
      append_normalized_instance(out, R"({"type":"Property","value":1})", kInstanceId, options));
}

// Numbers and strings written other than Boost.JSON writes them (imports keep what they can
// of the client's text) still come out as the parsed value would.
TEST(InstanceTextRenderer, NumbersAndStringsComeOutAsTheParsedValue) {
  for (std::string_view value : {"0",
                                 "-0",
                                 "12",
                                 "-12",
                                 "1.50",
                                 "-0.0",
                                 "2.15E1",
                                 "1e400",
                                 "-1e-400",
                                 "5E-324",
                                 "9223372036854775807",
                                 "9223372036854775808",
                                 "-9223372036854775809",
                                 "18446744073709551616",
                                 "123456789012345678901234567890",
                                 "1E0",
                                 "0.1",
                                 "1.7976931348623157e308",
                                 R"("plain")",
                                 R"("es\u00e9c\"ape\\d\n")",
                                 R"("\ud83d\ude00")",
                                 R"("é€😀")",
                                 "true",
                                 "false",
                                 "null",
                                 R"({"b":[1,2.5E0,{"c":"\u0001"}]})",
                                 "[]",
                                 "{}"}) {
    const std::string stored = R"({"type":"Property","value":)" + std::string(value) + "}";
    RenderOptions options;
    bool handled = false;
    std::string text = rendered_as_text(stored, kInstanceId, options, handled);
    ASSERT_TRUE(handled) << stored;
    EXPECT_EQ(text, rendered_as_json(stored, kInstanceId, options)) << stored;
  }
}

// Random instances of every kind, serialized as the history stores them: wherever the text
// renderer answers, it answers byte for byte what the renderer writes; it answers for every
// instance without sub-attributes, objectType or vocab.
TEST(InstanceTextRenderer, AgreesWithTheRendererOnRandomInstances) {
  std::mt19937_64 random(20261206);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
  auto text_of = [&] {
    static const std::vector<std::string> kTexts = {
        "",    "a",     "urn:ngsi-ld:X:1",     "q\"uote", "back\\slash", "tab\t", "\x01",
        "é€😀", "/path", "2026-01-01T00:00:00Z"};
    return kTexts[static_cast<std::size_t>(pick(static_cast<int>(kTexts.size())))];
  };
  std::function<json::value(int)> any = [&](int depth) -> json::value {
    switch (depth > 1 ? pick(5) : pick(7)) {
      case 0:
        return static_cast<std::int64_t>(random()) >> pick(64);
      case 1: {
        double scale = std::pow(10.0, pick(40) - 20);
        return (static_cast<double>(random() % 100000) - 50000) / 7.0 * scale;
      }
      case 2:
        return json::value(text_of());
      case 3:
        return pick(2) == 0 ? json::value(true) : json::value(false);
      case 4:
        return random();  // uint64
      case 5: {
        json::array array;
        for (int i = 0; i < pick(3); ++i) array.push_back(any(depth + 1));
        return array;
      }
      default: {
        json::object object;
        for (int i = 0; i < pick(3); ++i) object["k" + std::to_string(i)] = any(depth + 1);
        return object;
      }
    }
  };
  static const std::vector<std::pair<std::string, std::string>> kKinds = {
      {"Property", "value"},
      {"GeoProperty", "value"},
      {"Relationship", "object"},
      {"LanguageProperty", "languageMap"},
      {"VocabProperty", "vocab"},
      {"ListProperty", "valueList"},
      {"ListRelationship", "objectList"},
      {"JsonProperty", "json"}};
  int handled_count = 0;
  for (int round = 0; round < 3000; ++round) {
    const auto& [type, member] = kKinds[static_cast<std::size_t>(pick(8))];
    json::object instance;
    // Members in a random order: the stored order need not be the rendered one.
    std::vector<std::function<void()>> adds = {
        [&] { instance["type"] = type; },
        [&] {
          instance[member] = type == "LanguageProperty"
                                 ? json::value(json::object{{"en", text_of()}, {"fr", "x"}})
                                 : any(0);
        }};
    if (pick(2) == 0)
      adds.push_back([&] { instance["datasetId"] = "urn:ngsi-ld:Dataset:" + text_of(); });
    if (pick(2) == 0) adds.push_back([&] { instance["observedAt"] = "2026-01-07T22:39:00.000Z"; });
    if (pick(3) == 0) adds.push_back([&] { instance["unitCode"] = text_of(); });
    if (pick(2) == 0) adds.push_back([&] { instance["createdAt"] = "2026-01-01T00:00:00.000Z"; });
    if (pick(2) == 0) adds.push_back([&] { instance["modifiedAt"] = "2026-01-02T00:00:00.000Z"; });
    if (pick(8) == 0) adds.push_back([&] { instance["deletedAt"] = "2026-01-03T00:00:00.000Z"; });
    if (pick(8) == 0) adds.push_back([&] { instance["instanceId"] = "urn:ngsi-ld:Instance:old"; });
    if (pick(10) == 0) adds.push_back([&] { instance["objectType"] = testing::iri("T"); });
    if (pick(10) == 0) {
      adds.push_back([&] {
        instance["sub"] = json::object{{testing::iri("s"), {{"type", "Property"}, {"value", 1}}}};
      });
    }
    std::shuffle(adds.begin(), adds.end(), random);
    for (auto& add : adds) add();
    const std::string stored = json::serialize(instance);
    RenderOptions options;
    options.sys_attrs = pick(2) == 0;
    options.lang = std::vector<std::string>{"", "*", "en"}[static_cast<std::size_t>(pick(3))];
    bool handled = false;
    std::string text = rendered_as_text(stored, kInstanceId, options, handled);
    const bool expected = !instance.contains("sub") && !instance.contains("objectType") &&
                          type != "VocabProperty" &&
                          !(type == "LanguageProperty" && options.lang == "en");
    ASSERT_EQ(handled, expected) << stored;
    if (!handled) continue;
    ++handled_count;
    ASSERT_EQ(text, rendered_as_json(stored, kInstanceId, options)) << stored;
  }
  EXPECT_GT(handled_count, 1500);
}

}  // namespace
}  // namespace citytwin::model
