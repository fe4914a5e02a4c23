#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace citytwin::model::detail {

// The entry of a LanguageProperty's languageMap picked for a `lang` request (clause 4.15).
struct LanguageChoice {
  boost::json::value text;  // a string, or an array of strings
  std::string tag;          // the language tag of `text` ("@none" for the default entry)
};

// Picks the first language of `preference` ("en", "en,fr;q=0.8"; q-values ignored) that the map
// has, else its "@none" entry, else its first entry. nullopt for an empty map.
std::optional<LanguageChoice> select_language(const boost::json::object& language_map,
                                              std::string_view preference);

}  // namespace citytwin::model::detail
