#pragma once

// The attribute expression language of device provisioning (docs/ingest.md, "Expressions"):
// a small JEXL-like language to convert units, scale and combine measured fields. It has
// literals, field references, arithmetic, comparison, logic, the conditional operator and a
// fixed set of pure functions; no assignment, loops, recursion or host access, so evaluating
// it cannot run code. Parsing bounds the length, nesting depth and node count, and every node
// is evaluated at most once, so evaluation time is bounded by the size of the expression.

#include <boost/json/value.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::ingest {

struct ExpressionLimits {
  // Longest expression text accepted, in bytes. Default 1024.
  std::size_t max_length = 1024;
  // Deepest nesting of sub-expressions (parentheses, operators, calls). Default 32.
  int max_depth = 32;
  // Most syntax nodes; also bounds the evaluation steps. Default 256.
  std::size_t max_nodes = 256;
  // Longest string a concatenation or function may produce, in bytes. Default 4096.
  std::size_t max_string = 4096;
};

struct ExpressionNode;

// A compiled expression. Values are JSON scalars: null, bool, number, string.
class Expression {
 public:
  // Looks up a field by name; null when the field is absent (the expression sees null).
  using Fields = std::function<const boost::json::value*(std::string_view name)>;

  // Parses `text`. The legacy IoT Agent form "${@t * 10}" is accepted too: the "${...}"
  // wrapper and '@' before field names are dropped. Errors (kBadRequestData) say where.
  static Result<Expression> compile(std::string_view text, const ExpressionLimits& limits = {});

  // Evaluates against `fields`. Errors (kBadRequestData) for type errors, division by zero,
  // unknown functions' wrong arity and over-long strings; never throws.
  Result<boost::json::value> evaluate(const Fields& fields) const;

  const std::string& text() const { return text_; }

 private:
  Expression(std::string text, std::shared_ptr<const ExpressionNode> root, ExpressionLimits limits);

  std::string text_;
  std::shared_ptr<const ExpressionNode> root_;
  ExpressionLimits limits_;
};

}  // namespace citytwin::ingest
