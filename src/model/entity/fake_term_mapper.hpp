#pragma once

// Test double for jsonld::TermMapper: a plain name x expands to https://example.org/x and
// compacts back; names containing ':' (IRIs, compact IRIs) are kept as they are.

#include <string>
#include <string_view>

#include "citytwin/model/term_mapper.hpp"

namespace citytwin::model::testing {

inline constexpr std::string_view kVocab = "https://example.org/";

class FakeTermMapper final : public jsonld::TermMapper {
 public:
  std::string expand(std::string_view term) const override {
    if (term.find(':') != std::string_view::npos) return std::string(term);
    return std::string(kVocab).append(term);
  }
  std::string compact(std::string_view iri) const override {
    if (iri.starts_with(kVocab)) return std::string(iri.substr(kVocab.size()));
    return std::string(iri);
  }
};

inline std::string iri(std::string_view name) {
  return std::string(kVocab).append(name);
}

}  // namespace citytwin::model::testing
