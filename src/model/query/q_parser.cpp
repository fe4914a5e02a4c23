#include "q_parser.hpp"

#include <array>
#include <string>
#include <utility>

#include "citytwin/model/query/query_limits.hpp"
#include "q_lexer.hpp"
#include "q_literal.hpp"
#include "q_pattern.hpp"

namespace citytwin::query {
namespace {

// The members of an attribute instance that a path step may name directly (clause 4.9:
// "a.observedAt" etc. address the instance's own members, clause 4.5.2).
constexpr std::array<std::string_view, 5> kInstanceMembers = {"observedAt", "unitCode", "datasetId",
                                                              "createdAt", "modifiedAt"};

bool is_instance_member(std::string_view name) {
  for (std::string_view member : kInstanceMembers) {
    if (name == member) return true;
  }
  return false;
}

struct OperatorSpelling {
  std::string_view text;
  ComparisonOp op;
};

// Longest spellings first so that "!~=" is not read as "!=" and ">=" not as ">".
constexpr std::array<OperatorSpelling, 8> kOperators = {{
    {"==", ComparisonOp::kEqual},
    {"!~=", ComparisonOp::kNotPattern},
    {"!=", ComparisonOp::kUnequal},
    {">=", ComparisonOp::kGreaterEqual},
    {">", ComparisonOp::kGreater},
    {"<=", ComparisonOp::kLessEqual},
    {"<", ComparisonOp::kLess},
    {"~=", ComparisonOp::kPattern},
}};

bool is_equality(ComparisonOp op) {
  return op == ComparisonOp::kEqual || op == ComparisonOp::kUnequal;
}

bool is_pattern(ComparisonOp op) {
  return op == ComparisonOp::kPattern || op == ComparisonOp::kNotPattern;
}

// Range bounds must be ordered the same way: a number with a number, a string with a string,
// and a DateTime or Date with a DateTime or Date (both are instants), a Time with a Time.
bool same_order_family(LiteralKind a, LiteralKind b) {
  auto family = [](LiteralKind kind) {
    return kind == LiteralKind::kDate ? LiteralKind::kDateTime : kind;
  };
  return family(a) == family(b);
}

class Parser {
 public:
  Parser(std::string_view q, const jsonld::TermMapper& terms) : lexer_(q), terms_(terms) {}

  Result<QueryNode> parse() {
    if (lexer_.at_end()) return lexer_.error_here("q is empty");
    auto root = parse_or(0);
    if (!root.ok()) return std::move(root).error();
    if (!lexer_.at_end()) {
      if (lexer_.peek() == ')') return lexer_.error_here("unbalanced ')'");
      return lexer_.error_here("expected ';', '|' or end of q but found " +
                               lexer_.describe_current());
    }
    return root;
  }

 private:
  Result<QueryNode> parse_or(int depth) { return parse_chain(depth, '|', QueryNode::Kind::kOr); }

  // and_expr when separator is ';', or_expr when it is '|'. Nested nodes of the same kind are
  // flattened so that required_attributes() sees every conjunct of "(a;b);c".
  Result<QueryNode> parse_chain(int depth, char separator, QueryNode::Kind kind) {
    auto first =
        separator == '|' ? parse_chain(depth, ';', QueryNode::Kind::kAnd) : parse_primary(depth);
    if (!first.ok() || lexer_.peek() != separator) return first;
    QueryNode node;
    node.kind = kind;
    append_flattened(node, std::move(first).value());
    while (lexer_.consume(separator)) {
      auto next =
          separator == '|' ? parse_chain(depth, ';', QueryNode::Kind::kAnd) : parse_primary(depth);
      if (!next.ok()) return next;
      append_flattened(node, std::move(next).value());
    }
    return node;
  }

  static void append_flattened(QueryNode& parent, QueryNode child) {
    if (child.kind != parent.kind) {
      parent.children.push_back(std::move(child));
      return;
    }
    for (QueryNode& grandchild : child.children) parent.children.push_back(std::move(grandchild));
  }

