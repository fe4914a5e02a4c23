#pragma once

// Shared helpers of the query unit tests: a fake @context and stored-form entities from JSON.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>
#include <string_view>

#include "citytwin/model/query/query_filter.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::query::testing {

inline constexpr std::string_view kEx = "https://example.org/";

// Expands "x" to "https://example.org/x" and "ex:x" to the same; absolute IRIs stay.
class FakeTerms : public jsonld::TermMapper {
 public:
  std::string expand(std::string_view term) const override {
    if (term.find("://") != std::string_view::npos) return std::string(term);
    if (term.starts_with("ex:")) term.remove_prefix(3);
    return std::string(kEx) + std::string(term);
  }
  std::string compact(std::string_view iri) const override {
    if (iri.starts_with(kEx)) iri.remove_prefix(kEx.size());
    return std::string(iri);
  }
};

inline std::string ex(std::string_view name) {
  return std::string(kEx) + std::string(name);
}

inline boost::json::object entity(std::string_view json) {
  return boost::json::parse(json).as_object();
}

// Parses q (which must be valid) and evaluates it on `e`.
inline bool q_matches(std::string_view q, const boost::json::object& e) {
  FakeTerms terms;
  auto filter = QueryFilter::parse(q, terms);
  if (!filter.ok()) {
    ADD_FAILURE() << "q '" << q << "' failed to parse: " << filter.error().detail;
    return false;
  }
  return filter->matches(e);
}

}  // namespace citytwin::query::testing
