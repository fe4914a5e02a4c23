// Recursive-descent parser of the attribute expression language (docs/ingest.md). Grammar,
// lowest precedence first:
//   conditional := or ( "?" conditional ":" conditional )?
//   or          := and ( "||" and )*
//   and         := equality ( "&&" equality )*
//   equality    := relation ( ("==" | "!=") relation )*
//   relation    := additive ( ("<" | "<=" | ">" | ">=") additive )*
//   additive    := term ( ("+" | "-") term )*
//   term        := unary ( ("*" | "/" | "%") unary )*
//   unary       := ("-" | "!") unary | postfix
//   postfix     := primary ( "|" name ( "(" args ")" )? )*       JEXL-style transforms
//   primary     := number | string | true | false | null | name ( "(" args ")" )? | "(" conditional
//   ")"
#include <cctype>
#include <charconv>
#include <string>

#include "citytwin/ingest/expression.hpp"
#include "expression_node.hpp"

namespace citytwin::ingest {
namespace {

using NodePtr = std::shared_ptr<const ExpressionNode>;

class Parser {
 public:
  Parser(std::string_view text, const ExpressionLimits& limits) : text_(text), limits_(limits) {}

  Result<NodePtr> parse() {
    auto root = conditional(0);
    if (!root) return root;
    skip_space();
    if (pos_ < text_.size()) return fail("unexpected '" + std::string(1, text_[pos_]) + "'");
    return root;
  }

 private:
  Error fail(const std::string& what) const {
    return make_error(ErrorKind::kBadRequestData, "expression \"" + std::string(text_) + "\": " +
                                                      what + " at offset " + std::to_string(pos_));
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_).starts_with(token)) {
      pos_ += token.size();
      return true;
    }
    return false;
  }

  // Accepts `op` only when it is not the start of a longer operator (so "|" is not "||").
  bool accept_operator(std::string_view op) {
    skip_space();
    if (!text_.substr(pos_).starts_with(op)) return false;
    char next = pos_ + op.size() < text_.size() ? text_[pos_ + op.size()] : '\0';
    if ((op == "<" || op == ">" || op == "!") && next == '=') return false;
    if (op == "|" && next == '|') return false;
    if (op == "&" && next == '&') return false;
    pos_ += op.size();
    return true;
  }

  Result<NodePtr> make(ExpressionNode node) {
    if (++nodes_ > limits_.max_nodes) {
      return fail("more than " + std::to_string(limits_.max_nodes) + " terms");
    }
    return NodePtr(std::make_shared<const ExpressionNode>(std::move(node)));
  }

  Result<NodePtr> binary(std::string op, NodePtr left, NodePtr right) {
    ExpressionNode node;
    node.kind = ExpressionNode::Kind::kBinary;
    node.op = std::move(op);
    node.children = {std::move(left), std::move(right)};
    return make(std::move(node));
  }

  Status enter(int depth) {
    if (depth > limits_.max_depth) {
      return fail("nested deeper than " + std::to_string(limits_.max_depth));
    }
    return ok_status();
  }

  Result<NodePtr> conditional(int depth) {
    CT_RETURN_IF_ERROR(enter(depth));
    auto test = left_assoc(0, depth);
    if (!test) return test;
    if (!accept("?")) return test;
    auto then = conditional(depth + 1);
    if (!then) return then;
    if (!accept(":")) return fail("expected ':' of the conditional");
    auto otherwise = conditional(depth + 1);
    if (!otherwise) return otherwise;
    ExpressionNode node;
    node.kind = ExpressionNode::Kind::kConditional;
    node.children = {std::move(*test), std::move(*then), std::move(*otherwise)};
    return make(std::move(node));
  }

  // Binary operator levels, loosest first; each is left-associative.
  static constexpr std::string_view kLevels[][4] = {
      {"||"}, {"&&"}, {"==", "!="}, {"<=", ">=", "<", ">"}, {"+", "-"}, {"*", "/", "%"}};
  static constexpr std::size_t kLevelCount = std::size(kLevels);

  Result<NodePtr> left_assoc(std::size_t level, int depth) {
    if (level == kLevelCount) return unary(depth);
    auto left = left_assoc(level + 1, depth);
    if (!left) return left;
    NodePtr result = std::move(*left);
    for (;;) {
      std::string_view matched;
      for (std::string_view op : kLevels[level]) {
        if (!op.empty() && accept_operator(op)) {
          matched = op;
          break;
        }
      }
      if (matched.empty()) return result;
      auto right = left_assoc(level + 1, depth);
      if (!right) return right;
      auto combined = binary(std::string(matched), std::move(result), std::move(*right));
      if (!combined) return combined;
      result = std::move(*combined);
    }
  }

