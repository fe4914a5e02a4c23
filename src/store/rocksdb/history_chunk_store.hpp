#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/write_batch.h>

#include "citytwin/common/result.hpp"
#include "citytwin/store/entity_store.hpp"
#include "citytwin/store/history.hpp"
#include "citytwin/store/history_chunk_stats.hpp"

// History kept in two column families (docs/storage.md, "History"): raw samples in `history`
// and compressed chunks in `history_chunks`, both keyed tenant|entity|attribute|dataset|
// modified_at|sequence (a chunk by its first sample). This file reads the two as one and
// plans the writes that move samples between them; the store does the locking and queueing.
//
// Invariants the compactor keeps: the chunks of one instance never overlap in key order
// (compaction rewrites every chunk reaching into the samples it compacts), so a sample is in
// at most one chunk, the last chunk whose key is <= the sample's key. A raw row and a chunk
// sample never share a key either, except when a fresh write reuses one (same microsecond and
// commit sequence after a restart): then the raw row is the newer write and wins.
namespace citytwin::store::kv {

struct HistoryFamilies {
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* raw = nullptr;
  rocksdb::ColumnFamilyHandle* chunks = nullptr;
  rocksdb::ColumnFamilyHandle* spans = nullptr;  // every chunk's span (history_chunk_span.hpp)
};

// Puts chunk `value` under `key` with its span, into `batch`.
Status put_chunk(const HistoryFamilies& families, std::string_view key, std::string_view value,
                 rocksdb::WriteBatch& batch);
// Deletes the chunk under `key` and its span.
Status delete_chunk(const HistoryFamilies& families, std::string_view key,
                    rocksdb::WriteBatch& batch);
// Deletes the chunks in [begin, end) and their spans.
Status delete_chunk_range(const HistoryFamilies& families, std::string_view begin,
                          std::string_view end, rocksdb::WriteBatch& batch);
// Gives every chunk its span unless the marker says that was done (a database written before
// spans existed), then sets the marker. At open, before any reader or writer.
Status fill_missing_chunk_spans(const HistoryFamilies& families,
                                const rocksdb::WriteOptions& write_options);

// The samples under `prefix` (an entity's or an attribute's history prefix, which starts
// with `entity_prefix`) in `range`, in key order, at most `limit`: raw rows and chunk samples
// merged, both read from one snapshot so a concurrent compaction shows every sample once.
// Chunks wholly outside the range are skipped from their header.
Result<std::vector<HistorySample>> read_history(const HistoryFamilies& families,
                                                std::string_view entity_prefix,
                                                std::string_view prefix, const HistoryRange& range,
                                                std::size_t limit);
// The same walk, handing each sample to `visit` (false stops it): memory stays bounded by a
// chunk's samples, however long the history.
using HistoryVisitor = EntityStore::HistoryVisitor;
Status visit_history(const HistoryFamilies& families, std::string_view entity_prefix,
                     std::string_view prefix, const HistoryRange& range,
                     const HistoryVisitor& visit);

// The same walk as columns (EntityStore::visit_history_columns): chunk samples are handed
// over from their decoded columns, their instances rebuilt only when the visitor asks. With
// a filter (store::visit_history_summarized), a chunk lying wholly in `range` whose
// samples no raw row shadows is offered to it first, from its statistics, and decoded only
// when it says so (chunks of format 1 have no statistics and are always decoded), or handed
// to `decimals` as observedAt and values only when it asks for that and the chunk has them
// (ChunkUse::kObservedDecimals).
struct HistoryWalkVisitors {
  const HistoryColumnsVisitor& columns;
  const HistoryChunkFilter& filter;
  const ObservedDecimalsVisitor& decimals;
};
Status visit_history_columns(const HistoryFamilies& families, std::string_view entity_prefix,
                             std::string_view prefix, const HistoryRange& range,
                             const HistoryWalkVisitors& visitors);

// The iterators of many walks from one snapshot (SummarizedHistoryReader), made on first use
// and kept, all bounded by `upper_bound` (keys of the walks' prefixes lie below it); each walk
// stops at its own prefix. One thread at a time.
class HistoryWalkIterators {
 public:
  HistoryWalkIterators(const HistoryFamilies& families, std::string upper_bound);
  const std::string& upper_bound() const { return upper_bound_; }
  HistoryWalkIterators(const HistoryWalkIterators&) = delete;
  HistoryWalkIterators& operator=(const HistoryWalkIterators&) = delete;

