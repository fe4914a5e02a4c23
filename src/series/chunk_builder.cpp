#include <algorithm>
#include <optional>

#include "chunk_format.hpp"
#include "citytwin/series/bit_stream.hpp"
#include "citytwin/series/byte_io.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/series/crc32c.hpp"
#include "citytwin/series/decimal_column.hpp"
#include "citytwin/series/float_column.hpp"
#include "citytwin/series/text_column.hpp"
#include "citytwin/series/timestamp_column.hpp"

namespace citytwin::series {
namespace {

ChunkHeader make_header(const std::vector<Sample>& samples) {
  ChunkHeader header;
  header.count = static_cast<std::uint32_t>(samples.size());
  bool any_time2 = false;
  bool all_time2 = true;
  for (const Sample& sample : samples) {
    header.kind_mask |= static_cast<std::uint8_t>(1u << static_cast<int>(sample.kind));
    any_time2 = any_time2 || sample.time2.has_value();
    all_time2 = all_time2 && sample.time2.has_value();
  }
  if (any_time2) header.flags |= ChunkHeader::kHasTime2;
  if (any_time2 && !all_time2) header.flags |= ChunkHeader::kTime2Partial;
  if (!samples.empty()) {
    header.min_time = samples.front().time;
    header.max_time = samples.back().time;
  }
  return header;
}

void append_header(std::string& out, const ChunkHeader& header) {
  append_u8(out, header.version);
  append_u8(out, header.flags);
  append_u8(out, header.kind_mask);
  append_u32(out, header.count);
  append_u64(out, static_cast<std::uint64_t>(header.min_time));
  append_u64(out, static_cast<std::uint64_t>(header.max_time));
}

// Runs of equal tags: varint run count, then per run the tag byte and a varint length.
std::string encode_tags(const std::vector<Sample>& samples) {
  std::string runs;
  std::uint64_t run_count = 0;
  std::size_t i = 0;
  while (i < samples.size()) {
    Tag tag = tag_of(samples[i].kind, samples[i].boolean);
    std::size_t end = i + 1;
    while (end < samples.size() && tag_of(samples[end].kind, samples[end].boolean) == tag) ++end;
    append_u8(runs, static_cast<std::uint8_t>(tag));
    append_varint(runs, end - i);
    ++run_count;
    i = end;
  }
  std::string out;
  append_varint(out, run_count);
  out += runs;
  return out;
}

std::string encode_times(const std::vector<Sample>& samples) {
  std::vector<std::int64_t> times;
  times.reserve(samples.size());
  for (const Sample& sample : samples) times.push_back(sample.time);
  return encode_timestamps(times);
}

// Samples without a second timestamp repeat their primary one, which keeps the
// delta-of-delta stream as regular as the primary column.
std::string encode_times2(const std::vector<Sample>& samples) {
  std::vector<std::int64_t> times;
  times.reserve(samples.size());
  for (const Sample& sample : samples) times.push_back(sample.time2.value_or(sample.time));
  return encode_timestamps(times);
}

std::string encode_presence(const std::vector<Sample>& samples) {
  BitWriter bits;
  for (const Sample& sample : samples) bits.write_bit(sample.time2.has_value());
  return bits.finish();
}

std::vector<double> numbers_of(const std::vector<Sample>& samples) {
  std::vector<double> numbers;
  for (const Sample& sample : samples) {
    if (sample.kind == ValueKind::kNumber) numbers.push_back(sample.number);
  }
  return numbers;
}

// The decimal column when every number is decimal (flag kDecimalNumbers), else the XOR one.
std::string encode_numbers(const std::vector<double>& numbers, ChunkHeader& header) {
  if (std::optional<DecimalNumbers> decimal = to_decimal(numbers)) {
    header.flags |= ChunkHeader::kDecimalNumbers;
    return encode_decimal_column(*decimal);
  }
  return encode_doubles(numbers);
}

std::string encode_texts(const std::vector<Sample>& samples) {
  std::vector<std::string_view> texts;
  for (const Sample& sample : samples) {
    if (sample.kind == ValueKind::kString || sample.kind == ValueKind::kJson) {
      texts.push_back(sample.text);
    }
  }
  return encode_text_column(make_text_column(texts));
}

}  // namespace

Result<std::string> ChunkBuilder::finish() {
  if (samples_.size() > kMaxChunkSamples) {
    return make_error(ErrorKind::kInternalError, "time-series chunk of " +
                                                     std::to_string(samples_.size()) +
                                                     " samples exceeds the limit; split it first");
  }
  auto by_time = [](const Sample& a, const Sample& b) { return a.time < b.time; };
  // Writers mostly add in time order (a history import, the compactor's merged runs): a
  // stable sort of sorted samples would still allocate and merge them.
  if (!std::is_sorted(samples_.begin(), samples_.end(), by_time)) {
    std::stable_sort(samples_.begin(), samples_.end(), by_time);
  }
  ChunkHeader header = make_header(samples_);
  std::string numbers;
  if (header.has_kind(ValueKind::kNumber)) numbers = encode_numbers(numbers_of(samples_), header);
  std::string out;
  append_header(out, header);
  if (needs_tag_column(header.kind_mask)) append_section(out, encode_tags(samples_));
  append_section(out, encode_times(samples_));
  if (header.flags & ChunkHeader::kTime2Partial) append_section(out, encode_presence(samples_));
  if (header.has_time2()) append_section(out, encode_times2(samples_));
  if (header.has_kind(ValueKind::kNumber)) append_section(out, numbers);
  if (header.has_kind(ValueKind::kString) || header.has_kind(ValueKind::kJson)) {
    append_section(out, encode_texts(samples_));
  }
  append_u32(out, crc32c(out));
  samples_.clear();
  return out;
}

}  // namespace citytwin::series
