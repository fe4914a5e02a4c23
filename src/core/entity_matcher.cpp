#include "citytwin/core/entity_matcher.hpp"

#include <algorithm>
#include <optional>

#include "citytwin/model/entity_form.hpp"

namespace citytwin::core {
namespace form = model::form;
namespace {

const boost::json::object* attrs_of(const boost::json::object& entity) {
  const auto* attrs = entity.if_contains(form::kAttrs);
  return attrs != nullptr && attrs->is_object() ? &attrs->as_object() : nullptr;
}

bool has_any_attribute(const boost::json::object& entity, const std::vector<std::string>& names) {
  const auto* attrs = attrs_of(entity);
  if (attrs == nullptr) return false;
  return std::any_of(names.begin(), names.end(),
                     [attrs](const std::string& name) { return attrs->contains(name); });
}

bool matches_geo(const boost::json::object& entity, const EntityQuery& query) {
  const auto* attrs = attrs_of(entity);
  if (attrs == nullptr) return false;
  const auto* instances = attrs->if_contains(query.geoproperty_iri);
  if (instances == nullptr || !instances->is_array()) return false;
  for (const auto& instance : instances->as_array()) {
    const auto* object = instance.if_object();
    if (object == nullptr) continue;
    const auto* value = object->if_contains(form::kValue);
    if (value != nullptr && query.geo->matches(*value)) return true;
  }
  return false;
}

// Entity ids of one kind have one length and differ at their end ("...:Sensor:0417"): the last
// byte first rejects nearly every other id without a call to memcmp (bench/write_notify_bench:
// comparing the id with each selector of each subscription the index found was a seventh of
// the dispatcher's CPU).
bool same_id(std::string_view a, std::string_view b) {
  return a.size() == b.size() && (a.empty() || a.back() == b.back()) && a == b;
}

// TypeSelection::matches over the entity's own type array, read in place: copying the types
// out for each subscription that names the entity was an allocation per (change,
// subscription) pair in bench/subscriptions. The same answer as matches(entity_types(entity)).
bool types_match(const TypeSelection& selection, const boost::json::array* types) {
  if (selection.alternatives.empty()) return true;
  auto has = [types](const std::string& type) {
    if (types == nullptr) return false;
    return std::any_of(types->begin(), types->end(), [&type](const boost::json::value& item) {
      return item.is_string() && item.get_string() == type;
    });
  };
  return std::any_of(
      selection.alternatives.begin(), selection.alternatives.end(),
      [&has](const auto& all_of) { return std::all_of(all_of.begin(), all_of.end(), has); });
}

}  // namespace

std::vector<std::string> entity_types(const boost::json::object& entity) {
  std::vector<std::string> types;
  if (const auto* value = entity.if_contains(form::kType); value && value->is_array()) {
    for (const auto& type : value->as_array()) {
      if (type.is_string()) types.emplace_back(type.as_string());
    }
  }
  return types;
}

Result<EntityMatcher> EntityMatcher::create(EntityQuery query) {
  EntityMatcher matcher(std::move(query));
  for (const auto& selector : matcher.query_.selectors) {
    std::optional<query::IdPattern> pattern;
    if (selector.id_pattern) {
      auto compiled = query::IdPattern::compile(*selector.id_pattern);
      if (!compiled) return std::move(compiled).error();
      pattern = std::move(*compiled);
    }
    matcher.patterns_.push_back(std::move(pattern));
  }
  const auto& selectors = matcher.query_.selectors;
  std::size_t ids = 0;
  for (const auto& selector : selectors) ids += selector.ids.size();
  if (ids <= kIndexedIds) return matcher;
  for (std::size_t i = 0; i < selectors.size(); ++i) {
    if (selectors[i].ids.empty()) {
      matcher.without_ids_.push_back(i);
      continue;
    }
    for (const auto& id : selectors[i].ids) {
      auto& indexes = matcher.by_id_[id];
      if (indexes.empty() || indexes.back() != i) indexes.push_back(i);
    }
  }
  return matcher;
}

EntityMatcher::Entity::Entity(const boost::json::object& object)
    : object(object), id(nullptr), types(nullptr) {
  if (const auto* value = object.if_contains(form::kId)) id = value->if_string();
  if (const auto* value = object.if_contains(form::kType)) types = value->if_array();
}

bool EntityMatcher::matches(const Entity& entity) const {
  if (entity.id == nullptr) return false;
  if (query_.restriction && !query_.restriction->admits(entity.object)) return false;
  if (!matches_selectors(entity)) return false;
  if (!query_.attrs.empty() && !has_any_attribute(entity.object, query_.attrs)) return false;
  if (query_.q && !query_.q->matches(entity.object)) return false;
  if (query_.scope && !query_.scope->matches(entity.object)) return false;
  if (query_.geo && !matches_geo(entity.object, query_)) return false;
  return true;
}

bool EntityMatcher::matches_selectors(const Entity& entity) const {
  if (query_.selectors.empty()) return true;
  if (by_id_.empty()) return matches_selectors_in_order(entity);
  const std::string_view id = *entity.id;
  // An entity matches any one selector, so the order they are tried in does not matter.
  if (auto named = by_id_.find(id); named != by_id_.end()) {
    for (std::size_t i : named->second) {
      if (types_match(query_.selectors[i].types, entity.types)) return true;
    }
  }
  // Clause 5.2.33 EntitySelector: "id takes precedence over idPattern", so a pattern counts
  // only in a selector without ids.
  for (std::size_t i : without_ids_) {
    if (patterns_[i] && !patterns_[i]->matches(id)) continue;
    if (types_match(query_.selectors[i].types, entity.types)) return true;
  }
  return false;
}

bool EntityMatcher::matches_selectors_in_order(const Entity& entity) const {
  const std::string_view id = *entity.id;
  for (std::size_t i = 0; i < query_.selectors.size(); ++i) {
    const auto& selector = query_.selectors[i];
    if (!selector.ids.empty() &&
        std::none_of(selector.ids.begin(), selector.ids.end(),
                     [id](const std::string& named) { return same_id(named, id); })) {
      continue;
    }
    // Clause 5.2.33 EntitySelector: "id takes precedence over idPattern".
    if (selector.ids.empty() && patterns_[i] && !patterns_[i]->matches(id)) continue;
    if (types_match(selector.types, entity.types)) return true;
  }
  return false;
}

}  // namespace citytwin::core
