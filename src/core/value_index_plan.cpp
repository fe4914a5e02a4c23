#include "citytwin/core/value_index_plan.hpp"

#include <algorithm>
#include <iterator>

#include "citytwin/common/instant.hpp"
#include "citytwin/core/value_key.hpp"

namespace citytwin::core {
namespace {

using query::ComparisonOp;
using query::Literal;
using query::LiteralKind;
using query::QueryNode;
using query::QueryTerm;
using store::ValueRange;

// How attractive a plan is; lower is better.
enum class Rank { kEquality, kTwoSided, kOneSided };

struct Candidate {
  Rank rank = Rank::kOneSided;
  ValuePlan plan;
};

// q compares two strings that both read as a DateTime, a Date or a Time as instants
// (q_compare.cpp), so such literals cannot use byte order.
bool reads_as_instant(std::string_view text) {
  return parse_date_time(text) || parse_date(text) || parse_time_of_day(text);
}

bool is_text(const Literal& literal) {
  return literal.kind == LiteralKind::kString || literal.kind == LiteralKind::kText;
}

bool plannable(const Literal& literal) {
  switch (literal.kind) {
    case LiteralKind::kNumber:
    case LiteralKind::kBoolean:
      return true;
    case LiteralKind::kString:
    case LiteralKind::kText:
      return !reads_as_instant(literal.text);
    default:
      return false;
  }
}

// The key of a literal: a VocabProperty value also equals the literal's expanded form, which
// `alternative` returns when it differs.
std::string key_of(const Literal& literal) {
  if (literal.kind == LiteralKind::kNumber) return number_key(literal.number);
  if (literal.kind == LiteralKind::kBoolean) return boolean_key(literal.boolean);
  return string_key(literal.text);
}

std::optional<std::string> alternative(const Literal& literal) {
  if (!is_text(literal) || literal.expanded.empty() || literal.expanded == literal.text) {
    return std::nullopt;
  }
  return string_key(literal.expanded);
}

char tag_of(const Literal& literal) {
  if (literal.kind == LiteralKind::kNumber) return kNumberKeyTag;
  if (literal.kind == LiteralKind::kBoolean) return kBooleanKeyTag;
  return kStringKeyTag;
}

// A truncated string key can equal the key of a value on the far side of a strict bound,
// so strict bounds are only kept for literals whose key is exact.
bool strict_is_exact(const Literal& literal) {
  return !is_text(literal) || !string_key_is_lossy(literal.text);
}

void add_exactly(const Literal& literal, std::vector<ValueRange>& ranges) {
  ranges.push_back(ValueRange::exactly(key_of(literal)));
  if (auto expanded = alternative(literal)) ranges.push_back(ValueRange::exactly(*expanded));
}

std::optional<Candidate> plan_equality(const QueryTerm& term) {
  if (term.values.empty() || term.values.size() > kMaxPlannedValues) return std::nullopt;
  Candidate candidate;
  candidate.rank = Rank::kEquality;
  if (term.is_range) {
    const Literal& low = term.values[0];
    const Literal& high = term.values[1];
    if (low.kind == LiteralKind::kBoolean || tag_of(low) != tag_of(high)) return std::nullopt;
    candidate.rank = Rank::kTwoSided;
    candidate.plan.ranges.push_back(ValueRange{key_of(low), true, key_of(high), true});
    // VocabProperty: a value equal to a bound's expanded form counts as equal to the bound.
    if (auto expanded = alternative(low))
      candidate.plan.ranges.push_back(ValueRange::exactly(*expanded));
    if (auto expanded = alternative(high))
      candidate.plan.ranges.push_back(ValueRange::exactly(*expanded));
    return candidate;
  }
  for (const Literal& literal : term.values) add_exactly(literal, candidate.plan.ranges);
  return candidate;
}

std::optional<Candidate> plan_ordering(const QueryTerm& term) {
  if (term.values.size() != 1 || term.values[0].kind == LiteralKind::kBoolean) return std::nullopt;
  const Literal& literal = term.values[0];
  bool strict = term.op == ComparisonOp::kGreater || term.op == ComparisonOp::kLess;
  bool exclusive = strict && strict_is_exact(literal);
  char tag = tag_of(literal);
  Candidate candidate;
  if (term.op == ComparisonOp::kGreater || term.op == ComparisonOp::kGreaterEqual) {
    candidate.plan.ranges.push_back(
        ValueRange{key_of(literal), !exclusive, past_keys_of(tag), false});
  } else {
    candidate.plan.ranges.push_back(
        ValueRange{first_key_of(tag), true, key_of(literal), !exclusive});
  }
  // VocabProperty: a value equal to the expanded literal satisfies >= and <=.
  if (auto expanded = alternative(literal); expanded && !strict) {
    candidate.plan.ranges.push_back(ValueRange::exactly(*expanded));
  }
  return candidate;
}

std::optional<Candidate> plan_term(const QueryTerm& term) {
  if (!term.path.steps.empty() || !term.path.members.empty()) return std::nullopt;
  if (!std::all_of(term.values.begin(), term.values.end(), plannable)) return std::nullopt;
  std::optional<Candidate> candidate;
  switch (term.op) {
    case ComparisonOp::kEqual:
      candidate = plan_equality(term);
      break;
    case ComparisonOp::kGreater:
    case ComparisonOp::kGreaterEqual:
    case ComparisonOp::kLess:
    case ComparisonOp::kLessEqual:
      candidate = plan_ordering(term);
      break;
    default:
      return std::nullopt;
  }
  if (candidate) candidate->plan.attribute = term.path.attr;
  return candidate;
}

// The terms every match must satisfy: the root term, or the terms of the top-level
// conjunction (nested conjunctions included; disjunctions contribute nothing).
void conjunction_terms(const QueryNode& node, std::vector<const QueryTerm*>& terms) {
  if (node.kind == QueryNode::Kind::kTerm) terms.push_back(&node.term);
  if (node.kind != QueryNode::Kind::kAnd) return;
  for (const QueryNode& child : node.children) conjunction_terms(child, terms);
}

// Merges the ranges of several scans into one ascending id list.
std::vector<std::string> merge_ids(std::vector<std::string> a, const std::vector<std::string>& b) {
  std::vector<std::string> merged;
  merged.reserve(a.size() + b.size());
  std::set_union(std::make_move_iterator(a.begin()), std::make_move_iterator(a.end()), b.begin(),
                 b.end(), std::back_inserter(merged));
  return merged;
}

}  // namespace

std::optional<ValuePlan> plan_value_index(const query::QueryFilter& q) {
  std::vector<const QueryTerm*> terms;
  conjunction_terms(q.root(), terms);
  std::optional<Candidate> best;
  for (const QueryTerm* term : terms) {
    std::optional<Candidate> candidate = plan_term(*term);
    if (candidate && (!best || candidate->rank < best->rank)) best = std::move(candidate);
  }
  if (!best) return std::nullopt;
  return std::move(best->plan);
}

Result<store::ValueScan> scan_value_plan(const store::EntityStore& store, std::string_view tenant,
                                         const ValuePlan& plan, std::size_t max_ids) {
  store::ValueScan result;
  for (const ValueRange& range : plan.ranges) {
    auto scan = store.scan_values(tenant, plan.attribute, range, max_ids);
    if (!scan.ok()) return std::move(scan).error();
    result.ids = merge_ids(std::move(result.ids), scan->ids);
    if (scan->truncated || result.ids.size() > max_ids) {
      result.truncated = true;
      return result;
    }
  }
  return result;
}

}  // namespace citytwin::core