  rocksdb::Iterator& raw();
  rocksdb::Iterator& chunks();
  rocksdb::Iterator& spans();
  bool has_spans() const { return families_.spans != nullptr; }

 private:
  rocksdb::Iterator& make(std::unique_ptr<rocksdb::Iterator>& slot,
                          rocksdb::ColumnFamilyHandle* family);

  HistoryFamilies families_;
  rocksdb::ManagedSnapshot snapshot_;
  std::string upper_bound_;
  rocksdb::Slice upper_bound_slice_;
  rocksdb::ReadOptions read_;
  std::unique_ptr<rocksdb::Iterator> raw_;
  std::unique_ptr<rocksdb::Iterator> chunks_;
  std::unique_ptr<rocksdb::Iterator> spans_;
};

// visit_history_columns() with the iterators of `iterators`.
Status visit_history_columns(HistoryWalkIterators& iterators, std::string_view entity_prefix,
                             std::string_view prefix, const HistoryRange& range,
                             const HistoryWalkVisitors& visitors);

// A chunk to be turned back into raw rows (an edit of one of its samples).
struct ChunkToExplode {
  std::string key;
  std::vector<HistorySample> samples;
};
// The chunk of the instance at `instance_prefix` holding the sample at `point`, or nullopt.
// Reads the current database: the caller holds the entity's lock and has waited for every
// submitted write to be durable.
Result<std::optional<ChunkToExplode>> find_chunk_holding(const HistoryFamilies& families,
                                                         std::string_view instance_prefix,
                                                         std::int64_t modified_at,
                                                         std::uint64_t sequence);
// Deletes the chunk and puts its samples back as raw rows.
Status fill_explode(const HistoryFamilies& families, std::string_view instance_prefix,
                    const ChunkToExplode& chunk, rocksdb::WriteBatch& batch);

// Retention: erasing the samples older than a cutoff from every instance under a prefix.
// Raw rows and whole chunks go by range deletions; a chunk straddling the cutoff is replaced
// by its newer samples as raw rows (the compactor packs them again), so exactly the older
// samples go. Planned from the current database: the caller holds the entity's lock and has
// waited for every submitted write to be durable.
struct InstanceTrim {
  std::string instance_prefix;
  std::optional<ChunkToExplode> straddling;  // its samples at or after the cutoff
};
Result<std::vector<InstanceTrim>> plan_trims(const HistoryFamilies& families,
                                             std::string_view entity_prefix,
                                             std::string_view prefix, std::int64_t cutoff);
Status fill_trim(const HistoryFamilies& families, const InstanceTrim& trim, std::int64_t cutoff,
                 rocksdb::WriteBatch& batch);

// The writes that compact one instance: every raw sample older than `cutoff` moves into
// chunks of at most `chunk_samples`, together with the samples of the chunks it must rewrite
// (those reaching into the raw samples' time span, and the last older chunk when it is not
// full). nullopt when fewer than `min_samples` raw samples are old enough. At most
// `max_raw_samples` (the oldest) are taken, which bounds the memory and the batch of one step;
// `more` then says that older raw samples remain for another step.
struct InstanceCompaction {
  bool more = false;
  // The raw rows packed into `chunks`: every raw row of the instance from raw_first up to
  // and including raw_last (a contiguous key range, deleted with one range tombstone).
  std::string raw_first;
  std::string raw_last;
  std::size_t raw_count = 0;
  std::vector<std::string> chunk_keys;  // to delete (before the puts: a key may be reused)
  std::vector<std::pair<std::string, std::string>> chunks;  // to put
};
Result<std::optional<InstanceCompaction>> plan_instance_compaction(
    const HistoryFamilies& families, std::string_view instance_prefix, std::int64_t cutoff,
    std::size_t min_samples, std::size_t chunk_samples, std::size_t max_raw_samples);
Status fill_compaction(const HistoryFamilies& families, const InstanceCompaction& compaction,
                       rocksdb::WriteBatch& batch);

}  // namespace citytwin::store::kv
