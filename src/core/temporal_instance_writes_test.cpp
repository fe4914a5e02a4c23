// Temporal writes of instances already serialized (model::TemporalInstanceParser, the path of
// the temporal write handlers) store exactly what the stored-form object path stores: the
// same samples, texts, instanceIds and chunks, for plain Properties (the parser's fast path)
// and for everything else, mixed in one import large enough to be packed into chunks.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/core/temporal_service.hpp"
#include "citytwin/model/attribute_parser.hpp"
#include "citytwin/model/temporal_instance_parser.hpp"
#include "temporal_test_support.hpp"

namespace citytwin::core {
namespace {

namespace json = boost::json;

constexpr const char* kId = "urn:ngsi-ld:Sensor:text";

class PrefixTerms final : public jsonld::TermMapper {
 public:
  std::string expand(std::string_view term) const override {
    if (term.find(':') != std::string_view::npos) return std::string(term);
    return "https://example.org/" + std::string(term);
  }
  std::string compact(std::string_view iri) const override { return std::string(iri); }
};

model::ParseOptions temporal_options() {
  model::ParseOptions options;
  options.require_id = false;
  options.require_type = false;
  return options;
}

// An import body: a large list of tricky plain Properties, general instances among them, a
// second attribute, and a member that expands to the first attribute's name.
json::object import_body() {
  json::array temperature;
  const char* values[] = {
      "14.37", "1.50",   "1e3",           "-0.0",          "7",  "18446744073709551615",
      "true",  "\"on\"", "\"a\\\"b\\n\"", "\"caf\u00e9\"", "0.1"};
  for (int i = 0; i < 1500; ++i) {
    std::string text = R"({"type":"Property","value":)" + std::string(values[i % 11]);
    if (i % 7 != 0) {
      text += R"(,"observedAt":")" +
              format_date_time(Instant{test_support::kTestStart + i * 60'000'000LL}) + "\"";
    }
    if (i % 5 == 0) text += R"(,"unitCode":"CEL")";
    if (i % 13 == 0) text += R"(,"datasetId":"urn:ds:b")";
    if (i % 17 == 0) text += R"(,"accuracy":{"type":"Property","value":0.5})";
    if (i % 19 == 0) text += R"(,"observedAt":"2026-03-01T07:00:00+02:00")";  // duplicate key
    text += "}";
    boost::system::error_code ec;
    temperature.push_back(parse_json(text, ec));
    EXPECT_FALSE(ec) << text;
  }
  json::array status{
      json::object{{"value", "ok"}},
      json::object{{"type", "Relationship"}, {"object", "urn:a"}},
      json::object{{"value", json::object{{"k", 1}}}, {"observedAt", "2026-03-01T07:00:00Z"}},
  };
  return json::object{{"id", kId},
                      {"type", "Sensor"},
                      {"temperature", std::move(temperature)},
                      {"status", std::move(status)},
                      {"https://example.org/temperature",
                       json::object{{"value", 3}, {"observedAt", "2026-03-01T07:00:00Z"}}}};
}

bool is_head(std::string_view name) {
  return name == "id" || name == "type";
}

// What the handlers built before the text path: every instance through parse_attribute into
// one stored-form attrs object.
json::object attrs_as_objects(const json::object& body, const jsonld::TermMapper& terms) {
  const auto options = temporal_options();
  json::object attrs;
  for (const auto& [name, member] : body) {
    if (is_head(name)) continue;
    json::array list = member.is_array() ? member.get_array() : json::array{member};
    for (const auto& instance : list) {
      auto parsed = model::parse_attribute(name, instance, terms, options);
      EXPECT_TRUE(parsed.ok()) << parsed.error().detail;
      for (auto& [expanded, instances] : *parsed) {
        auto& target = attrs[expanded];
        if (!target.is_array()) target = json::array{};
        for (auto& one : instances.as_array()) target.as_array().push_back(one);
      }
    }
  }
  return attrs;
}

std::vector<model::TemporalAttribute> attrs_as_text(const json::object& body,
                                                    const jsonld::TermMapper& terms) {
  const auto options = temporal_options();
  model::TemporalInstanceParser parser(terms, options);
  std::vector<model::TemporalAttribute> attrs;
  for (const auto& [name, member] : body) {
    if (is_head(name)) continue;
    json::array list = member.is_array() ? member.get_array() : json::array{member};
    std::string expanded = terms.expand(name);
    model::TemporalAttribute* target = nullptr;
    for (auto& attr : attrs) {
      if (attr.name == expanded) target = &attr;
    }
    if (target == nullptr) target = &attrs.emplace_back(model::TemporalAttribute{expanded, {}});
    for (const auto& instance : list) {
      auto parsed = parser.parse(name, instance);
      EXPECT_TRUE(parsed.ok()) << parsed.error().detail;
      target->instances.push_back(std::move(*parsed));
    }
  }
  return attrs;
}

struct Side {
  explicit Side(const std::string& name) : dir(name) {
    store = test_support::open_chunked_store(dir.path());
    service = std::make_unique<TemporalService>(*store, clock);
  }
  std::vector<store::HistorySample> history() const {
    auto samples = store->history("", kId, "", {}, 1'000'000);
    EXPECT_TRUE(samples.ok());
    return samples.ok() ? *samples : std::vector<store::HistorySample>{};
  }
  test_support::TempDir dir;
  test_support::SteppingClock clock;
  std::unique_ptr<store::EntityStore> store;
  std::unique_ptr<TemporalService> service;
};

TEST(TemporalInstanceWrites, TextAndObjectPathsStoreIdenticalSamples) {
  PrefixTerms terms;
  const json::object body = import_body();
  const json::array types{"https://example.org/Sensor"};
  Side objects("ct-objects");
  Side texts("ct-texts");
  ASSERT_NE(objects.store, nullptr);
  ASSERT_NE(texts.store, nullptr);

  json::object entity{{"id", kId}, {"type", types}, {"attrs", attrs_as_objects(body, terms)}};
  auto a = objects.service->add_history("", entity);
  ASSERT_TRUE(a.ok()) << a.error().detail;
  json::object head{{"id", kId}, {"type", types}};
  auto b = texts.service->add_history("", head, attrs_as_text(body, terms));
  ASSERT_TRUE(b.ok()) << b.error().detail;
  EXPECT_EQ(*a, *b);

  // A second import into the existing history.
  objects.clock.micros += 1'000'000'000;
  texts.clock.micros += 1'000'000'000;
  ASSERT_TRUE(objects.service->append_history("", kId, attrs_as_objects(body, terms)).ok());
  ASSERT_TRUE(texts.service->append_history("", kId, attrs_as_text(body, terms)).ok());

  auto expected = objects.history();
  auto actual = texts.history();
  ASSERT_GE(expected.size(), 2u * (1500 + 3 + 1));
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(actual[i], expected[i])
        << i << ": " << actual[i].instance << " vs " << expected[i].instance;
  }
  // And after the compactor has been over both.
  ASSERT_TRUE(objects.store->compact_history().ok());
  ASSERT_TRUE(texts.store->compact_history().ok());
  EXPECT_EQ(texts.history(), objects.history());
}

}  // namespace
}  // namespace citytwin::core
