#pragma once

// Replace Attribute, PUT /entities/{entityId}/attrs/{attrId}
// (ETSI GS CIM 009 V1.8.1, clause 5.6.19).

#include <string_view>

#include <boost/json.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/result.hpp"

namespace citytwin::mutation {

// Each instance in `instances` completely replaces the stored instance of attribute `name`
// with the same datasetId; the replaced instance's createdAt remains unchanged.
// Errors (entity unchanged): BadRequestData for invalid instances (see validate_instances) or
// an NGSI-LD Null; ResourceNotFound when the attribute or any targeted instance is absent.
Status replace_attribute(boost::json::object& entity, std::string_view name,
                         const boost::json::array& instances, Instant now);

}  // namespace citytwin::mutation
