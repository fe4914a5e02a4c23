#include "chunk_format.hpp"
#include "citytwin/series/bit_stream.hpp"
#include "citytwin/series/byte_io.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/series/crc32c.hpp"
#include "citytwin/series/decimal_column.hpp"
#include "citytwin/series/float_column.hpp"
#include "citytwin/series/text_column.hpp"
#include "citytwin/series/timestamp_column.hpp"
#include "corrupt.hpp"

namespace citytwin::series {
namespace {

Status check_header(const ChunkHeader& header) {
  if (header.version != kChunkVersion && header.version != kChunkVersion1) {
    return corrupt_chunk("unknown version");
  }
  std::uint8_t known = header.version == kChunkVersion1 ? kKnownFlagsV1 : kKnownFlags;
  if ((header.flags & ~known) != 0) return corrupt_chunk("unknown flags");
  if ((header.flags & ChunkHeader::kDecimalNumbers) && !header.has_kind(ValueKind::kNumber)) {
    return corrupt_chunk("decimal column without numbers");
  }
  if ((header.flags & ChunkHeader::kTime2Partial) && !header.has_time2()) {
    return corrupt_chunk("partial second timestamps without the column");
  }
  if ((header.kind_mask & ~kKnownKinds) != 0) return corrupt_chunk("unknown value kind");
  if (header.count > kMaxChunkSamples) return corrupt_chunk("too many samples");
  if ((header.count == 0) != (header.kind_mask == 0)) return corrupt_chunk("kind mask");
  if (header.min_time > header.max_time) return corrupt_chunk("time range");
  return ok_status();
}

// Expands the run-length kind column into one tag per sample.
Result<std::vector<Tag>> decode_tags(std::string_view bytes, const ChunkHeader& header) {
  ByteReader in(bytes);
  std::uint64_t runs = 0;
  if (!in.read_varint(runs) || runs > header.count) return corrupt_chunk("kind run count");
  std::vector<Tag> tags;
  tags.reserve(header.count);
  for (std::uint64_t r = 0; r < runs; ++r) {
    std::uint8_t tag = 0;
    std::uint64_t length = 0;
    if (!in.read_u8(tag) || tag >= kTagCount || !in.read_varint(length) || length == 0 ||
        length > header.count - tags.size()) {
      return corrupt_chunk("bad kind run");
    }
    if (!header.has_kind(kind_of(static_cast<Tag>(tag)))) return corrupt_chunk("kind mask");
    tags.insert(tags.end(), length, static_cast<Tag>(tag));
  }
  if (tags.size() != header.count || in.remaining() != 0) return corrupt_chunk("kind column");
  return tags;
}

// The tag every sample has when the kind column is left out.
Tag uniform_tag(std::uint8_t kind_mask) {
  for (int kind = 0; kind < kValueKindCount; ++kind) {
    if (kind_mask == (1u << kind)) return tag_of(static_cast<ValueKind>(kind), false);
  }
  return Tag::kNull;
}

Result<std::vector<std::uint8_t>> decode_presence(std::string_view bytes, std::size_t count) {
  if (bytes.size() != (count + 7) / 8) return corrupt_chunk("presence bitmap length");
  BitReader in(bytes);
  std::vector<std::uint8_t> present(count);
  for (std::size_t i = 0; i < count; ++i) present[i] = in.read_bit() ? 1 : 0;
  if (!in.finished_cleanly()) return corrupt_chunk("presence bitmap padding");
  return present;
}

class Decoder {
 public:
  Decoder(std::string_view body, const ChunkHeader& header) : in_(body), header_(header) {}

  Result<ChunkColumns> run() {
    std::vector<Tag> tags;
    if (needs_tag_column(header_.kind_mask)) {
      auto decoded = decode_tags(next_section(), header_);
      if (!decoded) return std::move(decoded).error();
      tags = std::move(decoded).value();
    } else {
      tags.assign(header_.count, uniform_tag(header_.kind_mask));
    }
    CT_RETURN_IF_ERROR(read_times());
    CT_RETURN_IF_ERROR(read_times2());
    fill_kinds(tags);
    CT_RETURN_IF_ERROR(read_numbers(tags));
    CT_RETURN_IF_ERROR(read_texts(tags));
    if (bad_section_ || in_.remaining() != 0) return corrupt_chunk("section layout");
    return std::move(columns_);
  }

 private:
  std::string_view next_section() {
    std::string_view section;
    if (!in_.read_section(section)) bad_section_ = true;
    return section;
  }

