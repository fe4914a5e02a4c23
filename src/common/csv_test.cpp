#include "citytwin/common/csv.hpp"

#include <gtest/gtest.h>

namespace citytwin {
namespace {

TEST(CsvTest, SplitsQuotedFieldsAcrossLinesAndSkipsBlankLines) {
  std::vector<CsvRecord> records;
  ASSERT_TRUE(split_csv("a,b\r\n\n\"x, \"\"y\"\"\",\"two\nlines\"\nlast,", records));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(records[1].line, 3u);
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"x, \"y\"", "two\nlines"}));
  EXPECT_EQ(records[2].line, 5u);
  EXPECT_EQ(records[2].fields, (std::vector<std::string>{"last", ""}));
}

TEST(CsvTest, RefusesAnUnterminatedQuote) {
  std::vector<CsvRecord> records;
  EXPECT_FALSE(split_csv("a,\"open\nb", records));
}

}  // namespace
}  // namespace citytwin
