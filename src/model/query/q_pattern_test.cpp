#include "q_pattern.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "citytwin/model/query/query_limits.hpp"

namespace citytwin::query {
namespace {

bool search(std::string_view pattern, std::string_view value) {
  auto compiled = compile_pattern(pattern);
  EXPECT_TRUE(compiled.ok()) << pattern << ": " << compiled.error().detail;
  return compiled.ok() && pattern_matches(**compiled, value);
}

TEST(QPattern, SearchesAnywhereAndHonoursAnchors) {
  EXPECT_TRUE(search("b", "abc"));
  EXPECT_TRUE(search("^a", "abc"));
  EXPECT_FALSE(search("^b", "abc"));
  EXPECT_TRUE(search("c$", "abc"));
  EXPECT_FALSE(search("b$", "abc"));
  EXPECT_TRUE(search("^abc$", "abc"));
  EXPECT_TRUE(search("a.c", "xxa\ncabc"));
  EXPECT_TRUE(search("\\d{3}", "ab123"));
  EXPECT_FALSE(search("\\d{4}", "ab123"));
  EXPECT_TRUE(search("(?i)ABC", "xabcx"));
}

TEST(QPattern, CostEstimate) {
  EXPECT_EQ(estimate_pattern_cost("abc"), 3u);
  EXPECT_EQ(estimate_pattern_cost("a{10}"), 10u);
  EXPECT_GT(estimate_pattern_cost("(a{20}){20}"), 400u);
  EXPECT_EQ(estimate_pattern_cost("a{"), 2u);  // a literal brace
  EXPECT_GE(estimate_pattern_cost("a{99999999999999999999}"), kMaxPatternCost);
  EXPECT_GE(estimate_pattern_cost("((((a{9}){9}){9}){9}){9}"), kMaxPatternCost);
}

TEST(QPattern, PathologicalPatternsStayFast) {
  // Exponential for a backtracking engine; linear for the polynomial one.
  std::string subject(kMaxPatternSubjectLength, 'a');
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(search("(a+)+b", subject));
  EXPECT_FALSE(search("(a|aa)*c", subject));
  EXPECT_FALSE(search("(((a*)*)*)*b", subject));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(20));
}

TEST(QPattern, OverlongSubjectNeverMatches) {
  std::string subject(kMaxPatternSubjectLength + 1, 'a');
  EXPECT_FALSE(search("a", subject));
}

TEST(QPattern, Errors) {
  EXPECT_FALSE(compile_pattern("").ok());
  EXPECT_FALSE(compile_pattern("(?i)").ok());
  EXPECT_FALSE(compile_pattern("a)(").ok());  // would be valid once wrapped: must still fail
  EXPECT_FALSE(compile_pattern("*").ok());
  EXPECT_FALSE(compile_pattern("a{2,1}").ok());
}

// Found by fuzz/q_query_fuzz: libstdc++ reads a backreference's digits into a long without an
// overflow check (undefined behaviour, caught by UBSan), so backreferences are refused first.
TEST(QPattern, BackreferencesAreRefusedBeforeStdRegexReadsThem) {
  for (std::string_view pattern : {"(tn55555555555\\555555555555555555555555555a", "(a)\\1",
                                   "[\\5]", "x\\99999999999999999999"}) {
    auto compiled = compile_pattern(pattern);
    ASSERT_FALSE(compiled.ok()) << pattern;
    EXPECT_EQ(compiled.error().kind, ErrorKind::kInvalidRequest);
    EXPECT_NE(compiled.error().detail.find("backreferences are not supported (\\1 to \\9)"),
              std::string::npos)
        << compiled.error().detail;
  }
  // An escaped backslash followed by a digit, and \0, are not backreferences.
  EXPECT_TRUE(search("a\\\\1", "xa\\1"));
  EXPECT_TRUE(compile_pattern("a\\0").ok());
}

}  // namespace
}  // namespace citytwin::query
