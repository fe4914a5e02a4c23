#include "language_selection.hpp"

namespace citytwin::model::detail {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// "fr;q=0.8" -> "fr".
std::string_view language_of(std::string_view item) {
  return trim(item.substr(0, item.find(';')));
}

const boost::json::key_value_pair* find_preferred(const boost::json::object& map,
                                                  std::string_view preference) {
  while (!preference.empty()) {
    const std::size_t comma = preference.find(',');
    const std::string_view language = language_of(preference.substr(0, comma));
    if (auto it = map.find(language); !language.empty() && it != map.end()) return &*it;
    if (comma == std::string_view::npos) break;
    preference.remove_prefix(comma + 1);
  }
  return nullptr;
}

}  // namespace

std::optional<LanguageChoice> select_language(const boost::json::object& language_map,
                                              std::string_view preference) {
  const boost::json::key_value_pair* entry = find_preferred(language_map, preference);
  if (entry == nullptr) {
    auto none = language_map.find("@none");
    if (none != language_map.end()) entry = &*none;
  }
  if (entry == nullptr && !language_map.empty()) entry = &*language_map.begin();
  if (entry == nullptr) return std::nullopt;
  return LanguageChoice{entry->value(), std::string(entry->key())};
}

}  // namespace citytwin::model::detail
