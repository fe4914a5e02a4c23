#include "iri.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace citytwin::jsonld {

bool is_keyword(std::string_view text) {
  static constexpr std::array<std::string_view, 28> kKeywords = {
      "@base",     "@container", "@context",   "@default",   "@direction",  "@embed",
      "@explicit", "@graph",     "@id",        "@import",    "@included",   "@index",
      "@json",     "@language",  "@list",      "@nest",      "@none",       "@omitDefault",
      "@prefix",   "@preserve",  "@propagate", "@protected", "@requireAll", "@reverse",
      "@set",      "@type",      "@value",     "@version"};
  return text == "@vocab" || std::find(kKeywords.begin(), kKeywords.end(), text) != kKeywords.end();
}

bool has_keyword_form(std::string_view text) {
  if (text.size() < 2 || text.front() != '@') return false;
  return std::all_of(text.begin() + 1, text.end(),
                     [](unsigned char c) { return std::isalpha(c) != 0; });
}

bool has_scheme(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  if (std::isalpha(static_cast<unsigned char>(text[0])) == 0) return false;
  return std::all_of(
      text.begin() + 1, text.begin() + static_cast<std::ptrdiff_t>(colon),
      [](unsigned char c) { return std::isalnum(c) != 0 || c == '+' || c == '-' || c == '.'; });
}

bool ends_with_gen_delim(std::string_view text) {
  return !text.empty() && std::string_view(":/?#[]@").find(text.back()) != std::string_view::npos;
}

}  // namespace citytwin::jsonld
