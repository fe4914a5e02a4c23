#pragma once

// Helpers shared by the fuzz targets: turning libFuzzer's byte buffer into the text inputs the
// parsers take, and a deterministic @context term mapper.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/model/term_mapper.hpp"

namespace citytwin::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits on '\n' into at most `parts` fields (the last one keeps any further newlines), so one
// corpus file can hold several parameters of a request, one per line.
inline std::vector<std::string_view> split_lines(std::string_view text, std::size_t parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos) break;
    out.push_back(text.substr(0, newline));
    text.remove_prefix(newline + 1);
  }
  out.push_back(text);
  out.resize(parts);
  return out;
}

// A property the target checks failed: print it and abort, so libFuzzer saves the input.
[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
  std::string message = std::string("fuzz invariant violated: ") + what + ": ";
  message.append(detail).push_back('\n');
  std::fputs(message.c_str(), stderr);
  std::abort();
}

// Expands "x" to "https://example.org/x"; names holding ':' stay as they are (as the unit
// tests' FakeTermMapper does), so the targets need no @context processing.
class ExampleTerms final : public jsonld::TermMapper {
 public:
  static constexpr std::string_view kVocab = "https://example.org/";
  std::string expand(std::string_view term) const override {
    if (term.find(':') != std::string_view::npos) return std::string(term);
    return std::string(kVocab).append(term);
  }
  std::string compact(std::string_view iri) const override {
    if (iri.starts_with(kVocab)) return std::string(iri.substr(kVocab.size()));
    return std::string(iri);
  }
};

}  // namespace citytwin::fuzz
