#pragma once

// One scope expression of scopeQ (ETSI GS CIM 009 V1.8.1, clause 4.19) and the syntax of the
// scopes it matches (clause 4.18).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace citytwin::query {

// True for a character allowed inside a scope level: ASCII letters, digits, '_', '-', and any
// byte of a multi-byte UTF-8 sequence (so "/Móstoles" is a valid scope).
bool is_scope_level_char(char c);

// True for "/a/b/c": at least one level, every level non-empty and made of level characters.
bool is_concrete_scope(std::string_view scope);

struct ScopePattern {
  std::vector<std::string> levels;  // "+" stands for any single level
  bool descendants = false;         // ended in "#": the scope itself and everything below it

  bool matches(std::string_view scope) const;
};

// Parses "/a/+/c", "/a/#" or "/#". Returns nullopt and a reason in `why` when malformed.
std::optional<ScopePattern> parse_scope_pattern(std::string_view text, std::string& why);

}  // namespace citytwin::query
