#pragma once

// Merge Entity, PATCH /entities/{entityId} (ETSI GS CIM 009 V1.8.1, clause 5.6.17, with the
// merge patch behaviour of clause 5.5.12, adapted from IETF RFC 7396). Batch Entity Merge
// (clause 5.6.20) applies this to each entity in turn.

#include <string>
#include <vector>

#include <boost/json.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/result.hpp"

namespace citytwin::mutation {

struct MergeOutcome {
  // Expanded names of attributes that were added or merged (clause 5.6.17.5 "List of
  // Attributes actually merged"), each once, in fragment order.
  std::vector<std::string> merged;
  // Expanded names of attributes of which an instance was deleted with an NGSI-LD Null.
  std::vector<std::string> deleted;
  bool types_changed = false;  // the fragment added entity types
  bool scope_changed = false;  // the fragment replaced or removed the scope
};

// `fragment` is a stored-form entity fragment: optional "type" (string or array of expanded
// IRIs), optional "scope" (string or array), optional "attrs" (name -> instances); any "id",
// "createdAt" or "modifiedAt" is ignored. For each fragment instance:
//  - no stored instance with its datasetId: it is added (an NGSI-LD Null is ignored);
//  - value is an NGSI-LD Null: the stored instance is deleted (clause 5.6.5 handling);
//  - otherwise it is merged member by member: a Property value or languageMap that is a JSON
//    object on both sides is merged with RFC 7396 (clause 5.5.12, EXAMPLE 2), other value
//    members are replaced; observedAt, unitCode, objectType are replaced or, with an NGSI-LD
//    Null, removed; sub-attributes are merged recursively the same way. A fragment instance of
//    a different attribute type replaces the stored instance (keeping createdAt), since the
//    two value members cannot be merged.
// Types are added (sorted union); scope is replaced, or removed by an NGSI-LD Null.
// Errors (entity unchanged): BadRequestData for invalid fragments.
Result<MergeOutcome> merge_entity(boost::json::object& entity, const boost::json::object& fragment,
                                  Instant now);

}  // namespace citytwin::mutation
