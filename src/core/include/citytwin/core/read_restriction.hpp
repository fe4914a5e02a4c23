#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace citytwin::core {

using NameSet = std::set<std::string, std::less<>>;

// What a restricted reader may see of a tenant's entities (docs/security.md, "Open data" and
// "Personal data"): anonymous open-data reads see only the entity types the tenant opened and
// none of their personal attributes; exports see every type but no personal attribute. Every
// read path of core (EntityService::get and query, EntityMatcher, TemporalService,
// Discovery) applies it, so no query shape (without type, by idPattern, in a batch query)
// can widen it. Names are expanded IRIs.
struct ReadRestriction {
  // The visible types: an entity is visible when it has at least one of them.
  // nullopt: every type is (exports).
  std::optional<NameSet> types;
  // Type -> attributes removed from every entity having that type (personal data).
  std::map<std::string, NameSet, std::less<>> hidden;

  // `entity_types` is the stored form's "type" member (an array of IRIs).
  bool admits_types(const boost::json::value& entity_types) const;
  bool admits_type(std::string_view type) const;
  bool admits(const boost::json::object& entity) const;
  // The attributes hidden from an entity with these types.
  NameSet hidden_for(const boost::json::value& entity_types) const;
  // Removes the hidden attributes of the entity's types from a stored-form attrs object.
  void redact_attrs(const boost::json::value& entity_types, boost::json::object& attrs) const;
  // Same on a whole stored-form entity.
  void redact(boost::json::object& entity) const;
};

}  // namespace citytwin::core
