#pragma once

#include <string_view>

namespace citytwin::model {

// True for an absolute URI (RFC 3986 clause 3: scheme ":" non-empty rest) without
// whitespace, control characters or the characters RFC 3986 never allows (< > " { } | \ ^ `).
// NGSI-LD requires entity ids, datasetIds and Relationship objects to be URIs (clause 4.5.1).
bool is_valid_uri(std::string_view text);

// True for a name usable as an entity type, attribute or sub-attribute name (clause 4.6.2):
// non-empty, no whitespace or control characters, none of  < > " ' = ; ( )  and not a
// JSON-LD keyword (a leading '@').
bool is_valid_name(std::string_view name);

}  // namespace citytwin::model
