#include "citytwin/model/query/scope_filter.hpp"

#include <gtest/gtest.h>

#include <string>

#include "citytwin/model/query/query_limits.hpp"
#include "q_test_support.hpp"

namespace citytwin::query {
namespace {

using testing::entity;

boost::json::object scoped(std::string_view scopes_json) {
  return entity(std::string(R"({"id": "urn:x:1", "scope": )") + std::string(scopes_json) + "}");
}

bool m(std::string_view scope_q, std::string_view scopes_json) {
  auto filter = ScopeFilter::parse(scope_q);
  if (!filter.ok()) {
    ADD_FAILURE() << "scopeQ '" << scope_q << "': " << filter.error().detail;
    return false;
  }
  return filter->matches(scoped(scopes_json));
}

void expect_error(std::string_view scope_q, std::string_view fragment,
                  ErrorKind kind = ErrorKind::kInvalidRequest) {
  auto filter = ScopeFilter::parse(scope_q);
  ASSERT_FALSE(filter.ok()) << "scopeQ '" << scope_q << "' parsed";
  EXPECT_EQ(filter.error().kind, kind);
  EXPECT_NE(filter.error().detail.find(fragment), std::string::npos)
      << scope_q << ": " << filter.error().detail;
}

TEST(ScopeFilter, ExactScope) {
  EXPECT_TRUE(m("/Madrid/Gran_Via", R"(["/Madrid/Gran_Via"])"));
  EXPECT_TRUE(m("/Madrid/Gran_Via", R"(["/Sevilla", "/Madrid/Gran_Via"])"));
  EXPECT_FALSE(m("/Madrid", R"(["/Madrid/Gran_Via"])"));
  EXPECT_FALSE(m("/Madrid/Gran_Via/Norte", R"(["/Madrid/Gran_Via"])"));
  EXPECT_FALSE(m("/Madrid/Gran", R"(["/Madrid/Gran_Via"])"));
}

TEST(ScopeFilter, PlusMatchesOneLevel) {
  EXPECT_TRUE(m("/Madrid/+/Bus", R"(["/Madrid/Centro/Bus"])"));
  EXPECT_FALSE(m("/Madrid/+/Bus", R"(["/Madrid/Bus"])"));
  EXPECT_FALSE(m("/Madrid/+/Bus", R"(["/Madrid/Centro/Norte/Bus"])"));
  EXPECT_TRUE(m("/+", R"(["/Madrid"])"));
  EXPECT_FALSE(m("/+", R"(["/Madrid/Centro"])"));
}

TEST(ScopeFilter, HashMatchesScopeAndDescendants) {
  EXPECT_TRUE(m("/Madrid/#", R"(["/Madrid"])"));
  EXPECT_TRUE(m("/Madrid/#", R"(["/Madrid/Centro/Bus"])"));
  EXPECT_FALSE(m("/Madrid/#", R"(["/Madrileno"])"));
  EXPECT_FALSE(m("/Madrid/#", R"(["/Sevilla/Madrid"])"));
  EXPECT_TRUE(m("/+/Centro/#", R"(["/Madrid/Centro/Bus"])"));
  EXPECT_TRUE(m("/#", R"(["/anything/at/all"])"));
}

TEST(ScopeFilter, EntityWithoutScopeMatchesNothing) {
  auto filter = ScopeFilter::parse("/#");
  ASSERT_TRUE(filter.ok());
  EXPECT_FALSE(filter->matches(entity(R"({"id": "urn:x:1"})")));
  EXPECT_FALSE(filter->matches(scoped("[]")));
  EXPECT_FALSE(filter->matches(scoped("5")));
  EXPECT_TRUE(filter->matches(scoped(R"("/a")")));  // a lone string is tolerated
}

TEST(ScopeFilter, Logic) {
  EXPECT_TRUE(m("/A,/B", R"(["/B"])"));
  EXPECT_TRUE(m("/A|/B", R"(["/B"])"));
  EXPECT_FALSE(m("/A,/B", R"(["/C"])"));
  EXPECT_TRUE(m("/A;/B", R"(["/A", "/B"])"));
  EXPECT_FALSE(m("/A;/B", R"(["/A"])"));
  // ';' binds tighter: /C,/A;/B is /C or (/A and /B).
  EXPECT_TRUE(m("/C,/A;/B", R"(["/C"])"));
  EXPECT_FALSE(m("(/C,/A);/B", R"(["/C"])"));
  EXPECT_TRUE(m("(/C,/A);/B", R"(["/A", "/B"])"));
  EXPECT_TRUE(m("((/A/#));(/B|/X)", R"(["/A/1", "/B"])"));
}

TEST(ScopeFilter, Errors) {
  expect_error("", "scopeQ is empty");
  expect_error("Madrid", "position 1: a scope must start with '/'");
  expect_error("/", "empty scope level");
  expect_error("/a/", "empty scope level");
  expect_error("/a//b", "empty scope level");
  expect_error("/a/#/b", "'#' must be the last level");
  expect_error("/a#", "invalid scope level 'a#'");
  expect_error("/a b", "invalid scope level");
  expect_error("/a,", "position 4: expected a scope");
  expect_error(";/a", "position 1: expected a scope");
  expect_error("(/a", "expected ')' to close the '(' at position 1");
  expect_error("/a)", "position 3: unbalanced ')'");
  expect_error("/a(/b)", "position 3: unexpected '('");
  std::string deep(kMaxNestingDepth + 1, '(');
  expect_error(deep + "/a" + std::string(kMaxNestingDepth + 1, ')'), "nested too deeply",
               ErrorKind::kTooComplexQuery);
  expect_error(std::string(kMaxQueryLength + 1, '/'), "longer than", ErrorKind::kTooComplexQuery);
}

TEST(ScopeFilter, IsValidScope) {
  EXPECT_TRUE(ScopeFilter::is_valid_scope("/Madrid"));
  EXPECT_TRUE(ScopeFilter::is_valid_scope("/Madrid/Gran_Via/Bus-1"));
  EXPECT_TRUE(ScopeFilter::is_valid_scope("/M\xC3\xB3stoles"));
  EXPECT_FALSE(ScopeFilter::is_valid_scope(""));
  EXPECT_FALSE(ScopeFilter::is_valid_scope("/"));
  EXPECT_FALSE(ScopeFilter::is_valid_scope("Madrid"));
  EXPECT_FALSE(ScopeFilter::is_valid_scope("/Madrid/"));
  EXPECT_FALSE(ScopeFilter::is_valid_scope("//Madrid"));
  EXPECT_FALSE(ScopeFilter::is_valid_scope("/Madrid/#"));
  EXPECT_FALSE(ScopeFilter::is_valid_scope("/Madrid/+"));
  EXPECT_FALSE(ScopeFilter::is_valid_scope("/Mad rid"));
  EXPECT_FALSE(ScopeFilter::is_valid_scope("/a,b"));
}

}  // namespace
}  // namespace citytwin::query
