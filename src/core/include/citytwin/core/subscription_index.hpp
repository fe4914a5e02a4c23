#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "citytwin/common/string_hash.hpp"
#include "citytwin/core/change_listener.hpp"
#include "citytwin/core/subscription.hpp"

namespace citytwin::core {

// The change subscriptions of one tenant, indexed so that a change meets only the
// subscriptions that can match it instead of all of them (bench/subscriptions: with 1,000
// subscriptions, comparing every change with every subscription was the largest matching
// cost). Keys, from the entity selectors (GS CIM 009 V1.8.1 clause 5.2.33):
// - a selector with `id` is filed under each of its ids (id takes precedence over idPattern);
// - otherwise a selector with `type` is filed under the first type of each alternative of
//   its type expression (an entity matching the alternative has that type);
// - a subscription without entity selectors, whose triggers all need a change of a watched
//   attribute (no entityCreated/entityDeleted), is filed under its watchedAttributes;
// - anything else (an idPattern without type, no selector and no watchedAttributes, ...) is
//   in a list every change meets.
// candidates() is a superset of the subscriptions for which match_change() fires: q, geoQ,
// scopeQ, the full type expression and the triggers are still checked by match_change().
// Periodic subscriptions are not notified on changes and are not filed. Not thread-safe.
class SubscriptionIndex {
 public:
  using Entry = std::shared_ptr<const Subscription>;

  // Adds or replaces (same id) a subscription.
  void put(Entry subscription);
  void remove(const std::string& id);
  bool empty() const { return by_subscription_.empty(); }

  // Appends the subscriptions that may match `change` to `out`, each once, in id order.
  void candidates(const EntityChange& change, std::vector<Entry>& out) const;
  // Whether candidates() would find any subscription for `change`, without collecting them
  // (the write path asks it to decide whether a change needs a change record).
  bool may_match(const EntityChange& change) const;

 private:
  // Looked up by std::string_view straight from the entity, without a std::string copy.
  using Lists = StringMap<std::vector<Entry>>;
  // Calls `visit` with each list of subscriptions filed under a key of `change`'s entity (its
  // id, types, attribute names before and after) until it returns true; true when one did.
  template <class Visit>
  bool visit_lists(const EntityChange& change, Visit visit) const;

  enum class Family { kId, kType, kAttribute, kEvery };
  struct Filing {
    Family family;
    std::string key;  // unused for kEvery
  };
  static std::vector<Filing> filings_of(const Subscription& subscription);
  std::vector<Entry>& list_for(const Filing& filing);

  std::map<std::string, Entry> by_subscription_;  // by subscription id
  Lists by_entity_id_;
  Lists by_type_;
  Lists by_attribute_;
  std::vector<Entry> every_change_;
};

}  // namespace citytwin::core
