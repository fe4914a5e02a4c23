#pragma once

#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/model/parse_options.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::model {

// Parses the JSON value of one attribute (normalized or concise, clause 4.5) into its stored
// instances (entity_form.hpp): an array with one instance, or several for a multi-attribute
// (clause 4.5.5: an array of instances, datasetIds unique, at most one without).
//
// Concise inference (clause 4.5.2.2 / 4.5.3.2 ...): an object without "type" is a Property if it
// has "value" (a GeoProperty if that value is a GeoJSON geometry), a Relationship with "object",
// a LanguageProperty with "languageMap", a VocabProperty with "vocab", a ListProperty with
// "valueList", a ListRelationship with "objectList", a JsonProperty with "json"; an object whose
// "type" is a GeoJSON geometry type is a GeoProperty; anything else that is not null is a
// Property holding it as value. An array whose elements are all objects that look like
// attribute instances (a known attribute "type", a value member or a "datasetId") is a
// multi-attribute; any other array is a Property value.
//
// `path` names the attribute in error details ("temperature", "temperature.accuracy").
// Errors are BadRequestData.
Result<boost::json::array> parse_attribute_value(std::string_view path,
                                                 const boost::json::value& body,
                                                 const jsonld::TermMapper& terms,
                                                 const ParseOptions& options);

// Parses the body of PATCH/PUT /entities/{id}/attrs/{attrId} (clause 6.7.3): `name` is the
// attrId as written by the client (validated, then expanded with `terms`), `body` the attribute
// fragment. A top-level "@context" member of an object body is ignored. Returns a stored "attrs"
// map with exactly one member: {<expanded name>: [<instance>, ...]}.
Result<boost::json::object> parse_attribute(std::string_view name, const boost::json::value& body,
                                            const jsonld::TermMapper& terms,
                                            const ParseOptions& options);

// Parses the body of PATCH /entities/{id}/attrs/{attrId} (Partial Attribute Update, clause
// 5.6.4): like parse_attribute, but the body is one instance whose members are all optional.
// An object with no value member (value, object, languageMap, ...) and no GeoJSON geometry
// shape is NOT read as a concise Property holding the object: it yields an instance with only
// the metadata and sub-attributes given, and "type" only if the body has one. An array body
// is BadRequestData.
Result<boost::json::object> parse_attribute_fragment(std::string_view name,
                                                     const boost::json::value& body,
                                                     const jsonld::TermMapper& terms,
                                                     const ParseOptions& options);

}  // namespace citytwin::model
