#pragma once

#include <cstddef>

// Limits that keep q and scopeQ evaluation bounded in time and stack, whatever a client sends.
// The NGSI-LD API lets a broker refuse queries it cannot resolve (ETSI GS CIM 009 clause 5.5.2,
// TooComplexQuery); these are the thresholds CityTwin applies.
namespace citytwin::query {

// Longest q or scopeQ accepted, in bytes (after URL decoding).
inline constexpr std::size_t kMaxQueryLength = 8192;

// Deepest parenthesis nesting accepted; bounds parser and evaluator recursion.
inline constexpr int kMaxNestingDepth = 64;

// Longest regular expression accepted after ~= or !~=, in bytes.
inline constexpr std::size_t kMaxPatternLength = 256;

// Upper bound on the estimated automaton size of a pattern (counted repetitions multiply it),
// so that matching stays cheap: cost is proportional to this times the subject length.
inline constexpr std::size_t kMaxPatternCost = 512;

// Longest string value a pattern is matched against; longer values never match a pattern.
inline constexpr std::size_t kMaxPatternSubjectLength = 4096;

}  // namespace citytwin::query
