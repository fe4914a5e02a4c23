#pragma once

// The parsed form of an NGSI-LD query language expression `q` (ETSI GS CIM 009 V1.8.1,
// clause 4.9). Produced by QueryFilter::parse, immutable afterwards, evaluated against
// entities in the stored form (citytwin/model/entity_form.hpp).

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <vector>

namespace citytwin::query {

// One step of an attribute path after '.', clause 4.9 attrPathName.
struct PathStep {
  // True for the members every attribute instance may carry (observedAt, unitCode, datasetId,
  // createdAt, modifiedAt): the step then selects that member and `name` is kept as written.
  // Otherwise the step selects a sub-attribute and `name` is its expanded IRI.
  bool instance_member = false;
  std::string name;
};

// An attribute reference: attrName, attrPathName (a.b) and compoundAttrName (a[x.y], a[x][y]).
struct AttrPath {
  std::string attr;                  // expanded attribute IRI
  std::vector<PathStep> steps;       // sub-attributes or instance members, outermost first
  std::vector<std::string> members;  // keys inside a compound value; not expanded, as stored
  std::string written;               // the path as it appeared in q, for messages
};

// The literal kinds of clause 4.9 (ComparableValue, OtherValue, URI).
enum class LiteralKind {
  kNumber,    // 12, -3.5, 1e3
  kString,    // "quoted", escapes resolved
  kText,      // an unquoted URI or word, accepted with == and != only
  kDateTime,  // 2020-01-01T00:00:00Z
  kDate,      // 2020-01-01
  kTime,      // 12:00:00Z
  kBoolean,   // true, false
};

struct Literal {
  LiteralKind kind = LiteralKind::kNumber;
  double number = 0;     // kNumber
  std::string text;      // kString, kText: the value as written (unescaped)
  std::string expanded;  // kString, kText: text expanded as a vocab IRI (VocabProperty)
  std::int64_t micros =
      0;                 // kDateTime, kDate: microseconds since the epoch; kTime: since 00:00 UTC
  bool boolean = false;  // kBoolean
};

enum class ComparisonOp {
  kExists,        // a
  kNotExists,     // !a
  kEqual,         // ==
  kUnequal,       // !=
  kGreater,       // >
  kGreaterEqual,  // >=
  kLess,          // <
  kLessEqual,     // <=
  kPattern,       // ~=
  kNotPattern,    // !~=
};

// A QueryTerm of clause 4.9.
struct QueryTerm {
  AttrPath path;
  ComparisonOp op = ComparisonOp::kExists;
  std::vector<Literal> values;  // ordering ops: one; == and !=: a value list, or {low, high}
  bool is_range = false;        // values holds the bounds of low..high (both inclusive)
  std::shared_ptr<const std::regex> pattern;  // ~= and !~=
};

// A node of the expression tree; ';' (AND) binds tighter than '|' (OR).
struct QueryNode {
  enum class Kind { kTerm, kAnd, kOr };
  Kind kind = Kind::kTerm;
  QueryTerm term;                   // kTerm
  std::vector<QueryNode> children;  // kAnd, kOr: two or more
};

}  // namespace citytwin::query
