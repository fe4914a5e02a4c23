#pragma once

// Character-level scanning of a q expression (ETSI GS CIM 009 V1.8.1, clause 4.9).
// q is context sensitive (an unquoted URI may contain ':' and '-', a pattern may contain '('),
// so the parser asks the lexer for the piece it expects next instead of pre-tokenizing.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::query {

// Characters of attrName (clause 4.6.2 validName) plus ':' and '-' for compact IRIs such as
// "ngsi-ld:observedAt".
bool is_name_char(char c);

class QLexer {
 public:
  explicit QLexer(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  bool peek_is(std::string_view token) const { return text_.substr(pos_).starts_with(token); }
  std::size_t pos() const { return pos_; }
  std::string_view text_between(std::size_t start) const {
    return text_.substr(start, pos_ - start);
  }

  bool consume(char c);
  bool consume(std::string_view token);

  // The longest run of name characters (may be empty).
  std::string_view take_name();

  // A "quoted" string starting at the current position, with JSON-style escapes resolved
  // (\" \\ \/ \b \f \n \r \t \uXXXX). Errors: unterminated string, bad escape.
  Result<std::string> take_quoted();

  // An unquoted value: everything up to a delimiter (; | ( ) , " or whitespace) or "..".
  std::string_view take_bare_value();

  // An unquoted regular expression: up to ';', '|' or ')' outside its own parentheses,
  // brackets and escapes. A top-level alternation must therefore be quoted.
  std::string_view take_raw_pattern();

  // An InvalidRequest naming the 1-based position `at` of q.
  Error error_at(std::size_t at, std::string_view what) const;
  Error error_here(std::string_view what) const { return error_at(pos_, what); }

  // What is at the current position, for messages: "'x'" or "end of q".
  std::string describe_current() const;

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace citytwin::query
