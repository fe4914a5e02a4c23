#include "citytwin/series/text_column.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// Reading one sample's text where its index lies gives what decoding every index gives, for
// every index width; corrupt columns are errors, never a crash.
TEST(TextColumnView, ReadsEachSampleAsTheWholeDecodeDoes) {
  for (std::size_t distinct : {1u, 2u, 3u, 5u, 17u, 300u}) {
    std::vector<std::string> owned;
    for (std::size_t i = 0; i < 700; ++i) {
      owned.push_back("text " + std::to_string((i * 7919) % distinct));
    }
    std::vector<std::string_view> texts(owned.begin(), owned.end());
    std::string bytes = encode_text_column(make_text_column(texts));
    auto view = TextColumnView::open(bytes, texts.size());
    ASSERT_TRUE(view.ok()) << view.error().detail;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      auto text = view->at(i);
      ASSERT_TRUE(text.ok());
      EXPECT_EQ(*text, texts[i]) << distinct << " distinct, sample " << i;
    }
    EXPECT_FALSE(view->at(texts.size()).ok());
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      EXPECT_FALSE(TextColumnView::open(bytes.substr(0, cut), texts.size()).ok()) << cut;
    }
  }
}

TEST(TextColumnView, AnIndexPastTheDictionaryIsAnError) {
  // Three texts take 2-bit indices; the last sample's index is set to 3.
  std::vector<std::string_view> texts{"a", "b", "c", "a"};
  std::string bytes = encode_text_column(make_text_column(texts));
  bytes.back() = static_cast<char>(bytes.back() | 0x03);
  auto view = TextColumnView::open(bytes, texts.size());
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(*view->at(2), "c");
  EXPECT_FALSE(view->at(3).ok());
  EXPECT_FALSE(decode_text_column(bytes, texts.size()).ok());
}

}  // namespace
}  // namespace citytwin::series
