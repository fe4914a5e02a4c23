#pragma once

// The expression tree of scopeQ (ETSI GS CIM 009 V1.8.1, clause 4.19):
//   scopeQ  = or
//   or      = and *(("," / "|") and)      ; ';' binds tighter
//   and     = primary *(";" primary)
//   primary = "(" or ")" / ScopeExpression

#include <boost/json/object.hpp>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "scope_pattern.hpp"

namespace citytwin::query {

struct ScopeNode {
  enum class Kind { kPattern, kAnd, kOr };
  Kind kind = Kind::kPattern;
  ScopePattern pattern;             // kPattern
  std::vector<ScopeNode> children;  // kAnd, kOr
};

Result<ScopeNode> parse_scope_query(std::string_view scope_q);

// A pattern node matches when any of the entity's scopes matches it.
bool evaluate_scope(const ScopeNode& node, const std::vector<std::string_view>& scopes);

}  // namespace citytwin::query
