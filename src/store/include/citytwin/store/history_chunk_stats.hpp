#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/series/number_summary.hpp"
#include "citytwin/store/entity_store.hpp"
#include "citytwin/store/history.hpp"
#include "citytwin/store/history_columns.hpp"

namespace citytwin::store {

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
  // No later chunk of this instance lies in the walk's range (its newest chunk by
  // modifiedAt there): a reader after the newest samples may decode it at once.
  bool last_in_range = false;
};

// Asked about each chunk lying wholly in the walk's range (and holding no sample a raw row
// shadows) before it is decoded: kDecode hands its samples to the visitor as usual; kSkip
// leaves them out, because the reader has everything it needs from the statistics (or
// nothing in the chunk concerns it).
// A store may ask first from less (the RocksDB store from a chunk's span: `numbers` unset,
// `days` empty) and, on kDecode, again with the chunk's full statistics. So a kSkip must be
// right for the statistics given, and a kDecode must leave no trace.
// kObservedDecimals: the reader needs only the observedAt instants and the values, which a
// chunk of decimal numbers each with observedAt (most sensor data) gives without decoding the
// rest; a walk that has a decimals visitor hands them to it (ObservedDecimals), and decodes
// any other chunk as for kDecode.
enum class ChunkUse { kDecode, kSkip, kObservedDecimals };
using HistoryChunkFilter = std::function<ChunkUse(const HistoryChunkStats&)>;

// A chunk's observedAt instants and values, each sample a non-deleted number with observedAt
// (ChunkUse::kObservedDecimals). Valid only during the visit.
struct ObservedDecimals {
  std::string_view attribute;  // expanded attribute name
  std::string_view dataset_id;
  HistoryRange modified;       // the chunk's modifiedAt span, [oldest, newest + 1)
  bool last_in_range = false;  // as HistoryChunkStats::last_in_range
  // times2: observedAt, in the chunk's order (by modifiedAt): they need not ascend.
  const series::Time2Decimals& columns;
  // Rebuilds sample `index`: its instance JSON and times (its sequence 0, attribute and
  // dataset_id left empty), decoding what it needs of the chunk's other columns.
  std::function<Result<HistorySample>(std::size_t index)> sample;
  // The same rebuild kept for after the visit (it holds a copy of the chunk's bytes): for a
  // reader that learns only later whether it needs the sample.
  std::function<std::function<Result<HistorySample>()>(std::size_t index)> keep;
};
// false stops the walk.
using ObservedDecimalsVisitor = std::function<bool(const ObservedDecimals&)>;

// Summarized walks (visit_history_summarized) of many entities' histories one after another,
// on one thread, from one snapshot of the store taken when the reader is made, with the same
// iterators: for a page of entities aggregated alike. Making a walk's snapshot and iterators
// was about a fifth of a walk that found nothing to read. A reader is made for the entities
// of one tenant up to one id (in byte order): its iterators stop there, so a walk never
// steps over the deleted history of entities past them. Others are walked as usual.
class SummarizedHistoryReader {
 public:
  virtual ~SummarizedHistoryReader() = default;
  virtual Status visit(std::string_view tenant, std::string_view entity, std::string_view attribute,
                       const HistoryRange& range, const HistoryColumnsVisitor& visit,
                       const HistoryChunkFilter& filter,
                       const ObservedDecimalsVisitor& decimals) = 0;
};

// What a store that keeps compressed chunks with statistics offers besides EntityStore
// (the RocksDB store): visit_history_columns() where `filter` is first asked about each
// chunk and may leave it undecoded.
class SummarizedHistory {
 public:
  virtual ~SummarizedHistory() = default;
  virtual Status visit_history_summarized(std::string_view tenant, std::string_view entity,
                                          std::string_view attribute, const HistoryRange& range,
                                          const HistoryColumnsVisitor& visit,
                                          const HistoryChunkFilter& filter,
                                          const ObservedDecimalsVisitor& decimals) const = 0;
  virtual std::unique_ptr<SummarizedHistoryReader> summarized_reader(
      std::string_view tenant, std::string_view last_entity) const = 0;
};

// The store's summarized walk when it has one, else its plain visit_history_columns() (the
// filter is then never asked: every sample reaches the visitor). Without `decimals`, a
// kObservedDecimals chunk is decoded as for kDecode.
Status visit_history_summarized(const EntityStore& store, std::string_view tenant,
                                std::string_view entity, std::string_view attribute,
                                const HistoryRange& range, const HistoryColumnsVisitor& visit,
                                const HistoryChunkFilter& filter,
                                const ObservedDecimalsVisitor& decimals = nullptr);
// The store's reader when it has one, else one that calls visit_history_summarized().
std::unique_ptr<SummarizedHistoryReader> summarized_history_reader(const EntityStore& store,
                                                                   std::string_view tenant,
                                                                   std::string_view last_entity);

}  // namespace citytwin::store
