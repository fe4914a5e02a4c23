#include <gtest/gtest.h>

#include <string>

#include "citytwin/model/query/query_filter.hpp"
#include "citytwin/model/query/query_limits.hpp"
#include "q_test_support.hpp"

namespace citytwin::query {
namespace {

using testing::ex;
using testing::FakeTerms;

Result<QueryFilter> parse(std::string_view q) {
  FakeTerms terms;
  return QueryFilter::parse(q, terms);
}

const QueryTerm& single_term(const QueryFilter& filter) {
  EXPECT_EQ(filter.root().kind, QueryNode::Kind::kTerm);
  return filter.root().term;
}

// Expects a parse error of `kind` whose detail contains `fragment`.
void expect_error(std::string_view q, std::string_view fragment,
                  ErrorKind kind = ErrorKind::kInvalidRequest) {
  auto result = parse(q);
  ASSERT_FALSE(result.ok()) << "q '" << q << "' parsed";
  EXPECT_EQ(result.error().kind, kind) << q;
  EXPECT_NE(result.error().detail.find(fragment), std::string::npos)
      << "q '" << q << "': " << result.error().detail;
}

TEST(QParse, ExistenceAndNonExistence) {
  auto exists = parse("speed");
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(single_term(*exists).op, ComparisonOp::kExists);
  EXPECT_EQ(single_term(*exists).path.attr, ex("speed"));
  auto missing = parse("!speed");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(single_term(*missing).op, ComparisonOp::kNotExists);
}

TEST(QParse, EveryOperator) {
  struct Case {
    const char* q;
    ComparisonOp op;
  };
  for (const Case& c :
       {Case{"a==1", ComparisonOp::kEqual}, Case{"a!=1", ComparisonOp::kUnequal},
        Case{"a>1", ComparisonOp::kGreater}, Case{"a>=1", ComparisonOp::kGreaterEqual},
        Case{"a<1", ComparisonOp::kLess}, Case{"a<=1", ComparisonOp::kLessEqual},
        Case{"a~=x.*", ComparisonOp::kPattern}, Case{"a!~=x.*", ComparisonOp::kNotPattern}}) {
    auto filter = parse(c.q);
    ASSERT_TRUE(filter.ok()) << c.q << ": " << filter.error().detail;
    EXPECT_EQ(single_term(*filter).op, c.op) << c.q;
  }
}

TEST(QParse, LiteralKinds) {
  struct Case {
    const char* q;
    LiteralKind kind;
  };
  for (const Case& c :
       {Case{"a==12", LiteralKind::kNumber}, Case{"a==-1.5e3", LiteralKind::kNumber},
        Case{"a==\"x\"", LiteralKind::kString}, Case{"a==urn:ngsi-ld:Car:1", LiteralKind::kText},
        Case{"a==2020-01-01T00:00:00Z", LiteralKind::kDateTime},
        Case{"a==2020-01-01", LiteralKind::kDate}, Case{"a==12:00:00Z", LiteralKind::kTime},
        Case{"a==true", LiteralKind::kBoolean}, Case{"a==false", LiteralKind::kBoolean}}) {
    auto filter = parse(c.q);
    ASSERT_TRUE(filter.ok()) << c.q << ": " << filter.error().detail;
    ASSERT_EQ(single_term(*filter).values.size(), 1u) << c.q;
    EXPECT_EQ(single_term(*filter).values[0].kind, c.kind) << c.q;
  }
  auto negative = parse("a>-3.25");
  ASSERT_TRUE(negative.ok());
  EXPECT_DOUBLE_EQ(single_term(*negative).values[0].number, -3.25);
}

TEST(QParse, StringEscapes) {
  auto filter = parse(R"(a=="q\"b\\s\/\n\u00e9")");
  ASSERT_TRUE(filter.ok()) << filter.error().detail;
  EXPECT_EQ(single_term(*filter).values[0].text, "q\"b\\s/\n\xC3\xA9");
  auto with_delimiters = parse(R"(a=="x;y|z(),..")");
  ASSERT_TRUE(with_delimiters.ok());
  EXPECT_EQ(single_term(*with_delimiters).values[0].text, "x;y|z(),..");
}

TEST(QParse, RangesAndLists) {
  auto range = parse("a==1..5");
  ASSERT_TRUE(range.ok());
  EXPECT_TRUE(single_term(*range).is_range);
  EXPECT_EQ(single_term(*range).values.size(), 2u);
  auto list = parse("a==1,2,3");
  ASSERT_TRUE(list.ok());
  EXPECT_FALSE(single_term(*list).is_range);
  EXPECT_EQ(single_term(*list).values.size(), 3u);
  EXPECT_TRUE(parse("a==\"a\"..\"m\"").ok());
  EXPECT_TRUE(parse("a==2020-01-01T00:00:00Z..2020-12-31T23:59:59Z").ok());
  EXPECT_TRUE(parse("a==2020-01-01..2020-12-31T00:00:00Z").ok());
  EXPECT_TRUE(parse("a!=1..5").ok());
  EXPECT_TRUE(parse("a==\"x\",urn:a:b,3,true").ok());
}

TEST(QParse, PathsExpandNamesButNotCompoundKeys) {
  auto filter = parse("a.b.observedAt");
  ASSERT_TRUE(filter.ok());
  const AttrPath& path = single_term(*filter).path;
  EXPECT_EQ(path.attr, ex("a"));
  ASSERT_EQ(path.steps.size(), 2u);
  EXPECT_FALSE(path.steps[0].instance_member);
  EXPECT_EQ(path.steps[0].name, ex("b"));
  EXPECT_TRUE(path.steps[1].instance_member);
  EXPECT_EQ(path.steps[1].name, "observedAt");

  auto compound = parse("ex:a.b[x.y][z]==1");
  ASSERT_TRUE(compound.ok());
  const AttrPath& c = single_term(*compound).path;
  EXPECT_EQ(c.attr, ex("a"));
  EXPECT_EQ(c.members, (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(c.written, "ex:a.b[x.y][z]");
}

TEST(QParse, PrecedenceAndFlattening) {
  auto filter = parse("a|b;c");
  ASSERT_TRUE(filter.ok());
  const QueryNode& root = filter->root();
  ASSERT_EQ(root.kind, QueryNode::Kind::kOr);
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(root.children[0].kind, QueryNode::Kind::kTerm);
  EXPECT_EQ(root.children[1].kind, QueryNode::Kind::kAnd);

  auto nested = parse("(a;b);c;(d;(e))");
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->root().kind, QueryNode::Kind::kAnd);
  EXPECT_EQ(nested->root().children.size(), 5u);
}

TEST(QParse, RequiredAttributes) {
  auto filter = parse("a>1;(b|c);!d;e.f==2;a<9;(g;h~=x)");
  ASSERT_TRUE(filter.ok());
  EXPECT_EQ(filter->required_attributes(),
            (std::vector<std::string>{ex("a"), ex("e"), ex("g"), ex("h")}));
  EXPECT_TRUE(parse("a|b")->required_attributes().empty());
  EXPECT_TRUE(parse("!a")->required_attributes().empty());
  EXPECT_EQ(parse("x!=3")->required_attributes(), std::vector<std::string>{ex("x")});
}

TEST(QParseError, Empty) {
  expect_error("", "q is empty");
}

TEST(QParseError, UnbalancedParentheses) {
  expect_error("(a==1", "expected ')' to close the '(' at position 1");
  expect_error("a==1)", "position 5: unbalanced ')'");
  expect_error("((a)", "expected ')'");
  expect_error("()", "position 2: expected an attribute name");
}

TEST(QParseError, MissingOperand) {
  expect_error("a;", "position 3: expected an attribute name or '(' but found end of q");
  expect_error(";a", "position 1: expected an attribute name");
  expect_error("a||b", "position 3");
  expect_error("a==", "position 4: expected a value but found end of q");
  expect_error("a==1,", "position 6: expected a value");
  expect_error("a==1..", "position 7: expected a value");
  expect_error("==1", "position 1: expected an attribute name");
  expect_error("a.==1", "position 3: expected a sub-attribute name");
  expect_error("a~=", "expected a pattern");
  expect_error("!", "expected an attribute name");
}

TEST(QParseError, BadOperator) {
  expect_error("a=1", "position 2: expected an operator");
  expect_error("a=>1", "position 2: expected an operator");
  expect_error("a<>1", "position 3: expected a value");
  expect_error("!a==1", "tests non-existence and takes no operator");
  expect_error("a b", "position 2: expected an operator");
}

TEST(QParseError, BadNumbersAndValues) {
  expect_error("a==12x", "position 4: invalid number, date or time '12x'");
  expect_error("a==1.2.3", "invalid number");
  expect_error("a>1e", "invalid number");
  expect_error("a==-", "invalid number");
  expect_error("a==1e999", "number out of range");
  expect_error("a==2020-13-01", "invalid number, date or time");
  expect_error("a==null", "null is not a value");
  expect_error("a==.5", "expected a value");
  expect_error("a>true", "ordering operators need");
  expect_error("a<urn:x:y", "ordering operators need");
  expect_error("a>1,2", "a value list needs == or !=");
  expect_error("a>1..2", "a range needs == or !=");
  expect_error("a==1..\"z\"", "range bounds must both be");
  expect_error("a==true..false", "range bounds must both be");
  expect_error("a==1..5,6", "position 8: expected ';', '|', ')'");
  expect_error("a==1 ", "position 5");
}

TEST(QParseError, Strings) {
  expect_error("a==\"abc", "position 4: unterminated string");
  expect_error("a==\"abc\\", "unterminated string");
  expect_error(R"(a=="\q")", "position 5: unknown escape");
  expect_error(R"(a=="\u12")", "incomplete \\u escape");
  expect_error(R"(a=="\uzzzz")", "invalid \\u escape");
  expect_error(R"(a=="\ud800")", "surrogate");
  expect_error("a==\"x\"y", "expected ';', '|', ')'");
}

TEST(QParseError, BadPaths) {
  expect_error("a[x==1", "expected ']' to close the '[' at position 2");
  expect_error("a[]==1", "expected a member name");
  expect_error("a[x].b==1", "expected an operator");
  expect_error("-a==1", "invalid name '-a'");
}

TEST(QParseError, TooDeepNesting) {
  std::string deep(kMaxNestingDepth + 1, '(');
  deep += "a";
  deep += std::string(kMaxNestingDepth + 1, ')');
  expect_error(deep, "nested deeper than", ErrorKind::kTooComplexQuery);
  std::string ok(kMaxNestingDepth, '(');
  ok += "a";
  ok += std::string(kMaxNestingDepth, ')');
  EXPECT_TRUE(parse(ok).ok());
}

TEST(QParseError, TooLong) {
  std::string q = "a==\"" + std::string(kMaxQueryLength, 'x') + "\"";
  expect_error(q, "q longer than", ErrorKind::kTooComplexQuery);
}

TEST(QParseError, BadPatterns) {
  expect_error("a~=\"(ab\"", "position 4: invalid regular expression");
  expect_error("a~=[a-", "invalid regular expression");
  expect_error("a~=(a)\\1", "backreferences are not supported");
  expect_error("a~=" + std::string(kMaxPatternLength + 1, 'x'), "pattern longer than",
               ErrorKind::kTooComplexQuery);
  expect_error("a~=(a{50}){50}", "pattern too complex", ErrorKind::kTooComplexQuery);
}

}  // namespace
}  // namespace citytwin::query
