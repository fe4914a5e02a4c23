#pragma once

// The stored form of an NGSI-LD entity: the one internal representation every layer shares.
//
// Input representations (normalized, concise, simplified) are parsed into it and output
// representations are rendered from it (see entity_parser.hpp / entity_renderer.hpp). It is a
// boost::json::object so it can be persisted as JSON and inspected in tests. Names of
// types, attributes and sub-attributes are stored EXPANDED (full IRIs), so a query written
// with any @context finds them.
//
// Entity:
//   {
//     "id":         "urn:ngsi-ld:Streetlight:1",                 // URI, required
//     "type":       ["https://smartdatamodels.org/dataModel.Streetlighting/Streetlight"],
//                                                                // expanded IRIs, >= 1, sorted,
//                                                                unique
//     "scope":      ["/Madrid/Centro"],                          // optional, NGSI-LD clause 4.18
//     "createdAt":  "2026-11-22T10:00:00.000Z",                  // system attributes, set by core
//     "modifiedAt": "2026-11-22T10:00:00.000Z",
//     "attrs": {                                                 // expanded attribute name ->
//       "https://uri.etsi.org/ngsi-ld/location": [ <instance>, ... ]  // >= 1 instance;
//     }                                                          // at most one without datasetId,
//   }                                                            // datasetIds unique
//
// Attribute instance (clause 4.5): exactly one value member, according to "type":
//   { "type": "Property",         "value": <any JSON except null> }
//   { "type": "GeoProperty",      "value": <GeoJSON geometry> }
//   { "type": "Relationship",     "object": "urn:..." | ["urn:...", ...], "objectType"?: IRI }
//   { "type": "LanguageProperty", "languageMap": {"en": "...", "es": "..."} }
//   { "type": "VocabProperty",    "vocab": <expanded IRI> | [<expanded IRI>, ...] }
//   { "type": "ListProperty",     "valueList": [ ... ] }
//   { "type": "ListRelationship", "objectList": ["urn:...", ...] }
//   { "type": "JsonProperty",     "json": <any JSON> }   // never expanded or interpreted
// plus the optional members
//   "observedAt": "<ISO 8601 UTC>", "unitCode": "<UN/CEFACT code>", "datasetId": "<URI>",
//   "createdAt": "...", "modifiedAt": "...",      // system attributes, set by core
//   "sub": { "<expanded sub-attribute name>": <instance> }   // nested properties/relationships
//
// A Property "value" is kept as the client sent it (JSON-LD value objects such as
// {"@type": "DateTime", "@value": "..."} included); its inner keys are not expanded.

#include <string_view>

namespace citytwin::model::form {

inline constexpr std::string_view kId = "id";
inline constexpr std::string_view kType = "type";
inline constexpr std::string_view kScope = "scope";
inline constexpr std::string_view kCreatedAt = "createdAt";
inline constexpr std::string_view kModifiedAt = "modifiedAt";
inline constexpr std::string_view kDeletedAt = "deletedAt";
inline constexpr std::string_view kAttrs = "attrs";

inline constexpr std::string_view kValue = "value";
inline constexpr std::string_view kObject = "object";
inline constexpr std::string_view kObjectType = "objectType";
inline constexpr std::string_view kLanguageMap = "languageMap";
inline constexpr std::string_view kVocab = "vocab";
inline constexpr std::string_view kValueList = "valueList";
inline constexpr std::string_view kObjectList = "objectList";
inline constexpr std::string_view kJson = "json";
inline constexpr std::string_view kObservedAt = "observedAt";
inline constexpr std::string_view kUnitCode = "unitCode";
inline constexpr std::string_view kDatasetId = "datasetId";
// Only in temporal representations (clause 4.5.7): which recorded instance this is.
inline constexpr std::string_view kInstanceId = "instanceId";
inline constexpr std::string_view kSub = "sub";

inline constexpr std::string_view kProperty = "Property";
inline constexpr std::string_view kGeoProperty = "GeoProperty";
inline constexpr std::string_view kRelationship = "Relationship";
inline constexpr std::string_view kLanguageProperty = "LanguageProperty";
inline constexpr std::string_view kVocabProperty = "VocabProperty";
inline constexpr std::string_view kListProperty = "ListProperty";
inline constexpr std::string_view kListRelationship = "ListRelationship";
inline constexpr std::string_view kJsonProperty = "JsonProperty";

// NGSI-LD core IRIs that appear in the stored form.
inline constexpr std::string_view kNgsiLdPrefix = "https://uri.etsi.org/ngsi-ld/";
inline constexpr std::string_view kLocationIri = "https://uri.etsi.org/ngsi-ld/location";
inline constexpr std::string_view kDefaultVocab = "https://uri.etsi.org/ngsi-ld/default-context/";

}  // namespace citytwin::model::form
