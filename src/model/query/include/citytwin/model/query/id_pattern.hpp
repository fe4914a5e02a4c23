#pragma once

#include <memory>
#include <regex>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::query {

// The `idPattern` of a query or EntitySelector (ETSI GS CIM 009 V1.8.1 clauses 5.2.33 and
// 6.4.3.2): a regular expression searched anywhere in an entity id. Clients choose both the
// pattern and the ids, so it runs on the same polynomial engine, with the same limits, as the
// q operator ~= (q_pattern.hpp, query_limits.hpp): a pattern such as "(a|aa)*b" must not tie
// up a server thread for minutes.
class IdPattern {
 public:
  // Errors: kBadRequestData for an invalid expression, kTooComplexQuery beyond the limits.
  static Result<IdPattern> compile(std::string_view pattern);

  bool matches(std::string_view id) const;

 private:
  explicit IdPattern(std::shared_ptr<const std::regex> regex) : regex_(std::move(regex)) {}

  std::shared_ptr<const std::regex> regex_;
};

}  // namespace citytwin::query
