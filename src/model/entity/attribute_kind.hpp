#pragma once

// The eight NGSI-LD attribute types (clause 4.5) and the concise-form inference rules shared by
// the parser (which applies them) and the renderer (which drops "type" only where they give the
// type back, so that concise output is lossless).

#include <optional>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace citytwin::model::detail {

enum class AttributeKind {
  kProperty,
  kGeoProperty,
  kRelationship,
  kLanguageProperty,
  kVocabProperty,
  kListProperty,
  kListRelationship,
  kJsonProperty,
};

// "Property" -> kProperty, ...; nullopt for any other name.
std::optional<AttributeKind> kind_from_type_name(std::string_view name);
std::string_view type_name(AttributeKind kind);

// The member holding the value: "value", "object", "languageMap", "vocab", "valueList",
// "objectList" or "json".
std::string_view value_member(AttributeKind kind);

// The kind a value member announces in concise form ("value" -> kProperty), else nullopt.
std::optional<AttributeKind> kind_from_value_member(std::string_view member);

// Members of an attribute instance that are not sub-attributes: type, the value members,
// objectType, observedAt, unitCode, datasetId, lang, and the system members createdAt,
// modifiedAt, deletedAt, instanceId.
bool is_instance_member(std::string_view name);

// A GeoJSON geometry (RFC 7946 clause 3.1): an object whose "type" is a geometry type and
// that has "coordinates" (or "geometries" for a GeometryCollection). Shape only.
bool looks_like_geometry(const boost::json::value& value);
bool is_geometry_type(std::string_view type);

// How a concise attribute value is read.
struct Inference {
  AttributeKind kind = AttributeKind::kProperty;
  bool whole_is_value = false;  // the JSON itself is the value (bare concise Property/geometry)
};

// Concise inference for one instance (see attribute_parser.hpp). nullopt when the object is
// ambiguous: two value members, or a "type" that is neither an attribute type nor a geometry
// next to a value member.
std::optional<Inference> infer_instance(const boost::json::value& value);

// True when `value` is an array of attribute instances rather than a Property value: non-empty
// and every element an object with a known attribute "type", a value member or a "datasetId".
bool is_instance_array(const boost::json::value& value);

}  // namespace citytwin::model::detail
