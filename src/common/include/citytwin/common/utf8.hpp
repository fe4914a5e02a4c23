#pragma once

#include <cstddef>
#include <string_view>

namespace citytwin {

// Length of the longest prefix of `text` that is well-formed UTF-8 (Unicode 15 table 3-7: no
// overlong forms, no surrogates, nothing above U+10FFFF); text.size() when all of it is. For
// inputs that do not pass through the JSON parser (CSV files) but end up in JSON documents,
// which must be UTF-8 (RFC 8259 clause 8.1). Defined in json_text.cpp, beside the same check
// of the JSON writer.
std::size_t valid_utf8_prefix(std::string_view text);

}  // namespace citytwin
