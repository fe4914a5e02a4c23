#pragma once

// Classification of q literals (ETSI GS CIM 009 V1.8.1, clause 4.9: ComparableValue =
// Number / quotedStr / dateTime / date / time; OtherValue = true / false; URI).

#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/model/query/q_ast.hpp"

namespace citytwin::query {

// Classifies an unquoted value: a word starting with a digit or '-' must be a number, a
// DateTime, a Date or a Time; true/false are booleans; other words starting with a letter are
// kept as text (URIs such as urn:ngsi-ld:Car:1). null is refused: clause 4.9 has no null.
// The error detail carries no position; the caller adds it.
Result<Literal> parse_bare_literal(std::string_view word);

// True for JSON-style numbers: -?digits[.digits][(e|E)[+|-]digits].
bool is_number_syntax(std::string_view word);

// True when literals of these kinds can bound a range or be ordered against each other.
bool is_comparable_kind(LiteralKind kind);

}  // namespace citytwin::query
