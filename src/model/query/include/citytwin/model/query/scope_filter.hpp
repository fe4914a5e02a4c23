#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::query {

struct ScopeNode;

// An NGSI-LD scope query `scopeQ` (ETSI GS CIM 009 V1.8.1, clause 4.19) over the hierarchical
// scopes of clause 4.18. A scope expression is "/a/b" (exactly that scope), may use "+" for any
// one level ("/Madrid/+/Bus") and may end with "#" for the scope and all its descendants
// ("/Madrid/#"); "/#" matches every scoped entity. Expressions combine with ',' or '|' (OR) and
// ';' (AND, binding tighter), with parentheses.
class ScopeFilter {
 public:
  // Errors: kInvalidRequest (detail names the 1-based position), kTooComplexQuery beyond the
  // limits of query_limits.hpp.
  static Result<ScopeFilter> parse(std::string_view scope_q);

  // Evaluates against entity["scope"] (array of strings). An entity without scopes matches
  // nothing, not even "/#". Never throws.
  bool matches(const boost::json::object& entity) const;

  // True for a concrete scope an entity may carry (clause 4.18): "/" followed by one or more
  // '/'-separated non-empty levels of letters, digits, '_' or '-' (UTF-8 letters included);
  // no '+', '#', trailing '/' or other characters.
  static bool is_valid_scope(std::string_view scope);

 private:
  explicit ScopeFilter(std::shared_ptr<const ScopeNode> root) : root_(std::move(root)) {}

  std::shared_ptr<const ScopeNode> root_;
};

}  // namespace citytwin::query
