#pragma once

// Delete Attribute, DELETE /entities/{entityId}/attrs/{attrId}
// (ETSI GS CIM 009 V1.8.1, clause 5.6.5).

#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/result.hpp"

namespace citytwin::mutation {

// The expanded name under which a client targets the entity's scope (clause 4.18).
inline constexpr std::string_view kScopeIri = "https://uri.etsi.org/ngsi-ld/scope";

// Deletes all instances of attribute `name` (`delete_all`), else the one with `dataset_id`,
// else the default instance. An attribute left without instances disappears. Targeting
// kScopeIri removes the entity's scope. The entity's modifiedAt becomes `now`.
// ResourceNotFound (entity unchanged) when nothing matches.
Status delete_attribute(boost::json::object& entity, std::string_view name,
                        const std::optional<std::string>& dataset_id, bool delete_all, Instant now);

}  // namespace citytwin::mutation
