#include "citytwin/ingest/expression.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

namespace citytwin::ingest {
namespace {

using boost::json::value;

Result<value> eval(std::string_view text, const std::map<std::string, value>& fields = {}) {
  auto expression = Expression::compile(text);
  if (!expression) return expression.error();
  return expression->evaluate([&fields](std::string_view name) -> const value* {
    auto it = fields.find(std::string(name));
    return it == fields.end() ? nullptr : &it->second;
  });
}

value ok(std::string_view text, const std::map<std::string, value>& fields = {}) {
  auto result = eval(text, fields);
  EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : result.error().detail);
  return result.ok() ? *result : value();
}

std::string error_of(std::string_view text, const std::map<std::string, value>& fields = {}) {
  auto result = eval(text, fields);
  EXPECT_FALSE(result.ok()) << text;
  return result.ok() ? "" : result.error().detail;
}

TEST(ExpressionTest, ArithmeticWithPrecedenceAndIntegralResults) {
  EXPECT_EQ(ok("1 + 2 * 3"), value(7));
  EXPECT_EQ(ok("(1 + 2) * 3"), value(9));
  EXPECT_EQ(ok("7 % 4 - -1"), value(4));
  EXPECT_EQ(ok("1 / 4"), value(0.25));
  EXPECT_EQ(ok("2e2"), value(200));
}

TEST(ExpressionTest, FieldsAndUnitConversion) {
  EXPECT_EQ(ok("t * 1.8 + 32", {{"t", 20}}), value(68));
  EXPECT_EQ(ok("h / 100", {{"h", 40}}), value(0.4));
  // Numeric text (UltraLight) takes part in arithmetic.
  EXPECT_EQ(ok("t * 2", {{"t", "1.5"}}), value(3));
  // Legacy IoT Agent syntax.
  EXPECT_EQ(ok("${@t * 10}", {{"t", 2}}), value(20));
}

TEST(ExpressionTest, StringConcatenationAndFunctions) {
  EXPECT_EQ(ok("'room-' + id", {{"id", "7"}}), value("room-7"));
  EXPECT_EQ(ok("\"n=\" + 3"), value("n=3"));
  EXPECT_EQ(ok("toUpper(s)", {{"s", "on"}}), value("ON"));
  EXPECT_EQ(ok("s|toLower", {{"s", "OFF"}}), value("off"));
  EXPECT_EQ(ok("s|substr(0, 3)", {{"s", "abcdef"}}), value("abc"));
  EXPECT_EQ(ok("round(3.14159, 2)"), value(3.14));
  EXPECT_EQ(ok("round(2.5)"), value(3));
  EXPECT_EQ(ok("min(3, 1, 2) + max(4, 9)"), value(10));
  EXPECT_EQ(ok("abs(-2) + floor(1.7) + ceil(1.2)"), value(5));
  EXPECT_EQ(ok("length('abc')"), value(3));
  EXPECT_EQ(ok("toNumber('12.5')"), value(12.5));
  EXPECT_EQ(ok("parseInt('12.5')"), value(12));
  EXPECT_EQ(ok("trim('  x ')"), value("x"));
}

TEST(ExpressionTest, ComparisonLogicAndConditional) {
  EXPECT_EQ(ok("t > 30 ? 'hot' : 'ok'", {{"t", 31}}), value("hot"));
  EXPECT_EQ(ok("t > 30 ? 'hot' : 'ok'", {{"t", 30}}), value("ok"));
  EXPECT_EQ(ok("1 == 1.0 && 'a' < 'b' && !(2 <= 1)"), value(true));
  EXPECT_EQ(ok("s != 'x' || false", {{"s", "x"}}), value(false));
  EXPECT_EQ(ok("null == missing"), value(true));
}

TEST(ExpressionTest, MissingFieldMakesArithmeticNull) {
  EXPECT_TRUE(ok("missing * 2").is_null());
  EXPECT_TRUE(ok("round(missing)").is_null());
}

TEST(ExpressionTest, ShortCircuitSkipsFailingBranch) {
  EXPECT_EQ(ok("false && (1 / 0)"), value(false));
  EXPECT_EQ(ok("true ? 1 : 1 / 0"), value(1));
}

TEST(ExpressionTest, EvaluationErrorsAreValues) {
  EXPECT_NE(error_of("1 / 0").find("division by zero"), std::string::npos);
  EXPECT_NE(error_of("t * 2", {{"t", "abc"}}).find("needs numbers"), std::string::npos);
  EXPECT_NE(error_of("system('rm -rf /')").find("unknown function"), std::string::npos);
  EXPECT_NE(error_of("round()").find("arguments"), std::string::npos);
  EXPECT_NE(error_of("'a' < 1").find("compares"), std::string::npos);
}

TEST(ExpressionTest, SyntaxErrorsSayWhere) {
  for (std::string_view bad :
       {"", "1 +", "(1", "1 2", "'open", "a ? b", "f(1,", "#", "1..2", "a | ", "${}"}) {
    auto compiled = Expression::compile(bad);
    EXPECT_FALSE(compiled.ok()) << bad;
    if (!compiled.ok()) {
      EXPECT_EQ(compiled.error().kind, ErrorKind::kBadRequestData);
    }
  }
}

TEST(ExpressionTest, LimitsBoundDepthNodesLengthAndStrings) {
  std::string deep(100, '(');
  deep += "1" + std::string(100, ')');
  EXPECT_NE(Expression::compile(deep).error().detail.find("nested deeper"), std::string::npos);

  std::string wide = "1";
  for (int i = 0; i < 200; ++i) wide += "+1";
  EXPECT_NE(Expression::compile(wide).error().detail.find("terms"), std::string::npos);

  ExpressionLimits limits;
  limits.max_length = 8;
  EXPECT_FALSE(Expression::compile("1+2+3+4+5", limits).ok());

  limits = {};
  limits.max_string = 10;
  auto grow = Expression::compile("s + s + s", limits);
  ASSERT_TRUE(grow.ok());
  value s = "abcd";
  auto result = grow->evaluate([&s](std::string_view) { return &s; });
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().detail.find("longer than"), std::string::npos);
}

}  // namespace
}  // namespace citytwin::ingest
