#include "q_pattern.hpp"

#include <exception>
#include <string>
#include <vector>

#include "citytwin/model/query/query_limits.hpp"

namespace citytwin::query {
namespace {

constexpr std::size_t kSaturated = 1'000'000'000;

std::size_t saturating_add(std::size_t a, std::size_t b) {
  return a + b > kSaturated ? kSaturated : a + b;
}

std::size_t saturating_mul(std::size_t a, std::size_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kSaturated / b ? kSaturated : a * b;
}

// Reads "{n}", "{n,}" or "{n,m}" at i; returns the largest repetition count (n for "{n,}"),
// or 0 when the brace is a literal character.
std::size_t read_repetition(std::string_view p, std::size_t& i) {
  std::size_t j = i + 1;
  std::size_t low = 0, high = 0;
  bool has_low = false, has_high = false, comma = false;
  for (; j < p.size() && p[j] != '}'; ++j) {
    char c = p[j];
    if (c == ',' && !comma) {
      comma = true;
    } else if (c >= '0' && c <= '9') {
      std::size_t& target = comma ? high : low;
      target = saturating_add(saturating_mul(target, 10), static_cast<std::size_t>(c - '0'));
      (comma ? has_high : has_low) = true;
    } else {
      return 0;
    }
  }
  if (j >= p.size() || !has_low) return 0;
  i = j;
  std::size_t count = has_high && high > low ? high : low;
  return count == 0 ? 1 : count;
}

// Index of the ']' closing the class opened at i (or the end).
std::size_t skip_class(std::string_view p, std::size_t i) {
  for (++i; i < p.size() && p[i] != ']'; ++i) {
    if (p[i] == '\\') ++i;
  }
  return i;
}

struct Group {
  std::size_t total = 0;  // cost of everything in the group so far
  std::size_t last = 0;   // cost of the last atom, which a quantifier repeats
};

void add_atom(Group& group, std::size_t cost) {
  group.total = saturating_add(group.total, cost);
  group.last = cost;
}

bool compile_into(const std::string& text, std::regex::flag_type flags, std::regex& out,
                  std::string& why) {
  try {
    out.assign(text, flags);
    return true;
  } catch (const std::regex_error& e) {
    why = e.code() == std::regex_constants::error_complexity ? "backreferences are not supported"
                                                             : e.what();
  } catch (const std::exception& e) {
    why = e.what();
  }
  return false;
}

// True when the pattern holds a backreference \1 to \9 (also inside a class). The polynomial
// executor refuses them anyway, but only after libstdc++'s compiler has read the digits into a
// long with no overflow check: a long run such as "\55555555555555555555" is undefined
// behaviour (found by fuzz/q_query_fuzz), so they never reach std::regex.
bool has_backreference(std::string_view p) {
  for (std::size_t i = 0; i + 1 < p.size(); ++i) {
    if (p[i] != '\\') continue;
    if (p[i + 1] >= '1' && p[i + 1] <= '9') return true;
    ++i;  // the escaped character, e.g. the second backslash of "\\1"
  }
  return false;
}

}  // namespace

std::size_t estimate_pattern_cost(std::string_view p) {
  std::vector<Group> stack(1);
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    Group& group = stack.back();
    if (c == '\\') {
      ++i;
      add_atom(group, 1);
    } else if (c == '[') {
      i = skip_class(p, i);
      add_atom(group, 1);
    } else if (c == '(') {
      stack.emplace_back();
      if (i + 1 < p.size() && p[i + 1] == '?') i += 2;  // (?: (?= (?! carry no cost
    } else if (c == ')' && stack.size() > 1) {
      std::size_t inner = saturating_add(stack.back().total, 1);
      stack.pop_back();
      add_atom(stack.back(), inner);
    } else if (c == '{') {
      std::size_t count = read_repetition(p, i);
      if (count == 0) {
        add_atom(group, 1);
      } else {
        group.total = saturating_add(group.total, saturating_mul(group.last, count - 1));
        group.last = saturating_mul(group.last, count);
      }
    } else {
      add_atom(group, 1);
    }
  }
  std::size_t cost = 0;
  for (const Group& group : stack) cost = saturating_add(cost, group.total);
  return cost;
}

Result<std::shared_ptr<const std::regex>> compile_pattern(std::string_view pattern) {
  std::regex::flag_type flags =
      std::regex::ECMAScript | std::regex::optimize | std::regex_constants::__polynomial;
  if (pattern.starts_with("(?i)")) {
    flags |= std::regex::icase;
    pattern.remove_prefix(4);
  }
  if (pattern.empty()) return make_error(ErrorKind::kInvalidRequest, "empty pattern");
  if (pattern.size() > kMaxPatternLength) {
    return make_error(ErrorKind::kTooComplexQuery,
                      "pattern longer than " + std::to_string(kMaxPatternLength) + " bytes");
  }
  if (estimate_pattern_cost(pattern) > kMaxPatternCost) {
    return make_error(ErrorKind::kTooComplexQuery, "pattern too complex (counted repetitions)");
  }
  if (has_backreference(pattern)) {
    return make_error(ErrorKind::kInvalidRequest,
                      "invalid regular expression: backreferences are not supported (\\1 to \\9)");
  }
  // Validate the pattern alone first: wrapped, an unbalanced ')' could pair with the wrapper.
  std::string why;
  std::regex alone;
  if (!compile_into(std::string(pattern), flags, alone, why)) {
    return make_error(ErrorKind::kInvalidRequest, "invalid regular expression: " + why);
  }
  // regex_search restarts the automaton at every position (quadratic); one anchored match
  // over "anything, pattern, anything" scans the value once. '^' and '$' keep their meaning
  // because they assert the ends of the whole value, not of the wrapped group.
  auto wrapped = std::make_shared<std::regex>();
  if (!compile_into("[\\s\\S]*(?:" + std::string(pattern) + ")[\\s\\S]*", flags, *wrapped, why)) {
    return make_error(ErrorKind::kInvalidRequest, "invalid regular expression: " + why);
  }
  return std::shared_ptr<const std::regex>(std::move(wrapped));
}

bool pattern_matches(const std::regex& compiled, std::string_view value) {
  if (value.size() > kMaxPatternSubjectLength) return false;
  try {
    return std::regex_match(value.begin(), value.end(), compiled);
  } catch (const std::exception&) {
    return false;  // a resource limit of the engine: treated as no match, never propagated
  }
}

}  // namespace citytwin::query
