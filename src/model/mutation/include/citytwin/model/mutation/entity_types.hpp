#pragma once

// The entity's "type" member in the stored form: expanded IRIs, sorted, unique.

#include <boost/json.hpp>

#include "citytwin/common/result.hpp"

namespace citytwin::mutation {

// Adds the types in `types` (a string or an array of strings) to the entity's types, keeping
// them sorted and unique, as Update/Append/Merge do when a fragment carries "type" (clauses
// 5.6.2.4, 5.6.3.4, 5.6.17.4: included Entity Types "are added, if they are not already
// contained"). Returns whether anything was added; BadRequestData for a non-string type.
Result<bool> add_entity_types(boost::json::object& entity, const boost::json::value& types);

}  // namespace citytwin::mutation
