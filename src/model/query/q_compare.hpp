#pragma once

// Ordering of a stored JSON value against a q literal (ETSI GS CIM 009 V1.8.1, clause 4.9).

#include <boost/json/value.hpp>
#include <compare>

#include "citytwin/model/query/q_ast.hpp"

namespace citytwin::query {

// How `value` orders against `literal`; unordered when the types do not match (a number
// against a string, a string that is not a date against a DateTime...), which makes every
// comparison false rather than an error.
//  - numbers compare numerically;
//  - booleans are only equal or unordered;
//  - strings compare as instants when both sides parse as DateTime (or both as Date, or both
//    as Time), else byte-wise (lexicographic in UTF-8 code point order);
//  - a DateTime or Date literal compares with a stored DateTime or Date string as instants;
//    a Time literal with a stored Time string as time of day (UTC);
//  - with `vocab` (VocabProperty) a string or URI literal is also tried in expanded form.
std::partial_ordering compare_value(const boost::json::value& value, const Literal& literal,
                                    bool vocab);

}  // namespace citytwin::query
