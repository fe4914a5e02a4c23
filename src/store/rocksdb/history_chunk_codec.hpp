#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/series/text_column.hpp"
#include "citytwin/store/history.hpp"
#include "citytwin/store/history_chunk_stats.hpp"
#include "citytwin/store/history_columns_builder.hpp"

// Values of the `history_chunks` column family (docs/storage.md, "History"): the samples of
// one attribute instance over a stretch of time, compressed column by column. The key is the
// history key (history_codec.hpp) of the chunk's first sample, so one instance's chunks sort
// by time next to its raw samples' prefix.
//
//   u8      format version (2; version 1 chunks, without the statistics section, are read
//           as before and rewritten in version 2 when compaction next rewrites them)
//   section statistics (version 2 only; docs/storage.md, "Chunk statistics"):
//           u8 flags (bit 0: number summary present), varint deleted count, varint
//           observedAt count, i64 min and max observedAt (0 when none), and with bit 0 six
//           f64: sum, sumsq, mean, m2, min, max of the values (present only when every
//           sample is a non-deleted number, none NaN)
//   section a series chunk (src/series, docs/timeseries.md): time = modified_at,
//           time2 = observed_at, value = the instance's "value" member as a number, boolean,
//           string or JSON text (kNull when the sample has no value member or is a deletion)
//   section the sequences, delta-of-delta encoded (series::encode_timestamps)
//   section the deleted flags: empty when no sample is a deletion, else a bitmap
//   section the residuals (series text column): each instance's JSON minus its value and
//           minus observedAt/modifiedAt when they are exactly the canonical text of time2/time,
//           prefixed with where to put them back; within one instance it is nearly always the
//           same text, so the dictionary stores it once and each sample costs a few bits
//   u32     CRC-32C of everything above
//
// Numbers are kept as doubles only when formatting the double back gives the original text
// byte for byte (Boost.JSON's formats: integers as such, other doubles in Ryu's shortest
// "2.15E1" form); anything else stays JSON text. So decoding always rebuilds every
// HistorySample exactly: decode(encode(samples)) == samples.
namespace citytwin::store::kv {

inline constexpr std::uint8_t kHistoryChunkVersion = 2;
inline constexpr std::uint8_t kHistoryChunkVersionWithoutStats = 1;

// Encodes samples of ONE instance sorted by (modified_at, sequence); their attribute and
// dataset_id are not stored (they are in the key). Fails on unsorted input or more samples
// than a series chunk holds.
Result<std::string> encode_history_chunk(std::span<const HistorySample> samples);

// A chunk encoded before its samples have their sequence: a bulk append (docs/storage.md,
// "Bulk appends") is numbered only when the commit queue takes it, and encoding a thousand
// samples must not happen under the queue's lock. All of its samples get the same sequence.
struct PreparedHistoryChunk {
  std::string head;  // version, statistics and series chunk sections
  std::string tail;  // deleted flags and residuals sections
  std::size_t count = 0;
};
// `samples` of one instance with strictly increasing modified_at; their sequence is ignored.
Result<PreparedHistoryChunk> prepare_history_chunk(std::span<const HistorySample> samples);
// The chunk with every sample numbered `sequence`: the bytes encode_history_chunk gives for
// the same samples carrying that sequence.
std::string finish_history_chunk(const PreparedHistoryChunk& prepared, std::uint64_t sequence);

// What peek_history_chunk reads without decoding: enough to skip a chunk outside a range,
// and (version 2) the statistics of its samples, checksum verified.
struct HistoryChunkSummary {
  std::uint32_t count = 0;
  std::int64_t min_modified_at = 0;
  std::int64_t max_modified_at = 0;
  // Version 2 only: attribute and dataset_id left empty (they are in the key).
  std::optional<HistoryChunkStats> stats;
};
// With `statistics` (a reader that may answer from them), a version-2 chunk's statistics
// are read too, after its checksum is verified; without, only the series header is read.
enum class ChunkPeek { kHeader, kStatistics };
Result<HistoryChunkSummary> peek_history_chunk(std::string_view bytes,
                                               ChunkPeek peek = ChunkPeek::kHeader);

// The observedAt instants and values of a chunk whose samples are all non-deleted numbers of
// the decimal column, each with observedAt (series::read_time2_decimals, into `out`): what an
// aggregation by observedAt reads, without decoding the rest. false for a chunk of another
// shape (open it whole then). `bytes`' checksum must have been verified (peek_history_chunk
// with statistics).
Result<bool> read_observed_decimals(std::string_view bytes, series::Time2Decimals& out);
// Sample `index` of such a chunk (`columns`: what read_observed_decimals gave for `bytes`)
// rebuilt, decoding only its own residual and, unless it is the chunk's last, the modifiedAt
// column: what a reader after the newest instance's type asks of one sample. Its sequence
// is not read (0); attribute and dataset_id are left empty.
Result<HistorySample> rebuild_observed_decimal(std::string_view bytes,
                                               const series::Time2Decimals& columns,
                                               std::size_t index);
// rebuild_observed_decimal() of sample `index` later, from a copy of `bytes` (read again).
std::function<Result<HistorySample>()> kept_observed_decimal(std::string_view bytes,
                                                             std::size_t index);

// A chunk opened for reading: checksum verified and every column decoded, each sample's
// instance rebuilt only when asked (a columnar reader needs the values, not the JSON).
class DecodedHistoryChunk : public HistorySampleSource {
 public:
  // Corrupt bytes are an Error (kInternalError), never a crash. kVerified: the caller has
  // just checked these very bytes' checksum (peek_history_chunk with statistics), so it is
  // not computed twice.
  enum class Checksum { kVerify, kVerified };
  static Result<DecodedHistoryChunk> open(std::string_view bytes,
                                          Checksum checksum = Checksum::kVerify);