  Status read_times() {
    auto times = decode_timestamps(next_section(), header_.count);
    if (!times) return std::move(times).error();
    columns_.times = std::move(times).value();
    // The builder sorts; an unsorted column or a header that disagrees is corruption.
    for (std::size_t i = 1; i < columns_.times.size(); ++i) {
      if (columns_.times[i] < columns_.times[i - 1]) return corrupt_chunk("unsorted times");
    }
    if (header_.count > 0 &&
        (columns_.times.front() != header_.min_time || columns_.times.back() != header_.max_time)) {
      return corrupt_chunk("header time range");
    }
    if (header_.count == 0 && (header_.min_time != 0 || header_.max_time != 0)) {
      return corrupt_chunk("header time range");
    }
    return ok_status();
  }

  Status read_times2() {
    if (!header_.has_time2()) return ok_status();
    if (header_.flags & ChunkHeader::kTime2Partial) {
      auto present = decode_presence(next_section(), header_.count);
      if (!present) return std::move(present).error();
      columns_.time2_present = std::move(present).value();
    } else {
      columns_.time2_present.assign(header_.count, 1);
    }
    auto times2 = decode_timestamps(next_section(), header_.count);
    if (!times2) return std::move(times2).error();
    columns_.times2 = std::move(times2).value();
    return ok_status();
  }

  void fill_kinds(const std::vector<Tag>& tags) {
    columns_.numbers.assign(tags.size(), 0.0);
    columns_.text_indices.assign(tags.size(), 0);
    if (!needs_tag_column(header_.kind_mask)) {  // one kind, without a value in its tag
      columns_.kinds.assign(tags.size(), kind_of(uniform_tag(header_.kind_mask)));
      return;
    }
    columns_.kinds.reserve(tags.size());
    for (std::size_t i = 0; i < tags.size(); ++i) {
      columns_.kinds.push_back(kind_of(tags[i]));
      if (tags[i] == Tag::kTrue) columns_.numbers[i] = 1.0;
    }
  }

  Status read_numbers(const std::vector<Tag>& tags) {
    if (!header_.has_kind(ValueKind::kNumber)) return ok_status();
    std::size_t count = 0;
    for (Tag tag : tags) count += tag == Tag::kNumber ? 1 : 0;
    if (header_.flags & ChunkHeader::kDecimalNumbers) return read_decimals(tags, count);
    auto numbers = decode_doubles(next_section(), count);
    if (!numbers) return std::move(numbers).error();
    scatter_numbers(tags, *numbers);
    return ok_status();
  }

  Status read_decimals(const std::vector<Tag>& tags, std::size_t count) {
    auto decimal = decode_decimal_column(next_section(), count);
    if (!decimal) return std::move(decimal).error();
    const double power = power_of_ten(decimal->exponent);
    if (count == tags.size()) {  // all numbers: the common case, one straight loop
      const std::int64_t* scaled = decimal->scaled.data();
      double* numbers = columns_.numbers.data();
      for (std::size_t i = 0; i < count; ++i) numbers[i] = decimal_value(scaled[i], power);
      columns_.scaled = std::move(decimal->scaled);
      columns_.decimal_exponent = decimal->exponent;
      return ok_status();
    }
    std::vector<double> numbers(count);
    for (std::size_t i = 0; i < count; ++i) numbers[i] = decimal_value(decimal->scaled[i], power);
    scatter_numbers(tags, numbers);
    return ok_status();
  }

  void scatter_numbers(const std::vector<Tag>& tags, const std::vector<double>& numbers) {
    std::size_t next = 0;
    for (std::size_t i = 0; i < tags.size(); ++i) {
      if (tags[i] == Tag::kNumber) columns_.numbers[i] = numbers[next++];
    }
  }

  Status read_texts(const std::vector<Tag>& tags) {
    if (!header_.has_kind(ValueKind::kString) && !header_.has_kind(ValueKind::kJson)) {
      return ok_status();
    }
    std::size_t count = 0;
    for (Tag tag : tags) count += (tag == Tag::kString || tag == Tag::kJson) ? 1 : 0;
    auto texts = decode_text_column(next_section(), count);
    if (!texts) return std::move(texts).error();
    std::size_t next = 0;
    for (std::size_t i = 0; i < tags.size(); ++i) {
      if (tags[i] == Tag::kString || tags[i] == Tag::kJson) {
        columns_.text_indices[i] = texts->indices[next++];
      }
    }
    columns_.dictionary = std::move(texts->dictionary);
    return ok_status();
  }

