// Evaluation of compiled attribute expressions (docs/ingest.md, "Expressions"). Every node is
// visited at most once (the conditional and && / || skip the branch not taken), so the work
// is bounded by the node limit of the parser. Errors are values: a failed evaluation names
// the operator or function and the offending operand.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <span>
#include <string>

#include "citytwin/ingest/expression.hpp"
#include "expression_node.hpp"

namespace citytwin::ingest {
namespace {

using boost::json::value;
using Node = ExpressionNode;

Error type_error(const std::string& what) {
  return make_error(ErrorKind::kBadRequestData, what);
}

std::optional<double> number_of(const value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}

// A number as JSON: integral values within the exactly representable range become integers,
// so "40" stays 40 and not 40.0 in the twin.
value number_value(double x) {
  if (std::isfinite(x) && std::floor(x) == x && std::fabs(x) < 9007199254740992.0) {
    return static_cast<std::int64_t>(x);
  }
  return x;
}

std::string number_text(double x) {
  value v = number_value(x);
  if (v.is_int64()) return std::to_string(v.get_int64());
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
  return ec == std::errc() ? std::string(buffer, end) : std::string("NaN");
}

// Text of a scalar for concatenation and toString.
std::string text_of(const value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (auto x = number_of(v)) return number_text(*x);
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  return "null";
}

bool truthy(const value& v) {
  if (v.is_null()) return false;
  if (v.is_bool()) return v.get_bool();
  if (auto x = number_of(v)) return *x != 0 && !std::isnan(*x);
  if (v.is_string()) return !v.get_string().empty();
  return true;
}

// Strings that are numbers ("23.5", as UltraLight sends them) take part in arithmetic.
std::optional<double> numeric(const value& v) {
  if (auto x = number_of(v)) return x;
  if (!v.is_string()) return std::nullopt;
  std::string_view text = v.get_string();
  double parsed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return parsed;
}

class Evaluator {
 public:
  Evaluator(const Expression::Fields& fields, const ExpressionLimits& limits)
      : fields_(fields), limits_(limits) {}

  Result<value> eval(const Node& node) {
    switch (node.kind) {
      case Node::Kind::kLiteral:
        return node.value;
      case Node::Kind::kField: {
        const value* found = fields_ ? fields_(node.name) : nullptr;
        return found != nullptr ? *found : value();
      }
      case Node::Kind::kUnary:
        return unary(node);
      case Node::Kind::kBinary:
        return binary(node);
      case Node::Kind::kConditional: {
        auto test = eval(*node.children[0]);
        if (!test) return test;
        return eval(*node.children[truthy(*test) ? 1 : 2]);
      }
      case Node::Kind::kCall:
        return call(node);
    }
    return type_error("unknown expression node");
  }

 private:
  Result<value> unary(const Node& node) {
    auto operand = eval(*node.children[0]);
    if (!operand) return operand;
    if (node.op == "!") return value(!truthy(*operand));
    if (operand->is_null()) return value();
    auto x = numeric(*operand);
    if (!x) return type_error("'-' needs a number, got " + text_of(*operand));
    return number_value(-*x);
  }

  Result<value> checked_string(std::string text) {
    if (text.size() > limits_.max_string) {
      return type_error("string result longer than " + std::to_string(limits_.max_string) +
                        " bytes");
    }
    return value(boost::json::string(text));
  }

  static std::optional<bool> compare(const std::string& op, const value& a, const value& b) {
    auto x = number_of(a);
    auto y = number_of(b);
    if (x && y) {
      if (op == "<") return *x < *y;
      if (op == "<=") return *x <= *y;
      if (op == ">") return *x > *y;
      return *x >= *y;
    }
    if (a.is_string() && b.is_string()) {
      int c = a.get_string().compare(b.get_string());
      if (op == "<") return c < 0;
      if (op == "<=") return c <= 0;
      if (op == ">") return c > 0;
      return c >= 0;
    }
    return std::nullopt;
  }

  static bool equal(const value& a, const value& b) {
    auto x = number_of(a);
    auto y = number_of(b);
    if (x && y) return *x == *y;
    return a == b;
  }

  Result<value> binary(const Node& node) {
    const std::string& op = node.op;
    auto left = eval(*node.children[0]);
    if (!left) return left;
    if (op == "&&") return truthy(*left) ? eval(*node.children[1]) : left;
    if (op == "||") return truthy(*left) ? left : eval(*node.children[1]);
    auto right = eval(*node.children[1]);
    if (!right) return right;
    if (op == "==") return value(equal(*left, *right));
    if (op == "!=") return value(!equal(*left, *right));
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      auto result = compare(op, *left, *right);
      if (!result) {
        return type_error("'" + op + "' compares numbers or strings, got " + text_of(*left) +
                          " and " + text_of(*right));
      }
      return value(*result);
    }
    if (op == "+" && (left->is_string() || right->is_string())) {
      return checked_string(text_of(*left) + text_of(*right));
    }
    // A missing field makes the whole arithmetic null: the attribute is then not written
    // (as the IoT Agent skips null expression results).
    if (left->is_null() || right->is_null()) return value();
    auto x = numeric(*left);
    auto y = numeric(*right);
    if (!x || !y) {
      return type_error("'" + op + "' needs numbers, got " + text_of(*left) + " and " +
                        text_of(*right));
    }
    if (op == "+") return number_value(*x + *y);
    if (op == "-") return number_value(*x - *y);
    if (op == "*") return number_value(*x * *y);
    if (*y == 0) return type_error("division by zero");
    if (op == "/") return number_value(*x / *y);
    return number_value(std::fmod(*x, *y));
  }

