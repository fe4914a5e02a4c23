#pragma once

// Resolution of a q attribute path against an entity in the stored form
// (citytwin/model/entity_form.hpp), following ETSI GS CIM 009 V1.8.1 clause 4.9.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <vector>

#include "citytwin/model/query/q_ast.hpp"

namespace citytwin::query {

// A value a query term tests. `vocab` marks VocabProperty values, which a literal matches
// either as written or expanded.
struct Target {
  const boost::json::value* value = nullptr;
  bool vocab = false;
};

// The values `path` designates in `entity`, one or more per matching attribute instance
// (clause 4.9: a term matches when any instance matches). Per instance type: Property and
// GeoProperty "value", Relationship "object", ListRelationship "objectList",
// LanguageProperty every string of "languageMap" (or the one named by "[lang]"),
// VocabProperty "vocab", ListProperty "valueList", JsonProperty "json". Empty when the
// attribute, sub-attribute, member or compound key does not exist.
std::vector<Target> resolve_targets(const boost::json::object& entity, const AttrPath& path);

// The scalar values a target is compared as: an array contributes each element (clause 4.9:
// a term on an array matches if any element matches) and a JSON-LD value object
// {"@value": x} contributes x.
void append_leaves(const Target& target, std::vector<Target>& leaves);

}  // namespace citytwin::query