  ByteReader in_;
  const ChunkHeader& header_;
  ChunkColumns columns_;
  bool bad_section_ = false;
};

}  // namespace

Result<ChunkHeader> peek_chunk_header(std::string_view bytes) {
  ByteReader in(bytes);
  ChunkHeader header;
  std::uint64_t min_time = 0;
  std::uint64_t max_time = 0;
  if (!in.read_u8(header.version) || !in.read_u8(header.flags) || !in.read_u8(header.kind_mask) ||
      !in.read_u32(header.count) || !in.read_u64(min_time) || !in.read_u64(max_time)) {
    return corrupt_chunk("truncated header");
  }
  header.min_time = static_cast<std::int64_t>(min_time);
  header.max_time = static_cast<std::int64_t>(max_time);
  CT_RETURN_IF_ERROR(check_header(header));
  return header;
}

Result<ChunkReader> ChunkReader::open(std::string_view bytes, Checksum checksum) {
  if (bytes.size() < kChunkHeaderSize + 4) return corrupt_chunk("too short");
  std::string_view payload = bytes.substr(0, bytes.size() - 4);
  ByteReader trailer(bytes.substr(bytes.size() - 4));
  std::uint32_t stored = 0;
  if (!trailer.read_u32(stored)) return corrupt_chunk("truncated checksum");
  if (checksum == Checksum::kVerify && stored != crc32c(payload)) {
    return corrupt_chunk("checksum mismatch");
  }
  auto header = peek_chunk_header(payload);
  if (!header) return std::move(header).error();
  Decoder decoder(payload.substr(kChunkHeaderSize), *header);
  auto columns = decoder.run();
  if (!columns) return std::move(columns).error();
  return ChunkReader(*header, std::move(columns).value());
}

Result<bool> read_time2_decimals(std::string_view bytes, Time2Decimals& out) {
  if (bytes.size() < kChunkHeaderSize + 4) return corrupt_chunk("too short");
  std::string_view payload = bytes.substr(0, bytes.size() - 4);
  auto header = peek_chunk_header(payload);
  if (!header) return std::move(header).error();
  constexpr std::uint8_t kNumbersOnly = 1u << static_cast<int>(ValueKind::kNumber);
  constexpr std::uint8_t kEveryTime2Decimal = ChunkHeader::kHasTime2 | ChunkHeader::kDecimalNumbers;
  if (header->version != kChunkVersion || header->flags != kEveryTime2Decimal ||
      header->kind_mask != kNumbersOnly) {
    return false;
  }
  // The layout Decoder::run reads: no kind column (one kind), the first timestamps (not
  // needed here), the second ones, the decimal numbers.
  ByteReader in(payload.substr(kChunkHeaderSize));
  std::string_view times;
  std::string_view times2;
  std::string_view decimals;
  if (!in.read_section(times) || !in.read_section(times2) || !in.read_section(decimals) ||
      in.remaining() != 0) {
    return corrupt_chunk("section layout");
  }
  CT_RETURN_IF_ERROR(decode_timestamps(times2, header->count, out.times2, &out.times2_ascending));
  DecimalNumbers numbers;
  numbers.scaled.swap(out.scaled);  // its memory, not a new vector's
  Status decoded = decode_decimal_column(decimals, header->count, numbers);
  out.scaled.swap(numbers.scaled);
  CT_RETURN_IF_ERROR(decoded);
  out.decimal_exponent = numbers.exponent;
  return true;
}

Result<std::vector<std::int64_t>> read_chunk_times(std::string_view bytes) {
  if (bytes.size() < kChunkHeaderSize + 4) return corrupt_chunk("too short");
  std::string_view payload = bytes.substr(0, bytes.size() - 4);
  auto header = peek_chunk_header(payload);
  if (!header) return std::move(header).error();
  ByteReader in(payload.substr(kChunkHeaderSize));
  std::string_view section;
  if (needs_tag_column(header->kind_mask) && !in.read_section(section)) {
    return corrupt_chunk("section layout");
  }
  if (!in.read_section(section)) return corrupt_chunk("section layout");
  auto times = decode_timestamps(section, header->count);
  if (!times) return std::move(times).error();
  if (header->count > 0 &&
      (times->front() != header->min_time || times->back() != header->max_time)) {
    return corrupt_chunk("header time range");
  }
  return times;
}

Sample ChunkColumns::sample(std::size_t index) const {
  Sample sample;
  sample.time = times[index];
  sample.kind = kinds[index];
  if (!times2.empty() && time2_present[index]) sample.time2 = times2[index];
  switch (sample.kind) {
    case ValueKind::kNumber:
      sample.number = numbers[index];
      break;
    case ValueKind::kBool:
      sample.boolean = numbers[index] != 0;
      break;
    case ValueKind::kString:
    case ValueKind::kJson:
      sample.text = dictionary[text_indices[index]];
      break;
    case ValueKind::kNull:
      break;
  }
  return sample;
}

std::vector<Sample> ChunkColumns::samples() const {
  std::vector<Sample> out;
  out.reserve(size());
  for (std::size_t i = 0; i < size(); ++i) out.push_back(sample(i));
  return out;
}

}  // namespace citytwin::series
