#pragma once

// Append Entity Attributes (ETSI GS CIM 009 V1.8.1, clause 5.6.3) and Update Entity
// Attributes (clause 5.6.2) on a stored entity.
//
// `attrs` is a stored-form attribute map: expanded attribute name -> array of instances.
// Instances are matched by datasetId (no datasetId: the default instance). Both operations are
// all-or-nothing: invalid input is BadRequestData and leaves `entity` unchanged. The entity's
// modifiedAt is set to `now` when anything changed. Entity "type"/"scope" in the fragment are
// handled by the caller with add_entity_types (entity_types.hpp).

#include <boost/json.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/model/mutation/attribute_outcome.hpp"

namespace citytwin::mutation {

// Clause 5.6.3.4: new attributes and instances are appended; an existing instance with the
// same datasetId is replaced (keeping its createdAt) unless `no_overwrite`, in which case it is
// left untouched and reported in not_updated. An NGSI-LD Null is BadRequestData (clause 5.2.1:
// Append does not support it).
Result<AttributeOutcome> append_attributes(boost::json::object& entity,
                                           const boost::json::object& attrs, bool no_overwrite,
                                           Instant now);

// Clause 5.6.2.4 with the partial update patch behaviour of clause 5.5.8: an existing instance
// with the same datasetId is replaced (keeping its createdAt), or deleted when the new
// instance's value is an NGSI-LD Null. Attributes or instances that do not exist are not
// created but reported in not_updated (the V1.8.1 behaviour; V1.9.1 appends them instead).
Result<AttributeOutcome> update_attributes(boost::json::object& entity,
                                           const boost::json::object& attrs, Instant now);

}  // namespace citytwin::mutation
