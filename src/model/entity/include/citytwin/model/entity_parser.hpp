#pragma once

#include <boost/json/object.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/model/parse_options.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::model {

// Parses an entity in normalized or concise representation (clause 4.5; the simplified form is
// read as concise) into the stored form of entity_form.hpp WITHOUT system attributes: core adds
// createdAt/modifiedAt. Result members, in this order:
//   "id"    if present (validated URI),
//   "type"  if present (expanded with terms.expand, sorted, unique),
//   "scope" if present (always an array of strings),
//   "attrs" always (possibly empty).
// Ignored input members: "@context" (resolved by the caller into `terms`), and the system
// attributes "createdAt", "modifiedAt", "deletedAt" (clause 4.8) at every level, plus
// "instanceId" inside attribute instances.
//
// observedAt values are validated (ISO 8601) and stored normalized to UTC as
// "YYYY-MM-DDTHH:MM:SS.mmmZ" (format_date_time), so stored times compare as strings.
//
// Errors: kInvalidRequest when "id", "type" or "scope" has the wrong JSON type;
// kBadRequestData for content that breaks NGSI-LD rules (missing id/type, invalid URI or name,
// invalid attribute); the detail names the offending member or attribute path.
Result<boost::json::object> parse_entity(const boost::json::object& payload,
                                         const jsonld::TermMapper& terms,
                                         const ParseOptions& options);

// Parses the body of POST/PATCH /entities/{id}/attrs (an entity fragment, clause 5.4 / 6.6.3)
// into a stored "attrs" map. "@context" is ignored; "id", "type" and "scope" are validated
// but not returned: a caller that must compare them with the target entity calls parse_entity
// with require_id = require_type = false, which returns them next to "attrs".
Result<boost::json::object> parse_attributes(const boost::json::object& fragment,
                                             const jsonld::TermMapper& terms,
                                             const ParseOptions& options);

}  // namespace citytwin::model
