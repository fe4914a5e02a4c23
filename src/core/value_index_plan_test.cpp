#include "citytwin/core/value_index_plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <random>
#include <set>

#include "citytwin/core/entity_record.hpp"
#include "citytwin/core/value_key.hpp"
#include "citytwin/model/term_mapper.hpp"
#include "citytwin/store/memory_store.hpp"

namespace citytwin::core {
namespace {

namespace json = boost::json;
using store::ValueRange;
using ::testing::ElementsAre;

constexpr std::string_view kVocab = "https://example.org/";

// "x" expands to https://example.org/x; names holding ':' are kept.
class ExampleTerms final : public jsonld::TermMapper {
 public:
  std::string expand(std::string_view term) const override {
    if (term.find(':') != std::string_view::npos) return std::string(term);
    return std::string(kVocab).append(term);
  }
  std::string compact(std::string_view iri) const override {
    if (iri.starts_with(kVocab)) iri.remove_prefix(kVocab.size());
    return std::string(iri);
  }
};

std::string iri(std::string_view name) {
  return std::string(kVocab).append(name);
}

query::QueryFilter parse(std::string_view q) {
  ExampleTerms terms;
  auto filter = query::QueryFilter::parse(q, terms);
  EXPECT_TRUE(filter.ok()) << q << ": " << (filter.ok() ? "" : filter.error().detail);
  return std::move(filter).value();
}

std::optional<ValuePlan> plan(std::string_view q) {
  return plan_value_index(parse(q));
}

ValueRange range(std::string lower, bool lower_inclusive, std::string upper, bool upper_inclusive) {
  return ValueRange{std::move(lower), lower_inclusive, std::move(upper), upper_inclusive};
}

const std::string kNumbersEnd = past_keys_of(kNumberKeyTag);
const std::string kNumbersBegin = first_key_of(kNumberKeyTag);

TEST(ValueIndexPlan, OrderingOperatorsOnNumbers) {
  auto greater = plan("temperature>39.99");
  ASSERT_TRUE(greater);
  EXPECT_EQ(greater->attribute, iri("temperature"));
  EXPECT_THAT(greater->ranges, ElementsAre(range(number_key(39.99), false, kNumbersEnd, false)));
  EXPECT_THAT(plan("temperature>=40")->ranges,
              ElementsAre(range(number_key(40), true, kNumbersEnd, false)));
  EXPECT_THAT(plan("temperature<-3")->ranges,
              ElementsAre(range(kNumbersBegin, true, number_key(-3), false)));
  EXPECT_THAT(plan("temperature<=0")->ranges,
              ElementsAre(range(kNumbersBegin, true, number_key(0), true)));
}

TEST(ValueIndexPlan, EqualityListsAndRanges) {
  EXPECT_THAT(plan("a==1")->ranges, ElementsAre(ValueRange::exactly(number_key(1))));
  EXPECT_THAT(plan("a==true")->ranges, ElementsAre(ValueRange::exactly(boolean_key(true))));
  EXPECT_THAT(plan("a==1,2")->ranges,
              ElementsAre(ValueRange::exactly(number_key(1)), ValueRange::exactly(number_key(2))));
  EXPECT_THAT(plan("a==1..5")->ranges,
              ElementsAre(range(number_key(1), true, number_key(5), true)));
  // Strings are also looked up in expanded form, for VocabProperty values.
  EXPECT_THAT(plan(R"(a=="hot")")->ranges,
              ElementsAre(ValueRange::exactly(string_key("hot")),
                          ValueRange::exactly(string_key(iri("hot")))));
  EXPECT_THAT(plan("a==urn:ngsi-ld:B:1")->ranges,
              ElementsAre(ValueRange::exactly(string_key("urn:ngsi-ld:B:1"))));
  EXPECT_TRUE(plan("a==1,2,3,4,5,6,7,8"));
  EXPECT_FALSE(plan("a==1,2,3,4,5,6,7,8,9"));
}

TEST(ValueIndexPlan, StringBoundsOfLongLiteralsBecomeInclusive) {
  std::string shorter(10, 'x');
  EXPECT_THAT(plan(R"(a>")" + shorter + R"(")")->ranges,
              ElementsAre(range(string_key(shorter), false, past_keys_of(kStringKeyTag), false)));
  std::string longer(kMaxIndexedStringBytes + 5, 'x');
  EXPECT_THAT(plan(R"(a>")" + longer + R"(")")->ranges,
              ElementsAre(range(string_key(longer), true, past_keys_of(kStringKeyTag), false)));
  EXPECT_THAT(plan(R"(a<")" + longer + R"(")")->ranges,
              ElementsAre(range(first_key_of(kStringKeyTag), true, string_key(longer), true)));
}

TEST(ValueIndexPlan, PrefersEqualityThenTwoSidedRanges) {
  EXPECT_EQ(plan("a>1;b==2")->attribute, iri("b"));
  EXPECT_EQ(plan("a>1;b==2..3;c==4")->attribute, iri("c"));
  EXPECT_EQ(plan("a>1;b==2..3")->attribute, iri("b"));
  EXPECT_EQ(plan("a!=1;b>2")->attribute, iri("b"));
  EXPECT_EQ(plan("(a==1|a==2);b<3")->attribute, iri("b"));
  EXPECT_EQ(plan("x;(a>1;b==2)")->attribute, iri("b"));
}

TEST(ValueIndexPlan, RefusesTermsTheIndexCannotAnswer) {
  for (const char* q :
       {"a!=1", R"(a~="h.*")", R"(a!~="h.*")", "a", "!a", "a>2020-01-01T00:00:00Z", "a==2020-01-01",
        "a<12:00:00Z", R"(a>"2020-01-01T00:00:00Z")", R"(a=="2020-01-01")", "a==1|b==2", "a.s==1",
        "a.observedAt>1", "a[k]==1", "a[k.j]>1"}) {
    EXPECT_FALSE(plan(q)) << q;
  }
}

// ---- Property: the index never loses a match --------------------------------------------

// Random attribute instances of every kind, with values chosen to collide with the literals
// below: equal and neighbouring numbers, shared prefixes longer than the key limit, dates.
class Generator {
 public:
  explicit Generator(unsigned seed) : random_(seed) {}

