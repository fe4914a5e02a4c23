#pragma once

// Recursive-descent parser for q (ETSI GS CIM 009 V1.8.1, clause 4.9):
//   q        = or_expr
//   or_expr  = and_expr *("|" and_expr)           ; ';' binds tighter than '|'
//   and_expr = primary *(";" primary)
//   primary  = "(" or_expr ")" / term
//   term     = "!" Attribute / Attribute [Operator Value]
// Attribute = attrName *("." attrName) *("[" attrName *("." attrName) "]").

#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/model/query/q_ast.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::query {

Result<QueryNode> parse_q(std::string_view q, const jsonld::TermMapper& terms);

}  // namespace citytwin::query
