#pragma once

// Patterns of the q operators ~= and !~= (ETSI GS CIM 009 V1.8.1, clause 4.9: RegExp, an
// ECMAScript regular expression). std::regex's default ECMAScript engine backtracks and can
// take exponential time or overflow the stack, so patterns are compiled for libstdc++'s
// polynomial (Thompson NFA) executor, which refuses backreferences, and their size, estimated
// automaton cost and subject length are bounded (query_limits.hpp).

#include <memory>
#include <regex>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::query {

// Compiles `pattern` for a search anywhere in the value. A leading "(?i)" (a common extension,
// e.g. in NGSI-LD examples) makes the match case-insensitive. Errors carry no position:
// kInvalidRequest for an invalid expression, kTooComplexQuery beyond the limits.
Result<std::shared_ptr<const std::regex>> compile_pattern(std::string_view pattern);

// True when `value` contains a match. Values longer than kMaxPatternSubjectLength never match.
bool pattern_matches(const std::regex& compiled, std::string_view value);

// The estimated automaton size of a pattern: its length, with counted repetitions {n,m}
// multiplying the atom or group they apply to. Saturates instead of overflowing.
std::size_t estimate_pattern_cost(std::string_view pattern);

}  // namespace citytwin::query
