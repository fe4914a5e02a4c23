#pragma once

// Small IRI helpers shared by the jsonld sources (RFC 3987 / JSON-LD 1.1 clause 4.2).

#include <string_view>

namespace citytwin::jsonld {

// Whether `text` is a JSON-LD keyword such as "@id" (JSON-LD 1.1 syntax clause 1.7).
bool is_keyword(std::string_view text);

// Whether `text` starts with "@" followed by letters only: reserved for future keywords and
// ignored as a term (JSON-LD 1.1 processing clause 4.2 step 4).
bool has_keyword_form(std::string_view text);

// Whether `text` starts with a URI scheme ("http:", "urn:") per RFC 3986 clause 3.1.
bool has_scheme(std::string_view text);

// Whether `text` ends with one of the RFC 3986 gen-delims ":/?#[]@" (prefix rule).
bool ends_with_gen_delim(std::string_view text);

}  // namespace citytwin::jsonld
