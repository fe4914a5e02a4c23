#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::series {

// Dictionary encoding of the text values (strings and JSON text) of a chunk: each distinct
// text is stored once, in order of first appearance, and each sample stores its index with
// just enough bits for the dictionary size (0 bits when every value is the same).
//
//   varint entry count, then per entry: varint byte length + bytes
//   varint byte length of the index stream, then the bit-packed indices
struct TextColumn {
  std::vector<std::string> dictionary;
  std::vector<std::uint32_t> indices;  // one per text sample, into dictionary
};

TextColumn make_text_column(std::span<const std::string_view> texts);
std::string encode_text_column(const TextColumn& column);
Result<TextColumn> decode_text_column(std::string_view bytes, std::size_t count);

// One sample's text of an encoded column, read where its index lies (indices have a fixed
// width) without decoding the others: for readers that rebuild one or two samples of a chunk
// (the newest instance's type of an aggregation). Views into `bytes`, which must outlive it.
class TextColumnView {
 public:
  static Result<TextColumnView> open(std::string_view bytes, std::size_t count);
  // Sample `index`'s text; an index past the dictionary (corruption) is an Error.
  Result<std::string_view> at(std::size_t index) const;

 private:
  std::vector<std::string_view> dictionary_;
  std::string_view packed_;
  int width_ = 0;
  std::size_t count_ = 0;
};

}  // namespace citytwin::series
