#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string_view>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/result.hpp"

namespace citytwin::ingest {

// The NGSI-LD attribute (normalized representation, GS CIM 009 clause 4.5) for a device
// value of an IoT Agent attribute `type` (docs/ingest.md, "Attribute types"):
//   Number/Float/Integer/Double -> Property with a number (numeric text is converted),
//   Boolean -> Property with true/false ("true"/"false", 1/0 accepted),
//   Text/String -> Property with a string, DateTime -> Property with a DateTime value,
//   geo:point ("lat, lon", or a GeoJSON object) and geo:json/GeoProperty/Point/... (GeoJSON) ->
//   GeoProperty, Relationship -> Relationship to the URI, anything else -> Property with the value
//   as is.
// `metadata` entries become sub-properties, except unitCode which becomes the unitCode
// member. Errors: kBadRequestData when the value does not fit the type.
Result<boost::json::object> attribute_instance(std::string_view type,
                                               const boost::json::value& value,
                                               const boost::json::object& metadata,
                                               std::optional<Instant> observed_at);

}  // namespace citytwin::ingest