  Result<QueryNode> parse_primary(int depth) {
    std::size_t open_at = lexer_.pos();
    if (!lexer_.consume('(')) return parse_term();
    if (depth + 1 > kMaxNestingDepth) {
      return make_error(ErrorKind::kTooComplexQuery,
                        "q: at position " + std::to_string(open_at + 1) +
                            ": parentheses nested deeper than " + std::to_string(kMaxNestingDepth));
    }
    auto inner = parse_or(depth + 1);
    if (!inner.ok()) return inner;
    if (!lexer_.consume(')')) {
      return lexer_.error_here("expected ')' to close the '(' at position " +
                               std::to_string(open_at + 1) + " but found " +
                               lexer_.describe_current());
    }
    return inner;
  }

  Result<QueryNode> parse_term() {
    QueryNode node;
    QueryTerm& term = node.term;
    bool negated = lexer_.consume('!');
    auto path = parse_path();
    if (!path.ok()) return std::move(path).error();
    term.path = std::move(path).value();
    if (at_term_end()) {
      term.op = negated ? ComparisonOp::kNotExists : ComparisonOp::kExists;
      return node;
    }
    if (negated) {
      return lexer_.error_here("'!" + term.path.written +
                               "' tests non-existence and takes no operator");
    }
    auto op = parse_operator();
    if (!op.ok()) return std::move(op).error();
    term.op = op.value();
    Status status = is_pattern(term.op) ? parse_pattern(term) : parse_values(term);
    if (!status.ok()) return std::move(status).error();
    if (!at_term_end()) {
      return lexer_.error_here("expected ';', '|', ')' or end of q after the value but found " +
                               lexer_.describe_current());
    }
    return node;
  }

  bool at_term_end() const {
    char c = lexer_.peek();
    return lexer_.at_end() || c == ';' || c == '|' || c == ')';
  }

  Result<std::string> parse_name(std::string_view what) {
    std::string_view name = lexer_.take_name();
    if (name.empty()) {
      return lexer_.error_here("expected " + std::string(what) + " but found " +
                               lexer_.describe_current());
    }
    if (name.front() == '-' || name.front() == ':') {
      return lexer_.error_at(lexer_.pos() - name.size(),
                             "invalid name '" + std::string(name) + "'");
    }
    return std::string(name);
  }

  Result<AttrPath> parse_path() {
    std::size_t start = lexer_.pos();
    AttrPath path;
    auto attr = parse_name("an attribute name or '('");
    if (!attr.ok()) return std::move(attr).error();
    path.attr = terms_.expand(attr.value());
    while (lexer_.consume('.')) {
      auto step = parse_name("a sub-attribute name after '.'");
      if (!step.ok()) return std::move(step).error();
      bool member = is_instance_member(step.value());
      path.steps.push_back({member, member ? step.value() : terms_.expand(step.value())});
    }
    while (lexer_.peek() == '[') {
      Status status = parse_bracket(path);
      if (!status.ok()) return std::move(status).error();
    }
    path.written = std::string(lexer_.text_between(start));
    return path;
  }

  // "[x]" or "[x.y]": keys inside a compound value (clause 4.9 compoundAttrName).
  Status parse_bracket(AttrPath& path) {
    std::size_t open_at = lexer_.pos();
    lexer_.consume('[');
    do {
      auto key = parse_name("a member name inside '[...]'");
      if (!key.ok()) return std::move(key).error();
      path.members.push_back(std::move(key).value());
    } while (lexer_.consume('.'));
    if (!lexer_.consume(']')) {
      return lexer_.error_here("expected ']' to close the '[' at position " +
                               std::to_string(open_at + 1) + " but found " +
                               lexer_.describe_current());
    }
    return ok_status();
  }

