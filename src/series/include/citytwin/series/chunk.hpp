#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/series/sample.hpp"

namespace citytwin::series {

// A chunk: the samples of one attribute instance over a stretch of time, sorted by primary
// timestamp, stored column by column and compressed. The byte layout is in docs/timeseries.md.
// Version 2 added the decimal number column (flag kDecimalNumbers); version 1 chunks (XOR
// numbers only) are still read.
inline constexpr std::uint8_t kChunkVersion = 2;
inline constexpr std::uint8_t kChunkVersion1 = 1;
inline constexpr std::size_t kChunkHeaderSize = 23;
// Builders refuse more, readers reject more: bounds every allocation a corrupt chunk can ask
// for. Stores keep chunks far smaller (split_samples, about 1024 per chunk).
inline constexpr std::uint32_t kMaxChunkSamples = 1u << 22;

// The fixed-size header, readable without decoding the chunk (peek_chunk_header), so a
// store can skip chunks outside a queried time range.
struct ChunkHeader {
  static constexpr std::uint8_t kHasTime2 = 1;        // second timestamp column present
  static constexpr std::uint8_t kTime2Partial = 2;    // ... but not on every sample
  static constexpr std::uint8_t kDecimalNumbers = 4;  // v2: numbers in the decimal column

  std::uint8_t version = kChunkVersion;
  std::uint8_t flags = 0;
  std::uint8_t kind_mask = 0;  // bit k set when some sample has ValueKind k
  std::uint32_t count = 0;
  std::int64_t min_time = 0;  // primary timestamps; both 0 for an empty chunk
  std::int64_t max_time = 0;

  bool has_kind(ValueKind kind) const { return (kind_mask >> static_cast<int>(kind)) & 1; }
  bool has_time2() const { return (flags & kHasTime2) != 0; }
};

// A decoded chunk, one entry per sample in every per-sample vector, sorted by `times`.
// Aggregation runs on these vectors directly; sample() builds a Sample only when asked.
struct ChunkColumns {
  std::vector<std::int64_t> times;
  std::vector<ValueKind> kinds;
  std::vector<double> numbers;              // the number for kNumber, 0/1 for kBool, 0 otherwise
  std::vector<std::uint32_t> text_indices;  // into dictionary for kString/kJson, 0 otherwise
  std::vector<std::string> dictionary;      // distinct texts of the chunk
  // Only when the chunk has a second timestamp column (otherwise both empty).
  std::vector<std::int64_t> times2;
  std::vector<std::uint8_t> time2_present;  // 1 where the sample has a second timestamp
  // Only when every sample is a number stored in the decimal column (otherwise empty): the
  // scaled integers, numbers[i] == decimal_value(scaled[i], 10^decimal_exponent). Sums and
  // bounds over them are exact (aggregation.cpp).
  std::vector<std::int64_t> scaled;
  std::uint8_t decimal_exponent = 0;

  std::size_t size() const { return times.size(); }
  Sample sample(std::size_t index) const;
  std::vector<Sample> samples() const;
};

// Collects samples in any order and encodes them sorted by primary timestamp. The sort is
// stable: samples with equal timestamps keep the order they were added in, so a caller that
// adds existing data before late data decides which duplicate reads first.
class ChunkBuilder {
 public:
  void add(Sample sample) { samples_.push_back(std::move(sample)); }
  std::size_t size() const { return samples_.size(); }
  // Encodes and empties the builder. Fails only above kMaxChunkSamples.
  Result<std::string> finish();

 private:
  std::vector<Sample> samples_;
};

// Reads the header only: no checksum verification, no decoding.
Result<ChunkHeader> peek_chunk_header(std::string_view bytes);

// Verifies the checksum and decodes every column. Any corruption (a flipped bit, truncation,
// a torn write) is an Error value, never a crash or undefined behaviour.
class ChunkReader {
 public:
  // kCoveredByCaller: the caller has verified a checksum over these bytes already (a
  // container format that embeds the chunk), so the chunk's own is not computed again. The
  // columns are still decoded defensively.
  enum class Checksum { kVerify, kCoveredByCaller };
  static Result<ChunkReader> open(std::string_view bytes, Checksum checksum = Checksum::kVerify);

  const ChunkHeader& header() const { return header_; }
  const ChunkColumns& columns() const& { return columns_; }
  ChunkColumns&& columns() && { return std::move(columns_); }
  std::size_t size() const { return columns_.size(); }
  Sample sample(std::size_t index) const { return columns_.sample(index); }

 private:
  ChunkReader(ChunkHeader header, ChunkColumns columns)
      : header_(header), columns_(std::move(columns)) {}

  ChunkHeader header_;
  ChunkColumns columns_;
};

// What an aggregation by the second timestamp reads of a chunk whose samples are all numbers
// of the decimal column, each with a second timestamp: those timestamps and the scaled
// integers (ChunkColumns::times2 and ::scaled), one entry per sample in the chunk's order.
struct Time2Decimals {
  std::vector<std::int64_t> times2;
  std::vector<std::int64_t> scaled;
  std::uint8_t decimal_exponent = 0;
  bool times2_ascending = false;  // times2 never decrease (false: they may)
};

// Reads only those two columns of a chunk, for a caller that has verified a checksum over
// `bytes` already (ChunkReader::Checksum::kCoveredByCaller): they are decoded as defensively
// as ChunkReader does, the other columns not at all, into `out` (its vectors' memory reused
// from one chunk to the next; its contents unspecified unless true is returned). false when
// the chunk has another shape (a kind other than numbers, XOR numbers, a sample without a
// second timestamp): read it with ChunkReader then.
Result<bool> read_time2_decimals(std::string_view bytes, Time2Decimals& out);

// The primary timestamps (ChunkColumns::times) alone, as defensively decoded as ChunkReader
// does, for the same caller: one sample of a chunk read with read_time2_decimals rebuilt.
Result<std::vector<std::int64_t>> read_chunk_times(std::string_view bytes);

}  // namespace citytwin::series
