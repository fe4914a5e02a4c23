#pragma once

#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/http/request.hpp"
#include "citytwin/model/entity_renderer.hpp"
#include "request_env.hpp"

namespace citytwin::http::ngsi {

// How entities are rendered in a response: `options` (keyValues, concise, sysAttrs),
// `format`, `attrs`, `pick`, `omit`, `lang`, `datasetId`, `geometryProperty` (clauses 6.3.7,
// 6.3.15, 4.21). Attribute names come expanded with the request's context.
struct OutputOptions {
  model::RenderOptions render;
  std::string geometry_property_iri;  // GeoJSON: the GeoProperty used as "geometry"
  bool temporal_values = false;       // options=temporalValues (temporal API, clause 4.5.9)
};

// Splits a comma-separated parameter value, dropping empty items.
std::vector<std::string> split_list(std::string_view text);

// The `options` parameter's values (repeated parameters and comma lists together).
std::set<std::string> option_flags(const Request& request);

// `temporal`: the temporal API, where options=temporalValues is also allowed.
Result<OutputOptions> output_options(const Request& request, const RequestEnv& env,
                                     bool temporal = false);

// Renders one stored entity for the response type (normalized/concise/keyValues JSON, JSON-LD
// with "@context", or a GeoJSON Feature).
boost::json::object render_one(const boost::json::object& stored, const OutputOptions& options,
                               const RequestEnv& env, NgsiApi& api);

// Renders a list (an array, or a GeoJSON FeatureCollection).
boost::json::value render_many(const std::vector<boost::json::object>& stored,
                               const OutputOptions& options, const RequestEnv& env, NgsiApi& api);

}  // namespace citytwin::http::ngsi
