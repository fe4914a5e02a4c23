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

}  // namespace citytwin::series
