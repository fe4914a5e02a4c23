#include "q_evaluator.hpp"

#include <algorithm>

#include "q_compare.hpp"
#include "q_pattern.hpp"
#include "q_target.hpp"

namespace citytwin::query {
namespace {

bool satisfies(ComparisonOp op, std::partial_ordering order) {
  switch (op) {
    case ComparisonOp::kGreater:
      return order > 0;
    case ComparisonOp::kGreaterEqual:
      return order >= 0;
    case ComparisonOp::kLess:
      return order < 0;
    case ComparisonOp::kLessEqual:
      return order <= 0;
    default:
      return order == 0;
  }
}

// The "==" test of one leaf: inside low..high (inclusive), or equal to one listed value.
bool equals_any(const QueryTerm& term, const Target& leaf) {
  if (term.is_range) {
    return compare_value(*leaf.value, term.values[0], leaf.vocab) >= 0 &&
           compare_value(*leaf.value, term.values[1], leaf.vocab) <= 0;
  }
  return std::any_of(term.values.begin(), term.values.end(), [&](const Literal& literal) {
    return compare_value(*leaf.value, literal, leaf.vocab) == 0;
  });
}

bool leaf_matches_pattern(const QueryTerm& term, const Target& leaf) {
  return leaf.value->is_string() && pattern_matches(*term.pattern, leaf.value->get_string());
}

bool leaf_satisfies(const QueryTerm& term, const Target& leaf) {
  switch (term.op) {
    case ComparisonOp::kEqual:
    case ComparisonOp::kUnequal:
      return equals_any(term, leaf);
    case ComparisonOp::kPattern:
    case ComparisonOp::kNotPattern:
      return leaf_matches_pattern(term, leaf);
    default:
      return satisfies(term.op, compare_value(*leaf.value, term.values[0], leaf.vocab));
  }
}

}  // namespace

// The negative operators are the complement of the positive ones over the same target, and
// like them require the target to exist (clause 4.9: a term on a missing attribute is false):
// "a!=v" holds when a exists and none of its values (any instance, any array element) equals
// any listed value (or lies in the range); "a!~=p" when a exists and no string value
// matches p.
bool evaluate_term(const QueryTerm& term, const boost::json::object& entity) {
  std::vector<Target> targets = resolve_targets(entity, term.path);
  if (term.op == ComparisonOp::kExists) return !targets.empty();
  if (term.op == ComparisonOp::kNotExists) return targets.empty();
  std::vector<Target> leaves;
  for (const Target& target : targets) append_leaves(target, leaves);
  bool any = std::any_of(leaves.begin(), leaves.end(),
                         [&](const Target& leaf) { return leaf_satisfies(term, leaf); });
  if (term.op == ComparisonOp::kUnequal || term.op == ComparisonOp::kNotPattern) {
    return !targets.empty() && !any;
  }
  return any;
}

bool evaluate(const QueryNode& node, const boost::json::object& entity) {
  switch (node.kind) {
    case QueryNode::Kind::kTerm:
      return evaluate_term(node.term, entity);
    case QueryNode::Kind::kAnd:
      return std::all_of(node.children.begin(), node.children.end(),
                         [&](const QueryNode& child) { return evaluate(child, entity); });
    case QueryNode::Kind::kOr:
      return std::any_of(node.children.begin(), node.children.end(),
                         [&](const QueryNode& child) { return evaluate(child, entity); });
  }
  return false;
}

}  // namespace citytwin::query
