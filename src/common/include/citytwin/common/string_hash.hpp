#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace citytwin {

// A hash for std::string keys that also takes a std::string_view, so that a lookup by a view
// (a name read in place from a JSON document) needs no std::string copy: for a long key such
// as an expanded IRI the copy was an allocation per lookup.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

// An unordered map from std::string found by std::string_view as well.
template <class Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

}  // namespace citytwin
