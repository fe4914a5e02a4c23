#include "citytwin/series/text_column.hpp"

#include <gtest/gtest.h>

namespace citytwin::series {
namespace {

TEST(TextColumn, StoresEachDistinctTextOnce) {
  std::vector<std::string_view> texts = {"open", "closed", "open", "open", "", "closed"};
  TextColumn column = make_text_column(texts);
  EXPECT_EQ(column.dictionary, (std::vector<std::string>{"open", "closed", ""}));
  EXPECT_EQ(column.indices, (std::vector<std::uint32_t>{0, 1, 0, 0, 2, 1}));
  auto decoded = decode_text_column(encode_text_column(column), texts.size());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->dictionary, column.dictionary);
  EXPECT_EQ(decoded->indices, column.indices);
}

TEST(TextColumn, OneDistinctValueNeedsNoIndexBits) {
  std::vector<std::string_view> texts(500, "{\"a\":1}");
  std::string bytes = encode_text_column(make_text_column(texts));
  EXPECT_EQ(bytes.size(), 1u + 1 + 7 + 1);
  auto decoded = decode_text_column(bytes, texts.size());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->indices.size(), 500u);
}

TEST(TextColumn, CorruptionIsAnError) {
  std::vector<std::string_view> texts = {"a", "b", "c"};
  std::string bytes = encode_text_column(make_text_column(texts));
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(decode_text_column(bytes.substr(0, size), 3).ok()) << size;
  }
  std::string out_of_range = bytes;
  out_of_range.back() = static_cast<char>(0b00011100);  // indices 0, 1, 3 (of 3 entries)
  EXPECT_FALSE(decode_text_column(out_of_range, 3).ok());
  EXPECT_FALSE(decode_text_column(bytes, 8).ok());
  EXPECT_FALSE(decode_text_column(bytes + "x", 3).ok());
}

}  // namespace
}  // namespace citytwin::series
