#pragma once

// Media type comparison for Content-Type and Accept (RFC 9110 clause 8.3.1: type, subtype and
// parameter names are case-insensitive; parameters follow ';', with optional whitespace).

#include <string>
#include <string_view>
#include <vector>

namespace citytwin::http::ngsi {

// "Application/LD+JSON ; charset=utf-8" -> "application/ld+json"; "" for an empty header.
std::string media_type_essence(std::string_view media_type);

// One media range of an Accept header (RFC 9110 clause 12.5.1).
struct MediaRange {
  std::string type;      // essence, lower case ("*/*", "application/*", ...)
  double quality = 1.0;  // the "q" parameter; 1 when absent, 0 when unreadable
};

// The ranges of an Accept header, highest quality first (stable for equal q).
std::vector<MediaRange> parse_accept(std::string_view header);

}  // namespace citytwin::http::ngsi
