#pragma once

// Partial Attribute update, PATCH /entities/{entityId}/attrs/{attrId}
// (ETSI GS CIM 009 V1.8.1, clause 5.6.4, using the partial update patch behaviour of
// clause 5.5.8).

#include <string_view>

#include <boost/json.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/result.hpp"

namespace citytwin::mutation {

// Updates the instance of attribute `name` that has the fragment's datasetId (none: the
// default instance). Each member present in the fragment replaces the stored member (the value
// member as a whole, observedAt, unitCode, objectType); an NGSI-LD Null removes observedAt /
// unitCode / objectType. Sub-attributes are merged one by one: a new one is added, an existing
// one replaced, one whose value is an NGSI-LD Null deleted.
// Errors (entity unchanged): ResourceNotFound when the attribute or the instance does not
// exist; BadRequestData when the fragment changes the attribute type ("it is not allowed to
// change the type of an Attribute"), carries a value member that does not fit the type, or
// nulls the attribute's value (this operation cannot delete the attribute itself, 5.6.4.1).
Status partial_update_attribute(boost::json::object& entity, std::string_view name,
                                const boost::json::object& instance_fragment, Instant now);

}  // namespace citytwin::mutation
