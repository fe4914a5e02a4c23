#include "q_literal.hpp"

#include <charconv>
#include <cmath>
#include <string>

#include "citytwin/common/instant.hpp"

namespace citytwin::query {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Advances i over one or more digits; false when there is none.
bool skip_digits(std::string_view word, std::size_t& i) {
  std::size_t start = i;
  while (i < word.size() && is_digit(word[i])) ++i;
  return i > start;
}

Error literal_error(std::string detail) {
  return make_error(ErrorKind::kInvalidRequest, std::move(detail));
}

Result<Literal> parse_number(std::string_view word) {
  if (!is_number_syntax(word)) {
    return literal_error("invalid number, date or time '" + std::string(word) + "'");
  }
  Literal literal;
  literal.kind = LiteralKind::kNumber;
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), literal.number);
  if (ec != std::errc() || end != word.data() + word.size() || !std::isfinite(literal.number)) {
    return literal_error("number out of range '" + std::string(word) + "'");
  }
  return literal;
}

// A word starting with a digit: DateTime, Date or Time first (they contain '-' and ':' that a
// number cannot), then a number.
Result<Literal> parse_numeric_word(std::string_view word) {
  Literal literal;
  if (auto instant = parse_date_time(word)) {
    literal.kind = LiteralKind::kDateTime;
    literal.micros = instant->micros;
    return literal;
  }
  if (auto instant = parse_date(word)) {
    literal.kind = LiteralKind::kDate;
    literal.micros = instant->micros;
    return literal;
  }
  if (auto time = parse_time_of_day(word)) {
    literal.kind = LiteralKind::kTime;
    literal.micros = *time;
    return literal;
  }
  return parse_number(word);
}

}  // namespace

bool is_number_syntax(std::string_view word) {
  std::size_t i = 0;
  if (i < word.size() && word[i] == '-') ++i;
  if (!skip_digits(word, i)) return false;
  if (i < word.size() && word[i] == '.') {
    ++i;
    if (!skip_digits(word, i)) return false;
  }
  if (i < word.size() && (word[i] == 'e' || word[i] == 'E')) {
    ++i;
    if (i < word.size() && (word[i] == '+' || word[i] == '-')) ++i;
    if (!skip_digits(word, i)) return false;
  }
  return i == word.size();
}

bool is_comparable_kind(LiteralKind kind) {
  return kind != LiteralKind::kBoolean && kind != LiteralKind::kText;
}

Result<Literal> parse_bare_literal(std::string_view word) {
  if (word.empty()) return literal_error("expected a value");
  if (is_digit(word[0]) || word[0] == '-') return parse_numeric_word(word);
  Literal literal;
  if (word == "true" || word == "false") {
    literal.kind = LiteralKind::kBoolean;
    literal.boolean = word == "true";
    return literal;
  }
  if (word == "null") return literal_error("null is not a value in q (clause 4.9)");
  if (!is_letter(word[0])) {
    return literal_error(
        "expected a value (number, \"string\", date, time, true, false or URI)"
        " but found '" +
        std::string(word) + "'");
  }
  literal.kind = LiteralKind::kText;
  literal.text = std::string(word);
  return literal;
}

}  // namespace citytwin::query
