#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/series/aggregation.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/store/history.hpp"

namespace citytwin::store {

// Consecutive samples of ONE attribute instance in (modified_at, sequence) order, column by
// column: what a reader that aggregates needs, without the instances' JSON. A store that
// keeps history compressed hands its chunks' columns over as they are decoded.
struct HistoryColumns {
  std::string attribute;   // expanded attribute name
  std::string dataset_id;  // "" for the default instance
  // One entry per sample in every vector: times = modified_at; times2 and time2_present =
  // observed_at (always sized, 0 where absent); kinds/numbers/text_indices/dictionary = the
  // instance's top-level "value" member as instance_text.hpp classifies it. kNull where the
  // sample is a deletion or its instance has no "value" member (a Relationship's "object",
  // a LanguageProperty's "languageMap", ...): rebuild the sample for those.
  series::ChunkColumns values;
  std::vector<std::uint8_t> deleted;  // 1 where the sample records a deletion
  std::vector<std::uint64_t> sequences;
  // Rebuilds sample `index` whole (its instance JSON included), for what the columns leave
  // out; valid only during the visit.
  std::function<Result<HistorySample>(std::size_t index)> sample;

  std::size_t size() const { return values.times.size(); }
};

// false stops the walk.
using HistoryColumnsVisitor = std::function<bool(const HistoryColumns&)>;

// What a compressed chunk records about its samples, read without decoding them
// (docs/storage.md, "Chunk statistics"): enough to skip a chunk outside a time range, to
// answer a period that covers it whole, or to find the newest samples first.
struct HistoryChunkStats {
  std::string_view attribute;  // expanded attribute name
  std::string_view dataset_id;
  std::uint64_t count = 0;
  std::int64_t min_modified_at = 0;
  std::int64_t max_modified_at = 0;
  std::uint64_t deleted_count = 0;   // samples recording a deletion
  std::uint64_t observed_count = 0;  // samples with observedAt
  std::int64_t min_observed_at = 0;  // over those; 0 when observed_count == 0
  std::int64_t max_observed_at = 0;
  // Set when every sample is a non-deleted plain number (its "value" member, not NaN):
  // then these are the aggregates of all count of them.
  std::optional<series::NumberSummary> numbers;
  // With `numbers`, when every sample has observedAt: the same per UTC day of observedAt
  // (day start in µs, ascending), so a daily period aligned to UTC midnight needs no
  // decoding even where the chunk spans two days.
  std::vector<std::pair<std::int64_t, series::NumberSummary>> days;
};

// Asked about each chunk lying wholly in the walk's range (and holding no sample a raw row
// shadows) before it is decoded: kDecode hands its samples to the visitor as usual; kSkip
// leaves them out, because the reader has everything it needs from the statistics (or
// nothing in the chunk concerns it).
enum class ChunkUse { kDecode, kSkip };
using HistoryChunkFilter = std::function<ChunkUse(const HistoryChunkStats&)>;

}  // namespace citytwin::store