  Result<ComparisonOp> parse_operator() {
    for (const OperatorSpelling& spelling : kOperators) {
      if (lexer_.consume(spelling.text)) return spelling.op;
    }
    return lexer_.error_here(
        "expected an operator (==, !=, >, >=, <, <=, ~=, !~=) or ';', '|', ')' but found " +
        lexer_.describe_current());
  }

  Status parse_pattern(QueryTerm& term) {
    std::size_t start = lexer_.pos();
    std::string text;
    if (lexer_.peek() == '"') {
      auto quoted = lexer_.take_quoted();
      if (!quoted.ok()) return std::move(quoted).error();
      text = std::move(quoted).value();
    } else {
      text = std::string(lexer_.take_raw_pattern());
    }
    if (text.empty()) return lexer_.error_at(start, "expected a pattern after the operator");
    auto compiled = compile_pattern(text);
    if (!compiled.ok()) return at_position(start, std::move(compiled).error());
    term.pattern = std::move(compiled).value();
    return ok_status();
  }

  // Value, value list (a==1,2,3) or range (a==1..5); lists and ranges only with == and !=
  // (clause 4.9 CompEqualityValue).
  Status parse_values(QueryTerm& term) {
    std::size_t start = lexer_.pos();
    auto first = parse_value();
    if (!first.ok()) return std::move(first).error();
    term.values.push_back(std::move(first).value());
    if (lexer_.peek_is("..")) {
      std::size_t dots_at = lexer_.pos();
      lexer_.consume("..");
      if (!is_equality(term.op)) return lexer_.error_at(dots_at, "a range needs == or !=");
      auto high = parse_value();
      if (!high.ok()) return std::move(high).error();
      term.values.push_back(std::move(high).value());
      term.is_range = true;
      const Literal& low = term.values[0];
      if (!is_comparable_kind(low.kind) || !same_order_family(low.kind, term.values[1].kind)) {
        return lexer_.error_at(start, "range bounds must both be numbers, strings, dates or times");
      }
      return ok_status();
    }
    while (lexer_.peek() == ',') {
      if (!is_equality(term.op)) return lexer_.error_here("a value list needs == or !=");
      lexer_.consume(',');
      auto next = parse_value();
      if (!next.ok()) return std::move(next).error();
      term.values.push_back(std::move(next).value());
    }
    if (!is_equality(term.op) && !is_comparable_kind(term.values[0].kind)) {
      return lexer_.error_at(start, "ordering operators need a number, string, date or time");
    }
    return ok_status();
  }

  Result<Literal> parse_value() {
    std::size_t start = lexer_.pos();
    Literal literal;
    if (lexer_.peek() == '"') {
      auto quoted = lexer_.take_quoted();
      if (!quoted.ok()) return std::move(quoted).error();
      literal.kind = LiteralKind::kString;
      literal.text = std::move(quoted).value();
    } else {
      std::string_view word = lexer_.take_bare_value();
      if (word.empty()) {
        return lexer_.error_here("expected a value but found " + lexer_.describe_current());
      }
      auto parsed = parse_bare_literal(word);
      if (!parsed.ok()) return at_position(start, std::move(parsed).error());
      literal = std::move(parsed).value();
    }
    if (literal.kind == LiteralKind::kString || literal.kind == LiteralKind::kText) {
      literal.expanded = terms_.expand(literal.text);
    }
    return literal;
  }

  // Prefixes an error from a position-free helper with the position in q.
  Error at_position(std::size_t at, Error error) const {
    error.detail = "q: at position " + std::to_string(at + 1) + ": " + error.detail;
    return error;
  }

  QLexer lexer_;
  const jsonld::TermMapper& terms_;
};

}  // namespace

Result<QueryNode> parse_q(std::string_view q, const jsonld::TermMapper& terms) {
  if (q.size() > kMaxQueryLength) {
    return make_error(ErrorKind::kTooComplexQuery,
                      "q longer than " + std::to_string(kMaxQueryLength) + " bytes");
  }
  return Parser(q, terms).parse();
}

}  // namespace citytwin::query
