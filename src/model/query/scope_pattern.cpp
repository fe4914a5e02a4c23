#include "scope_pattern.hpp"

namespace citytwin::query {
namespace {

// Splits "/a/b" into {"a", "b"}; nullopt unless it starts with '/'. Empty levels are kept so
// that callers can reject "//" and a trailing '/'.
std::optional<std::vector<std::string_view>> split_levels(std::string_view scope) {
  if (scope.empty() || scope.front() != '/') return std::nullopt;
  std::vector<std::string_view> levels;
  std::size_t start = 1;
  while (true) {
    std::size_t slash = scope.find('/', start);
    if (slash == std::string_view::npos) {
      levels.push_back(scope.substr(start));
      return levels;
    }
    levels.push_back(scope.substr(start, slash - start));
    start = slash + 1;
  }
}

bool is_level(std::string_view level) {
  if (level.empty()) return false;
  for (char c : level) {
    if (!is_scope_level_char(c)) return false;
  }
  return true;
}

}  // namespace

bool is_scope_level_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_concrete_scope(std::string_view scope) {
  auto levels = split_levels(scope);
  if (!levels) return false;
  for (std::string_view level : *levels) {
    if (!is_level(level)) return false;
  }
  return true;
}

bool ScopePattern::matches(std::string_view scope) const {
  auto parts = split_levels(scope);
  if (!parts) return false;
  if (descendants ? parts->size() < levels.size() : parts->size() != levels.size()) return false;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i] != "+" && levels[i] != (*parts)[i]) return false;
  }
  return true;
}

std::optional<ScopePattern> parse_scope_pattern(std::string_view text, std::string& why) {
  ScopePattern pattern;
  if (text == "/#") {
    pattern.descendants = true;
    return pattern;
  }
  auto levels = split_levels(text);
  if (!levels) {
    why = "a scope must start with '/'";
    return std::nullopt;
  }
  for (std::size_t i = 0; i < levels->size(); ++i) {
    std::string_view level = (*levels)[i];
    if (level == "#") {
      if (i + 1 != levels->size()) {
        why = "'#' must be the last level";
        return std::nullopt;
      }
      pattern.descendants = true;
    } else if (level == "+" || is_level(level)) {
      pattern.levels.emplace_back(level);
    } else {
      why =
          level.empty() ? "empty scope level" : "invalid scope level '" + std::string(level) + "'";
      return std::nullopt;
    }
  }
  return pattern;
}

}  // namespace citytwin::query
