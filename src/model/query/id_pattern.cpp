#include "citytwin/model/query/id_pattern.hpp"

#include "q_pattern.hpp"

namespace citytwin::query {

Result<IdPattern> IdPattern::compile(std::string_view pattern) {
  auto compiled = compile_pattern(pattern);
  if (!compiled.ok()) {
    Error error = std::move(compiled).error();
    // A malformed idPattern is bad data of the query (clause 6.4.3.2), like an invalid id.
    if (error.kind == ErrorKind::kInvalidRequest) {
      return make_error(ErrorKind::kBadRequestData, "idPattern: " + error.detail);
    }
    error.detail = "idPattern: " + error.detail;
    return error;
  }
  return IdPattern(std::move(compiled).value());
}

bool IdPattern::matches(std::string_view id) const {
  return pattern_matches(*regex_, id);
}

}  // namespace citytwin::query
