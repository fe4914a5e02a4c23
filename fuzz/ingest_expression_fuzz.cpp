// The attribute expression language of device provisioning (src/ingest/expression.hpp,
// docs/ingest.md "Expressions"): a provisioning client writes the text, a device supplies the
// field values. The first input line is the expression, compiled with the default limits and
// with tight ones; what compiles is evaluated against fields of every JSON scalar kind, the
// values taken from the following lines. Evaluation steps are bounded: every node is
// evaluated at most once, so the field lookups of one evaluation never exceed max_nodes.
// Results are JSON scalars, strings at most max_string bytes, numbers finite, and evaluating
// twice gives the same result (the language is pure).

#include <algorithm>
#include <boost/json/value.hpp>
#include <cmath>
#include <map>
#include <string>

#include "citytwin/ingest/expression.hpp"
#include "fuzz_support.hpp"

namespace {

using citytwin::ingest::Expression;
using citytwin::ingest::ExpressionLimits;

// Field values a device could send: the later input lines as strings and as UltraLight-style
// numbers, plus fixed values of each kind under short names the dictionary knows.
std::map<std::string, boost::json::value, std::less<>> make_fields(
    const std::vector<std::string_view>& lines) {
  std::map<std::string, boost::json::value, std::less<>> fields = {{"t", 21.5},
                                                                   {"h", 40},
                                                                   {"n", -3},
                                                                   {"b", true},
                                                                   {"z", nullptr},
                                                                   {"e", ""},
                                                                   {"big", 1e308},
                                                                   {"neg", -9223372036854775807LL},
                                                                   {"u", 18446744073709551615ULL}};
  fields["s"] = boost::json::string(lines[1]);
  fields["id"] = boost::json::string(lines[2]);
  return fields;
}

void check(const Expression& expression, const ExpressionLimits& limits,
           const std::map<std::string, boost::json::value, std::less<>>& fields) {
  std::size_t lookups = 0;
  Expression::Fields lookup = [&](std::string_view name) -> const boost::json::value* {
    ++lookups;
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  };
  auto first = expression.evaluate(lookup);
  if (lookups > limits.max_nodes) citytwin::fuzz::fail("more field lookups than nodes");
  auto second = expression.evaluate(lookup);
  if (first.ok() != second.ok()) citytwin::fuzz::fail("evaluation is not deterministic");
  if (!first.ok()) {
    if (first.error().detail.empty()) citytwin::fuzz::fail("evaluation error without a detail");
    return;
  }
  if (!(*first == *second)) citytwin::fuzz::fail("evaluation gave two results");
  const boost::json::value& result = *first;
  if (result.is_object() || result.is_array()) citytwin::fuzz::fail("result is not a scalar");
  // max_string bounds what concatenations and functions build; a string literal (bounded by
  // max_length) or a field value is returned as it is.
  std::size_t longest_input = limits.max_length;
  for (const auto& [name, value] : fields) {
    if (const auto* text = value.if_string()) longest_input = std::max(longest_input, text->size());
  }
  if (const auto* text = result.if_string();
      text && text->size() > std::max(limits.max_string, longest_input)) {
    citytwin::fuzz::fail("result string longer than max_string");
  }
  if (const auto* number = result.if_double(); number && !std::isfinite(*number)) {
    citytwin::fuzz::fail("result is not a finite number");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace citytwin;
  auto lines = fuzz::split_lines(fuzz::as_text(data, size), 3);
  auto fields = make_fields(lines);
  ExpressionLimits tight;
  tight.max_length = 200;
  tight.max_depth = 6;
  tight.max_nodes = 24;
  tight.max_string = 64;
  for (const ExpressionLimits& limits : {ExpressionLimits{}, tight}) {
    auto expression = Expression::compile(lines[0], limits);
    if (!expression.ok()) {
      if (expression.error().detail.empty()) fuzz::fail("rejected expression without a detail");
      continue;
    }
    if (expression->text().size() > limits.max_length) fuzz::fail("over-long text compiled");
    check(*expression, limits, fields);
  }
  return 0;
}