  Result<value> call(const Node& node) {
    std::vector<value> args;
    args.reserve(node.children.size());
    for (const auto& child : node.children) {
      auto arg = eval(*child);
      if (!arg) return arg;
      args.push_back(std::move(*arg));
    }
    return apply(node.name, args);
  }

  Status arity(const std::string& name, std::span<const value> args, std::size_t min,
               std::size_t max) {
    if (args.size() < min || args.size() > max) {
      return type_error(name + "() takes " + std::to_string(min) +
                        (max == min ? "" : " to " + std::to_string(max)) + " arguments, got " +
                        std::to_string(args.size()));
    }
    return ok_status();
  }

  Result<double> number_arg(const std::string& name, const value& arg) {
    auto x = numeric(arg);
    if (!x) return type_error(name + "() needs a number, got " + text_of(arg));
    return *x;
  }

  Result<value> math(const std::string& name, std::span<const value> args) {
    CT_RETURN_IF_ERROR(arity(name, args, 1, name == "round" ? 2 : 1));
    if (args[0].is_null()) return value();
    auto x = number_arg(name, args[0]);
    if (!x) return std::move(x).error();
    if (name == "round") {
      double digits = 0;
      if (args.size() == 2) {
        auto d = number_arg(name, args[1]);
        if (!d) return std::move(d).error();
        digits = std::clamp(std::floor(*d), 0.0, 15.0);
      }
      double scale = std::pow(10.0, digits);
      return number_value(std::round(*x * scale) / scale);
    }
    if (name == "floor") return number_value(std::floor(*x));
    if (name == "ceil") return number_value(std::ceil(*x));
    if (name == "abs") return number_value(std::fabs(*x));
    if (*x < 0) return type_error("sqrt() of a negative number");
    return number_value(std::sqrt(*x));
  }

  Result<value> extreme(const std::string& name, std::span<const value> args) {
    if (args.empty()) return type_error(name + "() needs at least one argument");
    std::optional<double> best;
    for (const auto& arg : args) {
      auto x = number_arg(name, arg);
      if (!x) return std::move(x).error();
      if (!best || (name == "min" ? *x < *best : *x > *best)) best = *x;
    }
    return number_value(*best);
  }

  Result<value> text_function(const std::string& name, std::span<const value> args) {
    CT_RETURN_IF_ERROR(arity(name, args, 1, name == "substr" ? 3 : 1));
    if (args[0].is_null()) return value();
    std::string text = text_of(args[0]);
    if (name == "toUpper" || name == "toLower") {
      bool upper = name == "toUpper";
      for (char& c : text) {
        c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                    : std::tolower(static_cast<unsigned char>(c)));
      }
      return checked_string(std::move(text));
    }
    if (name == "trim") {
      auto first = text.find_first_not_of(" \t\r\n");
      auto last = text.find_last_not_of(" \t\r\n");
      return checked_string(first == std::string::npos ? "" : text.substr(first, last - first + 1));
    }
    if (name == "length") return value(static_cast<std::int64_t>(text.size()));
    if (name == "toString") return checked_string(std::move(text));
    // substr(text, start[, length])
    if (args.size() < 2) return type_error("substr() needs a start position");
    auto start = number_arg(name, args[1]);
    if (!start) return std::move(start).error();
    double from = std::clamp(std::floor(*start), 0.0, static_cast<double>(text.size()));
    double count = static_cast<double>(text.size()) - from;
    if (args.size() == 3) {
      auto length = number_arg(name, args[2]);
      if (!length) return std::move(length).error();
      count = std::clamp(std::floor(*length), 0.0, count);
    }
    return checked_string(
        text.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(count)));
  }

  Result<value> apply(const std::string& name, std::span<const value> args) {
    if (name == "round" || name == "floor" || name == "ceil" || name == "abs" || name == "sqrt") {
      return math(name, args);
    }
    if (name == "min" || name == "max") return extreme(name, args);
    if (name == "toUpper" || name == "toLower" || name == "trim" || name == "length" ||
        name == "toString" || name == "substr") {
      return text_function(name, args);
    }
    if (name == "toNumber" || name == "parseFloat" || name == "parseInt") {
      CT_RETURN_IF_ERROR(arity(name, args, 1, 1));
      if (args[0].is_null()) return value();
      auto x = numeric(args[0]);
      if (!x) return type_error(name + "() cannot read a number from " + text_of(args[0]));
      return number_value(name == "parseInt" ? std::trunc(*x) : *x);
    }
    return type_error("unknown function " + name + "()");
  }

  const Expression::Fields& fields_;
  const ExpressionLimits& limits_;
};

}  // namespace

Result<boost::json::value> Expression::evaluate(const Fields& fields) const {
  Evaluator evaluator(fields, limits_);
  auto result = evaluator.eval(*root_);
  if (!result) {
    Error error = std::move(result).error();
    error.detail = "expression \"" + text_ + "\": " + error.detail;
    return error;
  }
  if (auto x = number_of(*result)) {
    if (!std::isfinite(*x)) {
      return make_error(ErrorKind::kBadRequestData,
                        "expression \"" + text_ + "\": result is not a finite number");
    }
    return number_value(*x);  // integral numbers as integers, whatever produced them
  }
  return result;
}

}  // namespace citytwin::ingest
