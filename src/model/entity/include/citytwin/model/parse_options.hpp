#pragma once

#include <functional>
#include <string_view>

#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"

namespace citytwin::model {

// How parse_entity / parse_attributes / parse_attribute read a request body.
struct ParseOptions {
  // The payload must carry "id" (create entity, clause 5.6.1). Default true; false for
  // attribute fragments, where an "id", if present, is still validated and returned.
  bool require_id = true;

  // The payload must carry "type". Default true; false for fragments (append, update, merge).
  bool require_type = true;

  // JSON null (and "urn:ngsi-ld:null") is accepted as the NGSI-LD Null deletion marker
  // (merge-patch, clause 5.6.17; representation in null_marker.hpp). Default false: a null
  // attribute value is BadRequestData.
  bool allow_null = false;

  // Validates each scope string (clause 4.18 syntax). Default empty: any non-empty string.
  std::function<Status(std::string_view scope)> validate_scope;

  // Validates a GeoProperty value (GeoJSON geometry, clause 4.7 / IETF RFC 7946) after the
  // parser checked its shape (an object whose "type" is a geometry type). Default empty:
  // the shape check only.
  std::function<Status(const boost::json::value& geometry)> validate_geometry;
};

}  // namespace citytwin::model
