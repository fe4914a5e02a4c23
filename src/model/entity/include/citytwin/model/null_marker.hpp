#pragma once

// The NGSI-LD Null (clause 4.5.0 / 5.6.17, merge-patch semantics of V1.8): the value a client
// sends to delete an attribute or sub-attribute in a merge. JSON null cannot be stored in an
// attribute, so the parser (with ParseOptions::allow_null) turns both a JSON null and an
// explicit "urn:ngsi-ld:null" into an instance whose value member is the marker:
//
//   Property, GeoProperty   {"type": <T>, "value": "urn:ngsi-ld:null"}
//   Relationship            {"type": "Relationship", "object": "urn:ngsi-ld:null"}
//   LanguageProperty        {"type": "LanguageProperty", "languageMap": {"@none":
//   "urn:ngsi-ld:null"}} VocabProperty           {"type": "VocabProperty", "vocab":
//   "urn:ngsi-ld:null"}   (never expanded) ListProperty            {"type": "ListProperty",
//   "valueList": ["urn:ngsi-ld:null"]} ListRelationship        {"type": "ListRelationship",
//   "objectList": ["urn:ngsi-ld:null"]} JsonProperty            {"type": "JsonProperty", "json":
//   "urn:ngsi-ld:null"}
//
// A bare `"attr": null` becomes the Property marker. The mutation code deletes the attribute
// (or sub-attribute, or the datasetId instance) for which is_null_marker() holds.
//
// Finer-grained deletions keep "urn:ngsi-ld:null" where the null was (same convention as
// citytwin/model/mutation/ngsild_null.hpp):
//   "observedAt" / "unitCode" / "objectType": null   -> the member holds "urn:ngsi-ld:null"
//   languageMap {"en": null}                         -> {"en": "urn:ngsi-ld:null"}
//   Property value {"a": {"b": null}}  (JSON Merge Patch, RFC 7396) -> {"a": {"b":
//   "urn:ngsi-ld:null"}} entity "scope": null                             -> "scope":
//   ["urn:ngsi-ld:null"]
// JsonProperty "json" content is never rewritten (clause 4.5.24).

#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace citytwin::model {

inline constexpr std::string_view kNgsiLdNull = "urn:ngsi-ld:null";

// True when `instance` (a stored attribute instance) carries the NGSI-LD Null marker above.
bool is_null_marker(const boost::json::object& instance);

// The marker value for the value member of an attribute type name ("Property", ...).
boost::json::value null_marker_value(std::string_view attribute_type);

}  // namespace citytwin::model
