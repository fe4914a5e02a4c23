#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/core/read_restriction.hpp"
#include "citytwin/model/geo/geo_query.hpp"
#include "citytwin/model/query/query_filter.hpp"
#include "citytwin/model/query/scope_filter.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::core {

// An entity type selection (GS CIM 009 clause 4.17 type expressions) in disjunctive normal
// form: the entity matches when, for some alternative, it has every type in that alternative.
// Types are expanded IRIs.
struct TypeSelection {
  std::vector<std::vector<std::string>> alternatives;
  bool empty() const { return alternatives.empty(); }
  bool matches(const std::vector<std::string>& entity_types) const;
};

// Parses "A,B" (or), "A|B" (or), "A;B" (and) and parentheses; names expanded with `terms`.
Result<TypeSelection> parse_type_expression(std::string_view text, const jsonld::TermMapper& terms);

// One entity selector (clause 5.2.33 EntitySelector): every member given must match.
struct EntitySelector {
  std::vector<std::string> ids;           // exact ids (any of)
  std::optional<std::string> id_pattern;  // ECMAScript regular expression searched in the id
  TypeSelection types;
};

// Everything that selects entities in GET /entities and POST /entityOperations/query
// (clause 5.7.2). Attribute names are expanded IRIs.
struct EntityQuery {
  std::vector<EntitySelector> selectors;    // id/idPattern/type: an entity matches any one
  std::vector<std::string> attrs;           // `attrs`: entities with at least one of these
  std::optional<query::QueryFilter> q;      // `q`
  std::optional<query::ScopeFilter> scope;  // `scopeQ`
  std::optional<geo::GeoQuery> geo;         // georel/geometry/coordinates
  std::string geoproperty_iri;              // expanded geoproperty (default location)
  std::size_t limit = 20;
  std::size_t offset = 0;
  bool count = false;  // compute the total number of matches
  // Anonymous open-data reads (docs/security.md): only entities it admits match, and its
  // hidden attributes are removed before q, attrs and scope look at the entity (so a filter
  // cannot probe a personal value) and from the answer. Null: no restriction.
  std::shared_ptr<const ReadRestriction> restriction;
};

struct QueryResult {
  std::vector<boost::json::object> entities;
  std::optional<std::uint64_t> total;  // when count was asked
  bool more = false;  // another match follows this page (offset + limit), for pagination links
};

}  // namespace citytwin::core
