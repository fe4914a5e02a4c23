// The subscription index finds every subscription a change can fire (GS CIM 009 V1.8.1
// clause 5.2.12): candidates are checked against a brute-force match_change() over random
// subscriptions and random changes.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <regex>
#include <set>

#include <boost/json.hpp>

#include "citytwin/core/subscription_index.hpp"
#include "citytwin/core/subscription_match.hpp"
#include "subscription_test_support.hpp"

namespace citytwin::core {
namespace {
namespace json = boost::json;
using testing::Contexts;

const Instant kNow{1'800'000'000'000'000};
constexpr std::array<std::string_view, 3> kIds{"urn:a", "urn:b", "urn:c"};
constexpr std::array<std::string_view, 2> kTypes{"Streetlight", "Lamp"};
constexpr std::array<std::string_view, 3> kAttributes{"power", "level", "ref"};
constexpr std::array<std::string_view, 6> kTriggers{"entityCreated",    "entityUpdated",
                                                    "entityDeleted",    "attributeCreated",
                                                    "attributeUpdated", "attributeDeleted"};
// Entity selectors the generator picks from: ids, patterns, type expressions, mixtures.
constexpr std::array<std::string_view, 10> kSelectors{
    R"({"id": "urn:a", "type": "Streetlight"})",
    R"({"id": "urn:b", "type": "Lamp"})",
    R"({"idPattern": "urn:[ab]", "type": "Streetlight"})",
    R"({"type": "Streetlight"})",
    R"({"type": "Lamp"})",
    R"({"type": "Streetlight,Lamp"})",
    R"({"type": "Streetlight;Lamp"})",
    R"({"type": "(Streetlight;Lamp)|Lamp"})",
    R"({"idPattern": ".*", "type": "Lamp"})",
    R"({"id": "urn:c", "type": "Streetlight|Lamp"})",
};

class IndexFuzz : public ::testing::Test {
 protected:
  std::mt19937 random_{20261205};
  Contexts contexts_;

  bool coin() { return std::uniform_int_distribution<int>(0, 1)(random_) == 1; }
  template <class Array>
  std::string_view pick(const Array& items) {
    return items[std::uniform_int_distribution<std::size_t>(0, items.size() - 1)(random_)];
  }

  std::shared_ptr<const Subscription> subscription(int n) {
    json::object payload{{"type", "Subscription"}};
    json::array entities;
    if (coin()) {
      int count = std::uniform_int_distribution<int>(1, 2)(random_);
      for (int i = 0; i < count; ++i) entities.push_back(json::parse(pick(kSelectors)));
    }
    json::array watched;
    for (auto name : kAttributes)
      if (std::uniform_int_distribution<int>(0, 3)(random_) == 0) watched.emplace_back(name);
    // A subscription needs entities or watchedAttributes.
    if (entities.empty() && watched.empty()) watched.emplace_back(pick(kAttributes));
    if (!entities.empty()) payload["entities"] = std::move(entities);
    if (!watched.empty()) payload["watchedAttributes"] = std::move(watched);
    if (coin()) {
      json::array triggers;
      for (auto trigger : kTriggers)
        if (coin()) triggers.emplace_back(trigger);
      if (!triggers.empty()) payload["notificationTrigger"] = std::move(triggers);
    }
    if (std::uniform_int_distribution<int>(0, 4)(random_) == 0) payload["q"] = "level>5";
    payload["notification"] = json::parse(R"({"endpoint": {"uri": "http://127.0.0.1:9/notify"}})");
    auto compiled =
        compile_subscription("urn:ngsi-ld:Subscription:" + std::to_string(n), "", payload,
                             Contexts::example(), contexts_.resolve_fn(), kNow);
    EXPECT_TRUE(compiled.ok()) << compiled.error().detail << " " << json::serialize(payload);
    return std::make_shared<const Subscription>(std::move(*compiled));
  }

  // A stored-form entity with a random type set and random attributes.
  json::object entity(std::string_view id) {
    json::array types;
    for (auto type : kTypes)
      if (coin()) types.emplace_back("https://example.org/" + std::string(type));
    if (types.empty()) types.emplace_back("https://example.org/Other");
    json::object attrs;
    for (auto name : kAttributes) {
      if (!coin()) continue;
      json::object instance{{"type", "Property"},
                            {"value", std::uniform_int_distribution<int>(0, 9)(random_)}};
      attrs["https://example.org/" + std::string(name)] = json::array{std::move(instance)};
    }
    return json::object{{"id", id}, {"type", std::move(types)}, {"attrs", std::move(attrs)}};
  }

  EntityChange change() {
    std::string_view id = pick(kIds);
    switch (std::uniform_int_distribution<int>(0, 3)(random_)) {
      case 0:
        return {std::nullopt, entity(id)};
      case 1:
        return {entity(id), std::nullopt};
      default:
        return {entity(id), entity(id)};
    }
  }
};

TEST_F(IndexFuzz, CandidatesHoldEverySubscriptionThatFiresAndEachOnlyOnce) {
  SubscriptionIndex index;
  std::vector<std::shared_ptr<const Subscription>> all;
  for (int n = 0; n < 200; ++n) {
    all.push_back(subscription(n));
    index.put(all.back());
  }
  // Replacing and removing keep the index in step with `all`.
  for (int n = 0; n < 40; ++n) {
    auto replacement = subscription(n);
    all[n] = replacement;
    index.put(replacement);
  }
  for (int n = 40; n < 60; ++n) index.remove(all[n]->id);
  all.erase(all.begin() + 40, all.begin() + 60);

  std::size_t fired = 0;
  std::size_t offered = 0;
  for (int round = 0; round < 2000; ++round) {
    EntityChange c = change();
    std::vector<SubscriptionIndex::Entry> candidates;
    index.candidates(c, candidates);
    EXPECT_EQ(index.may_match(c), !candidates.empty());
    // In id order, whether they came from one list or from several.
    EXPECT_TRUE(std::is_sorted(candidates.begin(), candidates.end(),
                               [](const auto& a, const auto& b) { return a->id < b->id; }));
    std::set<std::string> candidate_ids;
    for (const auto& candidate : candidates) {
      EXPECT_TRUE(candidate_ids.insert(candidate->id).second) << "twice: " << candidate->id;
    }
    offered += candidates.size();
    for (const auto& s : all) {
      if (!match_change(*s, c)) continue;
      ++fired;
      EXPECT_TRUE(candidate_ids.contains(s->id))
          << s->id << " fires but is no candidate: " << json::serialize(s->payload);
    }
  }
  // The generator produces both outcomes, and the index does filter.
  EXPECT_GT(fired, 1000u);
  EXPECT_LT(offered, 2000u * all.size());
}

// The entity matcher reads an entity's types in place; the answer is the type expression's
// over the copied types (entity_types), for every type-only selector and random type sets.
TEST_F(IndexFuzz, TypeSelectorsMatchAsTheirExpressionOverTheEntityTypes) {
  for (std::string_view selector : kSelectors) {
    auto parsed = json::parse(selector).as_object();
    if (parsed.contains("id") || parsed.contains("idPattern")) continue;
    json::object payload{{"type", "Subscription"},
                         {"entities", json::array{parsed}},
                         {"notification", json::parse(R"({"endpoint": {"uri": "http://h/n"}})")}};
    auto compiled = compile_subscription("urn:s", "", payload, Contexts::example(),
                                         contexts_.resolve_fn(), kNow);
    ASSERT_TRUE(compiled.ok()) << selector;
    const auto& types = compiled->matcher->query().selectors.front().types;
    for (int round = 0; round < 50; ++round) {
      json::object e = entity(pick(kIds));
      EXPECT_EQ(compiled->matcher->matches(e), types.matches(entity_types(e)))
          << selector << " " << json::serialize(e);
    }
  }
}

// The entity matcher looks ids up instead of searching each selector; the answer is still
// "some selector matches": its ids (or, without ids, its idPattern) and its types.
TEST_F(IndexFuzz, SelectorsMatchAsAnyOneOfThem) {
  for (int round = 0; round < 200; ++round) {
    json::array entities;
    int count = std::uniform_int_distribution<int>(1, 4)(random_);
    for (int i = 0; i < count; ++i) entities.push_back(json::parse(pick(kSelectors)));
    // Half of them with more ids than the matcher searches in place (it files them by id).
    if (coin()) {
      for (int i = 0; i < 8; ++i) {
        entities.push_back(json::object{{"id", "urn:x" + std::to_string(i)}, {"type", "Lamp"}});
      }
    }
    json::object payload{{"type", "Subscription"},
                         {"entities", entities},
                         {"notification", json::parse(R"({"endpoint": {"uri": "http://h/n"}})")}};
    auto compiled = compile_subscription("urn:s", "", payload, Contexts::example(),
                                         contexts_.resolve_fn(), kNow);
    ASSERT_TRUE(compiled.ok()) << json::serialize(payload);
    const auto& selectors = compiled->matcher->query().selectors;
    for (int n = 0; n < 10; ++n) {
      json::object e = entity(pick(kIds));
      std::string id(e.at("id").as_string());
      bool expected = std::any_of(selectors.begin(), selectors.end(), [&](const auto& selector) {
        bool id_ok =
            !selector.ids.empty()
                ? std::find(selector.ids.begin(), selector.ids.end(), id) != selector.ids.end()
                : !selector.id_pattern || std::regex_search(id, std::regex(*selector.id_pattern));
        return id_ok && selector.types.matches(entity_types(e));
      });
      EXPECT_EQ(compiled->matcher->matches(e), expected)
          << json::serialize(payload) << " " << json::serialize(e);
    }
  }
}

TEST_F(IndexFuzz, RemovedSubscriptionsAreNoCandidates) {
  SubscriptionIndex index;
  auto s = subscription(1);
  index.put(s);
  index.remove(s->id);
  EXPECT_TRUE(index.empty());
  for (int round = 0; round < 50; ++round) {
    std::vector<SubscriptionIndex::Entry> candidates;
    EntityChange c = change();
    index.candidates(c, candidates);
    EXPECT_TRUE(candidates.empty());
    EXPECT_FALSE(index.may_match(c));
  }
}

}  // namespace
}  // namespace citytwin::core
