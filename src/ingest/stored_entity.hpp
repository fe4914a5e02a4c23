#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string_view>

#include "citytwin/model/parse_options.hpp"
#include "citytwin/model/term_mapper.hpp"
#include "device_mapping.hpp"

namespace citytwin::ingest {

// How ingestion parses the entities it writes: GeoJSON geometries and scopes are validated
// as the API validates them.
model::ParseOptions measure_parse_options();

// The stored form (model/entity_form.hpp) model::parse_entity gives for the normalized
// representation of `entity` written with scope `servicepath` ("/" for none), built directly:
// a measure's entities skip the NGSI-LD JSON and its generic parsing, which at MQTT
// saturation cost more than mapping the measures.
//
// Only for the shapes device mappings commonly give: Property instances with any value but
// null, Relationship instances to one URI, each with observedAt, a unitCode and Property
// sub-attributes (metadata); a URI id, valid names, no attribute named like an entity member
// and no two names expanding to the same IRI. Anything else gives nullopt: the caller parses
// the normalized entity instead, which stores it or says what is wrong with it. `entity` is
// not changed.
std::optional<boost::json::object> stored_entity(const MappedEntity& entity,
                                                 std::string_view servicepath,
                                                 const jsonld::TermMapper& terms,
                                                 const model::ParseOptions& options);

}  // namespace citytwin::ingest
