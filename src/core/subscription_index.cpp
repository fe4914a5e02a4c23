#include "citytwin/core/subscription_index.hpp"

#include <algorithm>

#include "citytwin/model/entity_form.hpp"

namespace citytwin::core {
namespace json = boost::json;
namespace form = model::form;
namespace {

// Triggers that fire only when an attribute of interest is created, updated or deleted
// (clause 5.2.12): a subscription with no others can be found by its watched attributes.
constexpr unsigned kAttributeTriggers = static_cast<unsigned>(Trigger::kAttributeCreated) |
                                        static_cast<unsigned>(Trigger::kAttributeUpdated) |
                                        static_cast<unsigned>(Trigger::kAttributeDeleted) |
                                        static_cast<unsigned>(Trigger::kEntityUpdated);

void add_attribute_names(const std::optional<json::object>& entity,
                         std::vector<std::string_view>& names) {
  if (!entity) return;
  const auto* attrs = entity->if_contains(form::kAttrs);
  if (attrs == nullptr || !attrs->is_object()) return;
  for (const auto& [name, instances] : attrs->as_object()) names.push_back(name);
}

}  // namespace

std::vector<SubscriptionIndex::Filing> SubscriptionIndex::filings_of(
    const Subscription& subscription) {
  std::vector<Filing> filings;
  const auto* selectors = subscription.matcher ? &subscription.matcher->query().selectors : nullptr;
  if (selectors == nullptr || selectors->empty()) {
    bool attribute_only = (subscription.triggers & ~kAttributeTriggers) == 0;
    if (!attribute_only || subscription.watched.empty()) return {{Family::kEvery, {}}};
    for (const auto& name : subscription.watched) filings.push_back({Family::kAttribute, name});
    return filings;
  }
  for (const auto& selector : *selectors) {
    if (!selector.ids.empty()) {
      for (const auto& id : selector.ids) filings.push_back({Family::kId, id});
      continue;
    }
    const auto& alternatives = selector.types.alternatives;
    bool every_alternative_named =
        !alternatives.empty() && std::none_of(alternatives.begin(), alternatives.end(),
                                              [](const auto& all_of) { return all_of.empty(); });
    if (!every_alternative_named) return {{Family::kEvery, {}}};
    for (const auto& all_of : alternatives) filings.push_back({Family::kType, all_of.front()});
  }
  return filings;
}

std::vector<SubscriptionIndex::Entry>& SubscriptionIndex::list_for(const Filing& filing) {
  switch (filing.family) {
    case Family::kId:
      return by_entity_id_[filing.key];
    case Family::kType:
      return by_type_[filing.key];
    case Family::kAttribute:
      return by_attribute_[filing.key];
    case Family::kEvery:
      break;
  }
  return every_change_;
}

void SubscriptionIndex::put(Entry subscription) {
  remove(subscription->id);
  if (subscription->periodic()) return;
  for (const auto& filing : filings_of(*subscription)) {
    auto& list = list_for(filing);
    // Each list in id order, so that a change met by one list needs no sorting; a
    // subscription naming the same key twice (two selectors of one type) is filed once.
    auto at =
        std::lower_bound(list.begin(), list.end(), subscription->id,
                         [](const Entry& entry, const std::string& id) { return entry->id < id; });
    if (at == list.end() || *at != subscription) list.insert(at, subscription);
  }
  by_subscription_.emplace(subscription->id, std::move(subscription));
}

void SubscriptionIndex::remove(const std::string& id) {
  auto found = by_subscription_.find(id);
  if (found == by_subscription_.end()) return;
  Entry subscription = found->second;
  by_subscription_.erase(found);
  auto erase_from = [&](auto& map, const std::string& key) {
    auto list = map.find(key);
    if (list == map.end()) return;
    std::erase(list->second, subscription);
    if (list->second.empty()) map.erase(list);
  };
  for (const auto& filing : filings_of(*subscription)) {
    switch (filing.family) {
      case Family::kId:
        erase_from(by_entity_id_, filing.key);
        break;
      case Family::kType:
        erase_from(by_type_, filing.key);
        break;
      case Family::kAttribute:
        erase_from(by_attribute_, filing.key);
        break;
      case Family::kEvery:
        std::erase(every_change_, subscription);
        break;
    }
  }
}

template <class Visit>
bool SubscriptionIndex::visit_lists(const EntityChange& change, Visit visit) const {
  // The entity match_change() tests: after the change, or before it for a deletion.
  const auto& entity = change.after ? change.after : change.before;
  if (!entity) return false;
  auto in = [&](const Lists& lists, std::string_view key) {
    auto list = lists.find(key);
    return list != lists.end() && visit(list->second);
  };
  if (!every_change_.empty() && visit(every_change_)) return true;
  if (const auto* id = entity->if_contains(form::kId); id && id->is_string()) {
    if (in(by_entity_id_, id->as_string())) return true;
  }
  if (!by_type_.empty()) {
    for (const auto& type : entity_types(*entity)) {
      if (in(by_type_, type)) return true;
    }
  }
  if (!by_attribute_.empty()) {
    std::vector<std::string_view> names;
    add_attribute_names(change.before, names);
    add_attribute_names(change.after, names);
    for (auto name : names) {
      if (in(by_attribute_, name)) return true;
    }
  }
  return false;
}

void SubscriptionIndex::candidates(const EntityChange& change, std::vector<Entry>& out) const {
  std::size_t first = out.size();
  unsigned lists = 0;
  visit_lists(change, [&](const std::vector<Entry>& list) {
    out.insert(out.end(), list.begin(), list.end());
    ++lists;
    return false;  // every list
  });
  // One list is in id order already and holds each subscription once (the common case: a
  // change met only under its entity id); sorting the long ids was visible in the
  // dispatcher's profile.
  if (lists < 2) return;
  // Filed under several keys (an id and a type, two attributes), a subscription is a
  // candidate once; id order keeps the dispatch deterministic.
  auto by_id = [](const Entry& a, const Entry& b) { return a->id < b->id; };
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), by_id);
  out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(first), out.end()), out.end());
}

bool SubscriptionIndex::may_match(const EntityChange& change) const {
  // A filed list is never empty (remove() drops emptied ones).
  return visit_lists(change, [](const std::vector<Entry>& list) { return !list.empty(); });
}

}  // namespace citytwin::core
