#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/model/query/q_ast.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::query {

// The NGSI-LD query language `q` (ETSI GS CIM 009 V1.8.1, clause 4.9), parsed once and then
// evaluated against any number of entities in the stored form. Copies share the parsed tree.
class QueryFilter {
 public:
  // Parses q and expands every attribute and sub-attribute name with `terms`.
  // Errors: kInvalidRequest for syntax errors (detail names the 1-based position and what was
  // expected), kTooComplexQuery when q exceeds kMaxQueryLength or kMaxNestingDepth, or when a
  // pattern exceeds the limits of query_limits.hpp.
  static Result<QueryFilter> parse(std::string_view q, const jsonld::TermMapper& terms);

  // True when the entity (stored form) satisfies the expression. Never throws.
  bool matches(const boost::json::object& entity) const;

  // Expanded attribute IRIs every matching entity must have: the attributes of the terms of
  // the top-level conjunction that require existence (everything except `!a`). Lets the
  // caller pick an index. Empty when the top level is a disjunction.
  std::vector<std::string> required_attributes() const;

  const QueryNode& root() const { return *root_; }

 private:
  explicit QueryFilter(std::shared_ptr<const QueryNode> root) : root_(std::move(root)) {}

  std::shared_ptr<const QueryNode> root_;
};

}  // namespace citytwin::query
