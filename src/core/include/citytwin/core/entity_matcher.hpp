#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/common/string_hash.hpp"
#include "citytwin/core/entity_query.hpp"
#include "citytwin/model/query/id_pattern.hpp"

namespace citytwin::core {

// Decides whether one entity (stored form) satisfies every filter of an EntityQuery: the
// entity selectors (id, idPattern, type expression; clause 5.2.33), attrs, q (clause 4.9),
// scopeQ (clause 4.19) and the geo-query (clause 4.10). Shared by Query Entities (which feeds
// it index candidates) and subscriptions (which feed it each changed entity). Owns a copy of
// the query, so it may outlive the one it was made from. Thread-safe for concurrent matches().
class EntityMatcher {
 public:
  // Errors: those of IdPattern::compile (an invalid or too complex idPattern).
  static Result<EntityMatcher> create(EntityQuery query);

  // What matches() looks up in an entity before its attributes: its id and its type array.
  // Read once by a caller that tries one entity against many matchers (the dispatcher tries a
  // changed entity against each subscription the index finds: the two lookups were a third of
  // the matching).
  struct Entity {
    explicit Entity(const boost::json::object& object);
    const boost::json::object& object;
    const boost::json::string* id;    // null: no string id
    const boost::json::array* types;  // null: no type array
  };

  bool matches(const boost::json::object& entity) const { return matches(Entity(entity)); }
  bool matches(const Entity& entity) const;

  const EntityQuery& query() const { return query_; }

 private:
  explicit EntityMatcher(EntityQuery query) : query_(std::move(query)) {}
  bool matches_selectors(const Entity& entity) const;
  // Without the index: each selector in turn.
  bool matches_selectors_in_order(const Entity& entity) const;

  EntityQuery query_;
  std::vector<std::optional<query::IdPattern>> patterns_;  // one per selector
  // With many ids (more than kIndexedIds over all selectors), the selectors naming ids, by id,
  // and those naming none: an entity's id is looked up once instead of compared with every id
  // of every selector. With few, the ids are searched in place, which is cheaper than hashing
  // (bench/subscriptions, five selectors of one id each: the lookup's cache misses and
  // divisions cost more than the five comparisons). Empty: not indexed.
  static constexpr std::size_t kIndexedIds = 8;
  StringMap<std::vector<std::size_t>> by_id_;
  std::vector<std::size_t> without_ids_;
};

// The expanded type IRIs of a stored entity.
std::vector<std::string> entity_types(const boost::json::object& entity);

}  // namespace citytwin::core