  DecodedHistoryChunk() = default;
  // A move leaves the residual texts to be opened again: they view the moved bytes.
  DecodedHistoryChunk(DecodedHistoryChunk&& other) noexcept;
  DecodedHistoryChunk& operator=(DecodedHistoryChunk&& other) noexcept;
  DecodedHistoryChunk(const DecodedHistoryChunk&) = delete;
  DecodedHistoryChunk& operator=(const DecodedHistoryChunk&) = delete;

  std::size_t size() const { return columns_.size(); }
  // times = modified_at, times2/time2_present = observed_at, and the value columns hold each
  // instance's "value" member (instance_text.hpp's classification); kNull for a deletion or
  // an instance without a "value" member, whose value stays in the rebuilt instance.
  const series::ChunkColumns& columns() const { return columns_; }
  std::int64_t modified_at(std::size_t index) const { return columns_.times[index]; }
  std::uint64_t sequence(std::size_t index) const {
    return static_cast<std::uint64_t>(sequences_[index]);
  }
  std::optional<std::int64_t> observed_at(std::size_t index) const;
  bool deleted(std::size_t index) const;
  std::span<const std::int64_t> sequences() const { return sequences_; }
  // Bit i set: sample i records a deletion; empty when none does.
  std::string_view deleted_bitmap() const { return deleted_; }
  // Sample `index` whole; attribute and dataset_id are left empty (they are in the key).
  Result<HistorySample> sample(std::size_t index) const override;

 private:
  // Opens the residual texts on the first sample() (most readers never rebuild one, and a
  // lastN or an aggregation rebuilds one or two, so each is read where it lies): the checksum
  // already covered their bytes.
  Status load_residuals() const;

  series::ChunkColumns columns_;
  std::vector<std::int64_t> sequences_;
  std::string deleted_;  // bitmap, empty when no sample is a deletion
  std::string residual_bytes_;
  // Not thread-safe, like the walks that hold a decoded chunk: one reader at a time.
  // Views into residual_bytes_: opened only once the chunk has its final address.
  mutable std::optional<series::TextColumnView> residuals_;
};

// Rebuilds the samples, filling attribute and dataset_id from the arguments. Corrupt bytes
// are an Error (kInternalError), never a crash.
Result<std::vector<HistorySample>> decode_history_chunk(std::string_view bytes,
                                                        std::string_view attribute,
                                                        std::string_view dataset_id);

}  // namespace citytwin::store::kv
