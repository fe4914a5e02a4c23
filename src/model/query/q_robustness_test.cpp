// Random and adversarial inputs: parsing and evaluation must return (ok or an error), never
// crash, throw or hang.

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "citytwin/model/query/query_limits.hpp"
#include "citytwin/model/query/scope_filter.hpp"
#include "q_test_support.hpp"

namespace citytwin::query {
namespace {

using testing::entity;
using testing::FakeTerms;

const boost::json::object& sample() {
  static const boost::json::object e = entity(R"({"scope": ["/a/b"], "attrs": {
      "https://example.org/a": [{"type": "Property", "value": 1,
                                 "sub": {"https://example.org/b": {"type": "Property",
                                                                   "value": "x"}}}],
      "https://example.org/b": [{"type": "Property", "value": {"c": [1, "d"]}}]}})");
  return e;
}

std::string random_input(std::mt19937& rng, std::string_view alphabet, std::size_t max_length) {
  std::uniform_int_distribution<std::size_t> length(0, max_length);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string out(length(rng), ' ');
  for (char& c : out) c = alphabet[pick(rng)];
  return out;
}

TEST(QRobustness, RandomQ) {
  FakeTerms terms;
  std::mt19937 rng(20261122);
  constexpr std::string_view kAlphabet = "ab.[]()=!<>~;|,\"\\-:0123456789eTZ+*?^${} #/x";
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string q = random_input(rng, kAlphabet, 24);
    auto filter = QueryFilter::parse(q, terms);
    if (!filter.ok()) {
      EXPECT_FALSE(filter.error().detail.empty()) << q;
      continue;
    }
    ++parsed;
    (void)filter->matches(sample());
    (void)filter->required_attributes();
  }
  EXPECT_GT(parsed, 0);
}

TEST(QRobustness, RandomBytes) {
  FakeTerms terms;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 5000; ++i) {
    std::string q(static_cast<std::size_t>(i % 40), ' ');
    for (char& c : q) c = static_cast<char>(byte(rng));
    auto filter = QueryFilter::parse(q, terms);
    if (filter.ok()) (void)filter->matches(sample());
    auto scope = ScopeFilter::parse(q);
    if (scope.ok()) (void)scope->matches(sample());
  }
}

TEST(QRobustness, RandomScopeQ) {
  std::mt19937 rng(99);
  constexpr std::string_view kAlphabet = "/ab+#;,|()_-";
  for (int i = 0; i < 20000; ++i) {
    std::string q = random_input(rng, kAlphabet, 16);
    auto filter = ScopeFilter::parse(q);
    if (filter.ok()) (void)filter->matches(sample());
    (void)ScopeFilter::is_valid_scope(q);
  }
}

TEST(QRobustness, LongFlatExpressionsAreFine) {
  FakeTerms terms;
  std::string q = "a==1";
  while (q.size() + 5 < kMaxQueryLength) q += ";a>0";
  auto filter = QueryFilter::parse(q, terms);
  ASSERT_TRUE(filter.ok()) << filter.error().detail;
  EXPECT_TRUE(filter->matches(sample()));
  std::string unclosed(kMaxQueryLength, '(');
  auto deep = QueryFilter::parse(unclosed, terms);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().kind, ErrorKind::kTooComplexQuery);
}

}  // namespace
}  // namespace citytwin::query