  Result<NodePtr> unary(int depth) {
    CT_RETURN_IF_ERROR(enter(depth));
    for (std::string_view op : {std::string_view("-"), std::string_view("!")}) {
      if (accept_operator(op)) {
        auto operand = unary(depth + 1);
        if (!operand) return operand;
        ExpressionNode node;
        node.kind = ExpressionNode::Kind::kUnary;
        node.op = std::string(op);
        node.children = {std::move(*operand)};
        return make(std::move(node));
      }
    }
    return postfix(depth);
  }

  Result<NodePtr> postfix(int depth) {
    auto subject = primary(depth);
    if (!subject) return subject;
    NodePtr result = std::move(*subject);
    while (accept_operator("|")) {
      skip_space();
      std::string name = take_name();
      if (name.empty()) return fail("expected a function name after '|'");
      ExpressionNode call;
      call.kind = ExpressionNode::Kind::kCall;
      call.name = std::move(name);
      call.children.push_back(std::move(result));
      if (accept("(")) CT_RETURN_IF_ERROR(arguments(call, depth + 1));
      auto made = make(std::move(call));
      if (!made) return made;
      result = std::move(*made);
    }
    return result;
  }

  Status arguments(ExpressionNode& call, int depth) {
    if (accept(")")) return ok_status();
    for (;;) {
      auto argument = conditional(depth);
      if (!argument) return std::move(argument).error();
      call.children.push_back(std::move(*argument));
      if (accept(")")) return ok_status();
      if (!accept(",")) return fail("expected ',' or ')' in the arguments of " + call.name);
    }
  }

  std::string take_name() {
    std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '@') ++start, ++pos_;  // legacy "@field"
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    if (pos_ > start && std::isdigit(static_cast<unsigned char>(text_[start]))) {
      pos_ = start;
      return {};
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  Result<NodePtr> number() {
    std::size_t start = pos_;
    while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E' ||
                                   ((text_[pos_] == '+' || text_[pos_] == '-') && pos_ > start &&
                                    (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')))) {
      ++pos_;
    }
    double parsed = 0;
    auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, parsed);
    if (ec != std::errc() || end != text_.data() + pos_) {
      pos_ = start;
      return fail("malformed number");
    }
    ExpressionNode node;
    node.value = parsed;
    return make(std::move(node));
  }

  Result<NodePtr> quoted() {
    char quote = text_[pos_++];
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\') {
        if (pos_ >= text_.size()) break;
        char escaped = text_[pos_++];
        c = escaped == 'n' ? '\n' : escaped == 't' ? '\t' : escaped;
      }
      out.push_back(c);
    }
    if (pos_ >= text_.size()) return fail("unterminated string");
    ++pos_;
    ExpressionNode node;
    node.value = boost::json::string(out);
    return make(std::move(node));
  }

  Result<NodePtr> primary(int depth) {
    CT_RETURN_IF_ERROR(enter(depth));
    skip_space();
    if (pos_ >= text_.size()) return fail("unexpected end");
    char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      auto inner = conditional(depth + 1);
      if (!inner) return inner;
      if (!accept(")")) return fail("expected ')'");
      return inner;
    }
    if (c == '"' || c == '\'') return quoted();
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number();
    std::string name = take_name();
    if (name.empty()) return fail("unexpected '" + std::string(1, c) + "'");
    ExpressionNode node;
    if (name == "true" || name == "false") {
      node.value = name == "true";
      return make(std::move(node));
    }
    if (name == "null") return make(std::move(node));
    if (accept("(")) {
      node.kind = ExpressionNode::Kind::kCall;
      node.name = std::move(name);
      CT_RETURN_IF_ERROR(arguments(node, depth + 1));
      return make(std::move(node));
    }
    node.kind = ExpressionNode::Kind::kField;
    node.name = std::move(name);
    return make(std::move(node));
  }

  std::string_view text_;
  const ExpressionLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t nodes_ = 0;
};

// "${ ... }" (the IoT Agent's legacy expression syntax) -> its body.
std::string_view strip_legacy_wrapper(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.size() >= 3 && text.starts_with("${") && text.ends_with("}")) {
    return text.substr(2, text.size() - 3);
  }
  return text;
}

}  // namespace

Expression::Expression(std::string text, std::shared_ptr<const ExpressionNode> root,
                       ExpressionLimits limits)
    : text_(std::move(text)), root_(std::move(root)), limits_(limits) {}

Result<Expression> Expression::compile(std::string_view text, const ExpressionLimits& limits) {
  if (text.size() > limits.max_length) {
    return make_error(ErrorKind::kBadRequestData,
                      "expression longer than " + std::to_string(limits.max_length) + " bytes");
  }
  std::string_view body = strip_legacy_wrapper(text);
  if (body.empty()) return make_error(ErrorKind::kBadRequestData, "expression is empty");
  Parser parser(body, limits);
  auto root = parser.parse();
  if (!root) return std::move(root).error();
  return Expression(std::string(text), std::move(*root), limits);
}

}  // namespace citytwin::ingest