  json::object entity(int n) {
    json::object attrs;
    for (const char* name : {"a", "b"}) {
      if (pick(4) == 0) continue;
      json::array instances;
      int count = 1 + pick(2);
      for (int i = 0; i < count; ++i) {
        json::object instance = this->instance();
        if (i > 0) instance["datasetId"] = "urn:d" + std::to_string(i);
        instances.push_back(std::move(instance));
      }
      attrs[iri(name)] = std::move(instances);
    }
    return json::object{{"id", "urn:e" + std::to_string(n)},
                        {"type", json::array{iri("T")}},
                        {"attrs", std::move(attrs)}};
  }

  std::string term() {
    static const char* kOps[] = {"==", "!=", ">", ">=", "<", "<="};
    std::string attribute = pick(2) == 0 ? "a" : "b";
    std::string op = kOps[pick(6)];
    std::string literal = this->literal(op == "==" || op == "!=");
    if ((op == "==" || op == "!=") && pick(4) == 0) {
      literal += pick(2) == 0 ? "," + this->literal(true) : ".." + this->literal(false);
    }
    return attribute + op + literal;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  std::string long_text() {
    std::string text(kMaxIndexedStringBytes - 1 + pick(3), 'm');
    text.push_back("amz"[pick(3)]);
    return text;
  }

  json::value number() {
    static const double kNumbers[] = {-40, -0.0, 0, 1, 39.99, 40, 40.5, 1e300};
    if (pick(3) == 0) return json::value(std::int64_t{pick(5) * 10 - 20});
    return json::value(kNumbers[pick(8)]);
  }

  json::value text() {
    static const char* kTexts[] = {
        "hot", "hotter", "cold", "", "2020-01-01T00:00:00Z", "https://example.org/hot", "urn:x"};
    if (pick(4) == 0) return json::value(long_text());
    return json::value(kTexts[pick(7)]);
  }

  json::value scalar() {
    switch (pick(3)) {
      case 0:
        return number();
      case 1:
        return text();
      default:
        return json::value(pick(2) == 0);
    }
  }

  json::value value() {
    switch (pick(5)) {
      case 0:
        return json::array{scalar(), scalar()};
      case 1:
        return json::object{{"@value", scalar()}};
      default:
        return scalar();
    }
  }

  json::object instance() {
    switch (pick(8)) {
      case 0:
        return {{"type", "Relationship"}, {"object", pick(2) ? json::value("urn:x") : text()}};
      case 1:
        return {{"type", "VocabProperty"}, {"vocab", text()}};
      case 2:
        return {{"type", "ListProperty"}, {"valueList", json::array{scalar(), scalar()}}};
      case 3:
        return {{"type", "LanguageProperty"}, {"languageMap", {{"en", text()}, {"fr", text()}}}};
      case 4:
        return {{"type", "JsonProperty"}, {"json", value()}};
      case 5:
        return {{"type", "ListRelationship"}, {"objectList", json::array{text()}}};
      default:
        return {{"type", "Property"}, {"value", value()}};
    }
  }

  std::string literal(bool equality) {
    static const char* kNumbers[] = {"-40", "0", "-0", "1", "39.99", "40", "40.0", "1e300", "-1"};
    static const char* kStrings[] = {R"("hot")",
                                     R"("hotter")",
                                     R"("ho")",
                                     R"("")",
                                     R"("cold")",
                                     R"("urn:x")",
                                     R"("2020-01-01T00:00:00.000Z")"};
    switch (pick(equality ? 5 : 3)) {
      case 0:
        return kNumbers[pick(9)];
      case 1:
        return kStrings[pick(7)];
      case 2:
        return "\"" + long_text() + "\"";
      case 3:
        return pick(2) == 0 ? "true" : "false";
      default:
        return pick(2) == 0 ? "hot" : "urn:x";  // bare words: URIs, vocab terms
    }
  }

  std::mt19937 random_;
};

TEST(ValueIndexPlan, IndexCandidatesIncludeEveryMatch) {
  ExampleTerms terms;
  int planned = 0;
  for (unsigned seed = 0; seed < 60; ++seed) {
    Generator generate(seed);
    auto store = store::make_memory_store();
    std::vector<json::object> entities;
    std::vector<store::Change> changes;
    for (int n = 0; n < 25; ++n) {
      entities.push_back(generate.entity(n));
      changes.push_back(store::Change::put(make_record(entities.back())));
    }
    ASSERT_TRUE(store->apply("", changes).ok());
    for (int t = 0; t < 40; ++t) {
      std::string q = generate.term();
      if (t % 3 == 0) q += ";" + generate.term();
      auto filter = query::QueryFilter::parse(q, terms);
      if (!filter.ok()) continue;  // e.g. an ordering operator on a URI
      auto value_plan = plan_value_index(*filter);
      if (!value_plan) continue;
      ++planned;
      auto scan = scan_value_plan(*store, "", *value_plan, 1000);
      ASSERT_TRUE(scan.ok());
      ASSERT_FALSE(scan->truncated);
      std::set<std::string> candidates(scan->ids.begin(), scan->ids.end());
      for (const json::object& entity : entities) {
        if (!filter->matches(entity)) continue;
        std::string id(entity.at("id").as_string());
        EXPECT_TRUE(candidates.contains(id))
            << "q " << q << " matches " << json::serialize(entity) << " but the index missed it";
      }
    }
  }
  EXPECT_GT(planned, 1000);
}

TEST(ValueIndexPlan, ScanOfAPlanUnionsRangesAndReportsTruncation) {
  auto store = store::make_memory_store();
  std::vector<store::Change> changes;
  for (int n = 0; n < 5; ++n) {
    json::object entity{{"id", "urn:" + std::to_string(n)},
                        {"type", json::array{iri("T")}},
                        {"attrs", {{iri("a"), json::array{{{"type", "Property"}, {"value", n}}}}}}};
    changes.push_back(store::Change::put(make_record(entity)));
  }
  ASSERT_TRUE(store->apply("", changes).ok());
  auto value_plan = plan("a==3,1,4");
  ASSERT_TRUE(value_plan);
  auto scan = scan_value_plan(*store, "", *value_plan, 3);
  ASSERT_TRUE(scan.ok());
  EXPECT_FALSE(scan->truncated);
  EXPECT_THAT(scan->ids, ElementsAre("urn:1", "urn:3", "urn:4"));
  EXPECT_TRUE(scan_value_plan(*store, "", *value_plan, 2)->truncated);
  EXPECT_THAT(scan_value_plan(*store, "", *plan("a>=3"), 5)->ids, ElementsAre("urn:3", "urn:4"));
}

}  // namespace
}  // namespace citytwin::core
