#pragma once

// The NGSI-LD Null: the marker a client sends to delete something in an update or merge.
//
// JSON null cannot survive JSON-LD expansion, so NGSI-LD (ETSI GS CIM 009 V1.8.1, clause 5.2.1
// and the patch behaviours of clauses 5.5.8 and 5.5.12) uses the URI "urn:ngsi-ld:null" as a
// Property value or Relationship object, and {"@none": "urn:ngsi-ld:null"} as the languageMap
// of a LanguageProperty. Everywhere else an NGSI-LD Null is BadRequestData.

#include <string_view>

#include <boost/json.hpp>

namespace citytwin::mutation {

inline constexpr std::string_view kNgsiLdNull = "urn:ngsi-ld:null";

// True for "urn:ngsi-ld:null", ["urn:ngsi-ld:null"] (list and multi-object forms) and
// {"@none": "urn:ngsi-ld:null"} (languageMap form).
bool is_ngsild_null(const boost::json::value& value);

// True when the instance's value member (value, object, languageMap, ...) is an NGSI-LD Null,
// i.e. the instance asks for the deletion of the matching stored instance.
bool is_null_instance(const boost::json::object& instance);

// True when an NGSI-LD Null appears anywhere an operation without null support would store it:
// the value member, observedAt/unitCode/objectType, or any sub-attribute.
bool contains_ngsild_null(const boost::json::object& instance);

}  // namespace citytwin::mutation
