// The NGSI-LD query languages a client sends in a query string: q (clause 4.9), scopeQ
// (clause 4.19) and idPattern (clause 5.2.33). The whole input is tried as each of the three:
// parsing must return a value or an error, and evaluating what parsed must not crash or throw.

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "citytwin/model/query/id_pattern.hpp"
#include "citytwin/model/query/query_filter.hpp"
#include "citytwin/model/query/scope_filter.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace citytwin;

// Stored-form entities (entity_form.hpp) with every value kind q can compare: numbers, text,
// booleans, dates, structured values, sub-attributes, language maps, relationships, scopes.
const std::vector<boost::json::object>& entities() {
  static const std::vector<boost::json::object> all = [] {
    std::vector<boost::json::object> out;
    for (const char* text : {
             R"({"id": "urn:ngsi-ld:Sensor:1", "type": ["https://example.org/Sensor"],
                 "scope": ["/Madrid/Centro", "/a/b"],
                 "attrs": {
                   "https://example.org/temperature": [{"type": "Property", "value": 21.5,
                     "observedAt": "2026-11-22T10:00:00.000Z", "unitCode": "CEL",
                     "https://example.org/accuracy": {"type": "Property", "value": 0.5}}],
                   "https://example.org/name": [{"type": "Property", "value": "North gate"}],
                   "https://example.org/on": [{"type": "Property", "value": true}],
                   "https://example.org/address": [{"type": "Property",
                     "value": {"street": "Gran Via", "number": [1, "b"]}}],
                   "https://example.org/refDevice": [{"type": "Relationship",
                     "object": "urn:ngsi-ld:Device:7"}],
                   "https://example.org/label": [{"type": "LanguageProperty",
                     "languageMap": {"en": "gate", "es": "puerta"}}],
                   "https://example.org/category": [{"type": "VocabProperty", "vocab": "x"}],
                   "https://example.org/when": [{"type": "Property",
                     "value": {"@type": "DateTime", "@value": "2026-11-22T10:00:00Z"}}],
                   "https://example.org/list": [{"type": "ListProperty", "valueList": [1, 2, 3]}],
                   "https://example.org/multi": [{"type": "Property", "value": 1},
                     {"type": "Property", "value": 2, "datasetId": "urn:ds:2"}]}})",
             R"({"id": "urn:a", "type": ["https://example.org/T"], "attrs": {}})"}) {
      out.push_back(boost::json::parse(text).as_object());
    }
    return out;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  fuzz::ExampleTerms terms;
  if (auto q = query::QueryFilter::parse(text, terms); q.ok()) {
    for (const auto& entity : entities()) (void)q->matches(entity);
    (void)q->required_attributes();
  } else if (q.error().detail.empty()) {
    fuzz::fail("q error without detail", text);
  }
  if (auto scope = query::ScopeFilter::parse(text); scope.ok()) {
    for (const auto& entity : entities()) (void)scope->matches(entity);
  }
  (void)query::ScopeFilter::is_valid_scope(text);
  if (auto pattern = query::IdPattern::compile(text); pattern.ok()) {
    for (const auto& entity : entities()) (void)pattern->matches(entity.at("id").as_string());
  }
  return 0;
}
