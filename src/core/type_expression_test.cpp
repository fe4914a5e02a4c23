// Entity type expressions (GS CIM 009 V1.8.1 clause 4.17) parsed into disjunctive normal form.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "citytwin/core/entity_query.hpp"

namespace citytwin::core {
namespace {

// A plain name x expands to https://example.org/x; IRIs stay as they are.
class ExampleTerms final : public jsonld::TermMapper {
 public:
  std::string expand(std::string_view term) const override {
    if (term.find(':') != std::string_view::npos) return std::string(term);
    return "https://example.org/" + std::string(term);
  }
  std::string compact(std::string_view iri) const override { return std::string(iri); }
};

using Dnf = std::vector<std::vector<std::string>>;

std::string iri(std::string_view name) {
  return "https://example.org/" + std::string(name);
}

Dnf parse_ok(std::string_view text) {
  auto parsed = parse_type_expression(text, ExampleTerms());
  EXPECT_TRUE(parsed.ok()) << text << ": " << (parsed.ok() ? "" : parsed.error().detail);
  return parsed.ok() ? parsed->alternatives : Dnf{};
}

TEST(TypeExpression, SingleName) {
  EXPECT_EQ(parse_ok("A"), (Dnf{{iri("A")}}));
}

TEST(TypeExpression, CommaAndBarAreOr) {
  EXPECT_EQ(parse_ok("A,B"), (Dnf{{iri("A")}, {iri("B")}}));
  EXPECT_EQ(parse_ok("A|B|C"), (Dnf{{iri("A")}, {iri("B")}, {iri("C")}}));
}

TEST(TypeExpression, SemicolonIsAndAndBindsTighter) {
  EXPECT_EQ(parse_ok("A;B"), (Dnf{{iri("A"), iri("B")}}));
  EXPECT_EQ(parse_ok("A;B|C"), (Dnf{{iri("A"), iri("B")}, {iri("C")}}));
  EXPECT_EQ(parse_ok("C|A;B"), (Dnf{{iri("C")}, {iri("A"), iri("B")}}));
}

TEST(TypeExpression, ParenthesesDistribute) {
  EXPECT_EQ(parse_ok("(A|B);C"), (Dnf{{iri("A"), iri("C")}, {iri("B"), iri("C")}}));
  EXPECT_EQ(parse_ok("A;(B,C)"), (Dnf{{iri("A"), iri("B")}, {iri("A"), iri("C")}}));
  EXPECT_EQ(parse_ok("((A))"), (Dnf{{iri("A")}}));
  EXPECT_EQ(parse_ok("(A|B);(C|D)").size(), 4u);
}

TEST(TypeExpression, SpacesAroundNamesAndOperatorsAreIgnored) {
  EXPECT_EQ(parse_ok(" A , ( B ; C ) "), (Dnf{{iri("A")}, {iri("B"), iri("C")}}));
}

TEST(TypeExpression, IrisAreKept) {
  EXPECT_EQ(parse_ok("https://x.org/T|urn:t:1"), (Dnf{{"https://x.org/T"}, {"urn:t:1"}}));
}

TEST(TypeExpression, Matches) {
  auto selection = parse_type_expression("(A|B);C", ExampleTerms());
  ASSERT_TRUE(selection.ok());
  EXPECT_TRUE(selection->matches({iri("A"), iri("C")}));
  EXPECT_TRUE(selection->matches({iri("B"), iri("C"), iri("D")}));
  EXPECT_FALSE(selection->matches({iri("A"), iri("B")}));
  EXPECT_FALSE(selection->matches({}));
  EXPECT_TRUE(TypeSelection{}.matches({}));  // no type condition
}

class TypeExpressionError : public ::testing::TestWithParam<std::string> {};

TEST_P(TypeExpressionError, IsInvalidRequest) {
  auto parsed = parse_type_expression(GetParam(), ExampleTerms());
  ASSERT_FALSE(parsed.ok()) << GetParam();
  EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidRequest);
  EXPECT_NE(parsed.error().detail.find("type expression"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Malformed, TypeExpressionError,
                         ::testing::Values("", " ", "A;", ";A", "A,", "|A", "A,,B", "A;;B", "(A",
                                           "A)", "()", "(A|B", "A)(B", "(A)B", "A B", "A\tB"));

TEST(TypeExpression, TooDeepNestingIsRefused) {
  std::string deep = std::string(40, '(') + "A" + std::string(40, ')');
  auto parsed = parse_type_expression(deep, ExampleTerms());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidRequest);
}

TEST(TypeExpression, ExponentialExpansionIsRefused) {
  // 4^5 = 1024 alternatives once distributed
  auto parsed =
      parse_type_expression("(a|b|c|d);(e|f|g|h);(i|j|k|l);(m|n|o|p);(q|r|s|t)", ExampleTerms());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().detail.find("too complex"), std::string::npos);
}

}  // namespace
}  // namespace citytwin::core
