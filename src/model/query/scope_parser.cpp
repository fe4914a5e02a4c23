#include "scope_parser.hpp"

#include <algorithm>
#include <string>

#include "citytwin/model/query/query_limits.hpp"

namespace citytwin::query {
namespace {

bool is_scope_operator(char c) {
  return c == ',' || c == '|' || c == ';' || c == '(' || c == ')';
}

class ScopeParser {
 public:
  explicit ScopeParser(std::string_view text) : text_(text) {}

  Result<ScopeNode> parse() {
    if (text_.empty()) return error_at(0, "scopeQ is empty");
    auto root = parse_or(0);
    if (!root.ok()) return root;
    if (pos_ < text_.size()) {
      return error_at(pos_, text_[pos_] == ')'
                                ? "unbalanced ')'"
                                : "unexpected '" + std::string(1, text_[pos_]) + "'");
    }
    return root;
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  Result<ScopeNode> parse_or(int depth) {
    auto first = parse_and(depth);
    if (!first.ok() || (peek() != ',' && peek() != '|')) return first;
    ScopeNode node;
    node.kind = ScopeNode::Kind::kOr;
    node.children.push_back(std::move(first).value());
    while (pos_ < text_.size() && (peek() == ',' || peek() == '|')) {
      ++pos_;
      auto next = parse_and(depth);
      if (!next.ok()) return next;
      node.children.push_back(std::move(next).value());
    }
    return node;
  }

  Result<ScopeNode> parse_and(int depth) {
    auto first = parse_primary(depth);
    if (!first.ok() || peek() != ';') return first;
    ScopeNode node;
    node.kind = ScopeNode::Kind::kAnd;
    node.children.push_back(std::move(first).value());
    while (pos_ < text_.size() && peek() == ';') {
      ++pos_;
      auto next = parse_primary(depth);
      if (!next.ok()) return next;
      node.children.push_back(std::move(next).value());
    }
    return node;
  }

  Result<ScopeNode> parse_primary(int depth) {
    std::size_t start = pos_;
    if (pos_ < text_.size() && peek() == '(') {
      if (depth + 1 > kMaxNestingDepth) {
        return make_error(
            ErrorKind::kTooComplexQuery,
            "scopeQ: at position " + std::to_string(start + 1) + ": parentheses nested too deeply");
      }
      ++pos_;
      auto inner = parse_or(depth + 1);
      if (!inner.ok()) return inner;
      if (pos_ >= text_.size() || peek() != ')') {
        return error_at(pos_,
                        "expected ')' to close the '(' at position " + std::to_string(start + 1));
      }
      ++pos_;
      return inner;
    }
    while (pos_ < text_.size() && !is_scope_operator(text_[pos_])) ++pos_;
    if (pos_ == start) return error_at(start, "expected a scope or '('");
    std::string why;
    auto pattern = parse_scope_pattern(text_.substr(start, pos_ - start), why);
    if (!pattern) return error_at(start, why);
    ScopeNode node;
    node.pattern = std::move(*pattern);
    return node;
  }

  Error error_at(std::size_t at, std::string_view what) const {
    return make_error(ErrorKind::kInvalidRequest,
                      "scopeQ: at position " + std::to_string(at + 1) + ": " + std::string(what));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<ScopeNode> parse_scope_query(std::string_view scope_q) {
  if (scope_q.size() > kMaxQueryLength) {
    return make_error(ErrorKind::kTooComplexQuery,
                      "scopeQ longer than " + std::to_string(kMaxQueryLength) + " bytes");
  }
  return ScopeParser(scope_q).parse();
}

bool evaluate_scope(const ScopeNode& node, const std::vector<std::string_view>& scopes) {
  auto child_matches = [&](const ScopeNode& child) { return evaluate_scope(child, scopes); };
  switch (node.kind) {
    case ScopeNode::Kind::kPattern:
      return std::any_of(scopes.begin(), scopes.end(),
                         [&](std::string_view scope) { return node.pattern.matches(scope); });
    case ScopeNode::Kind::kAnd:
      return std::all_of(node.children.begin(), node.children.end(), child_matches);
    case ScopeNode::Kind::kOr:
      return std::any_of(node.children.begin(), node.children.end(), child_matches);
  }
  return false;
}

}  // namespace citytwin::query
