#include "q_compare.hpp"

#include <optional>
#include <string_view>

#include "citytwin/common/instant.hpp"

namespace citytwin::query {
namespace {

namespace json = boost::json;

// A stored string read as an instant: DateTime first, then Date (midnight UTC).
std::optional<std::int64_t> as_instant(std::string_view text) {
  if (auto instant = parse_date_time(text)) return instant->micros;
  if (auto instant = parse_date(text)) return instant->micros;
  return std::nullopt;
}

std::partial_ordering compare_strings(std::string_view stored, std::string_view literal) {
  if (auto a = parse_date_time(stored)) {
    if (auto b = parse_date_time(literal)) return a->micros <=> b->micros;
  }
  if (auto a = parse_date(stored)) {
    if (auto b = parse_date(literal)) return a->micros <=> b->micros;
  }
  if (auto a = parse_time_of_day(stored)) {
    if (auto b = parse_time_of_day(literal)) return *a <=> *b;
  }
  return stored.compare(literal) <=> 0;
}

std::partial_ordering compare_text(std::string_view stored, const Literal& literal, bool vocab) {
  std::partial_ordering order = compare_strings(stored, literal.text);
  if (vocab && order != 0 && stored == literal.expanded) return std::partial_ordering::equivalent;
  return order;
}

}  // namespace

std::partial_ordering compare_value(const json::value& value, const Literal& literal, bool vocab) {
  constexpr auto kUnordered = std::partial_ordering::unordered;
  switch (literal.kind) {
    case LiteralKind::kNumber:
      if (!value.is_number()) return kUnordered;
      return value.to_number<double>() <=> literal.number;
    case LiteralKind::kBoolean:
      if (!value.is_bool()) return kUnordered;
      return value.get_bool() == literal.boolean ? std::partial_ordering::equivalent : kUnordered;
    case LiteralKind::kString:
    case LiteralKind::kText:
      if (!value.is_string()) return kUnordered;
      return compare_text(value.get_string(), literal, vocab);
    case LiteralKind::kDateTime:
    case LiteralKind::kDate: {
      if (!value.is_string()) return kUnordered;
      auto instant = as_instant(value.get_string());
      return instant ? *instant <=> literal.micros : kUnordered;
    }
    case LiteralKind::kTime: {
      if (!value.is_string()) return kUnordered;
      auto time = parse_time_of_day(value.get_string());
      return time ? *time <=> literal.micros : kUnordered;
    }
  }
  return kUnordered;
}

}  // namespace citytwin::query
