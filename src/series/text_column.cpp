#include "citytwin/series/text_column.hpp"

#include <bit>
#include <unordered_map>

#include "citytwin/series/bit_stream.hpp"
#include "citytwin/series/byte_io.hpp"
#include "corrupt.hpp"

namespace citytwin::series {
namespace {

int index_width(std::size_t dictionary_size) {
  return dictionary_size <= 1 ? 0 : std::bit_width(dictionary_size - 1);
}

}  // namespace

TextColumn make_text_column(std::span<const std::string_view> texts) {
  TextColumn column;
  std::unordered_map<std::string_view, std::uint32_t> seen;
  column.indices.reserve(texts.size());
  for (std::string_view text : texts) {
    auto [it, inserted] = seen.try_emplace(text, static_cast<std::uint32_t>(seen.size()));
    if (inserted) column.dictionary.emplace_back(text);
    column.indices.push_back(it->second);
  }
  return column;
}

std::string encode_text_column(const TextColumn& column) {
  std::string out;
  append_varint(out, column.dictionary.size());
  for (const std::string& entry : column.dictionary) append_section(out, entry);
  int width = index_width(column.dictionary.size());
  BitWriter indices;
  for (std::uint32_t index : column.indices) indices.write(index, width);
  append_section(out, indices.finish());
  return out;
}

namespace {

// The dictionary and the index stream of an encoded column of `count` texts, checked.
struct TextColumnParts {
  std::vector<std::string_view> dictionary;
  std::string_view packed;
  int width = 0;
};

Result<TextColumnParts> read_parts(std::string_view bytes, std::size_t count) {
  ByteReader in(bytes);
  std::uint64_t entries = 0;
  // Each entry needs at least its length byte, which bounds the allocation below.
  if (!in.read_varint(entries) || entries > in.remaining() || (count > 0 && entries == 0) ||
      entries > count) {
    return corrupt_chunk("bad text dictionary size");
  }
  TextColumnParts parts;
  parts.dictionary.reserve(entries);
  for (std::uint64_t i = 0; i < entries; ++i) {
    std::string_view entry;
    if (!in.read_section(entry)) return corrupt_chunk("truncated text dictionary");
    parts.dictionary.push_back(entry);
  }
  if (!in.read_section(parts.packed) || in.remaining() != 0) {
    return corrupt_chunk("bad text index stream");
  }
  parts.width = index_width(entries);
  if (parts.packed.size() != (count * static_cast<std::size_t>(parts.width) + 7) / 8) {
    return corrupt_chunk("text index length");
  }
  return parts;
}

}  // namespace

Result<TextColumn> decode_text_column(std::string_view bytes, std::size_t count) {
  auto parts = read_parts(bytes, count);
  if (!parts.ok()) return std::move(parts).error();
  TextColumn column;
  column.dictionary.assign(parts->dictionary.begin(), parts->dictionary.end());
  const std::uint64_t entries = parts->dictionary.size();
  if (parts->width == 0) {
    // One distinct text (or none): every index is 0 and no bits were written. The usual
    // case of a chunk's residual texts, where decoding them index by index showed in profiles.
    column.indices.assign(count, 0);
    return column;
  }
  BitReader reader(parts->packed);
  column.indices.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto index = reader.read(parts->width);
    if (index >= entries) return corrupt_chunk("text index out of range");
    column.indices.push_back(static_cast<std::uint32_t>(index));
  }
  if (!reader.finished_cleanly()) return corrupt_chunk("text index padding");
  return column;
}

Result<TextColumnView> TextColumnView::open(std::string_view bytes, std::size_t count) {
  auto parts = read_parts(bytes, count);
  if (!parts.ok()) return std::move(parts).error();
  TextColumnView view;
  view.dictionary_ = std::move(parts->dictionary);
  view.packed_ = parts->packed;
  view.width_ = parts->width;
  view.count_ = count;
  return view;
}

Result<std::string_view> TextColumnView::at(std::size_t index) const {
  if (index >= count_) return corrupt_chunk("text index out of range");
  std::uint64_t entry = 0;
  if (width_ != 0) {
    const std::size_t bit = index * static_cast<std::size_t>(width_);
    BitReader reader(packed_.substr(bit / 8));
    reader.read(static_cast<int>(bit % 8));
    entry = reader.read(width_);
    if (!reader.ok()) return corrupt_chunk("text index length");
  }
  if (entry >= dictionary_.size()) return corrupt_chunk("text index out of range");
  return dictionary_[entry];
}

}  // namespace citytwin::series
