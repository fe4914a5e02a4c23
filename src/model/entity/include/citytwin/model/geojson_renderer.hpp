#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/entity_renderer.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::model {

// Renders a stored entity as a GeoJSON Feature (clause 4.7 / 6.3.15, application/geo+json):
//   {"id": ..., "type": "Feature",
//    "geometry": <value of the GeoProperty `geometry_property_iri` or null>,
//    "properties": {"type": <entity type>, "scope"?, <attributes in options.format>, sysAttrs},
//    "@context"?: <options.context when options.include_context>}
// The geometry comes from the instance selected by options.dataset_id if set, else the
// default instance, else the first. The geometry attribute also stays in "properties".
boost::json::object render_feature(const boost::json::object& stored,
                                   const jsonld::TermMapper& terms, const RenderOptions& options,
                                   std::string_view geometry_property_iri = form::kLocationIri);

// Wraps features into {"type": "FeatureCollection", "features": [...], "@context"?}.
// Callers render the features without "@context" when they pass one here.
boost::json::object make_feature_collection(std::vector<boost::json::object> features,
                                            std::optional<boost::json::value> context);

}  // namespace citytwin::model
