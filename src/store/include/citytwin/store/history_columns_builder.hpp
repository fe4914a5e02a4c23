#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/store/history_columns.hpp"

namespace citytwin::store {

// Where a sample handed over as columns can be rebuilt whole (a decoded chunk).
class HistorySampleSource {
 public:
  virtual ~HistorySampleSource() = default;
  virtual Result<HistorySample> sample(std::size_t index) const = 0;
};

// Entries [begin, end) of a source's decoded columns, handed over together.
struct SourceEntries {
  std::shared_ptr<const HistorySampleSource> source;  // rebuilds an entry whole when asked
  const series::ChunkColumns* columns = nullptr;
  std::span<const std::int64_t> sequences;  // one per entry of `columns`
  std::string_view deleted_bitmap;          // bit i: entry i records a deletion; empty: none
  std::size_t begin = 0;
  std::size_t end = 0;
};

// For store implementations: gathers the samples of a history walk into HistoryColumns
// batches of at most kBatchSamples, one instance at a time, and hands them to the visitor.
class HistoryColumnsBuilder {
 public:
  static constexpr std::size_t kBatchSamples = 1024;

  explicit HistoryColumnsBuilder(const HistoryColumnsVisitor& visit) : visit_(visit) {}

  // Each add returns false once the visitor has stopped the walk.
  // A sample whose instance is JSON text (a raw row): its "value" member is classified.
  bool add_sample(HistorySample sample);
  // Entries [begin, end) of a source's decoded columns (rebuilt from the source only when
  // asked), copied as column ranges: a compacted instance's chunks reach the visitor without
  // per-sample work.
  bool add_entries(const std::string& attribute, const std::string& dataset_id,
                   const SourceEntries& entries);
  // Hands over what is gathered; false when the visitor stopped.
  bool flush();

 private:
  // Where batch entries [first, next run's first) come from: consecutive entries of one
  // source (a chunk's run) are one Origin, not one per sample.
  struct Origin {
    std::uint32_t first = 0;   // the batch entry the run starts at
    std::uint32_t source = 0;  // 0: raw_samples_, k: sources_[k - 1]
    std::uint32_t index = 0;   // the first entry's index in its source
  };

  bool switch_instance(const std::string& attribute, const std::string& dataset_id);
  std::uint32_t intern(std::string_view text);
  void push(std::int64_t modified_at, std::optional<std::int64_t> observed_at, bool deleted,
            std::uint64_t sequence, series::ValueKind kind, double number, std::uint32_t text);
  bool after_push();
  void add_origin(std::uint32_t source, std::uint32_t index, std::uint32_t count);
  // Empties the batch but keeps its vectors' memory for the next one.
  void clear_batch();
  void reserve_batch();
  // Whether entries of `from` (with deletions or not) can join the batch without costing its
  // decimal entries, or theirs, the exact integer path (series::ChunkColumns::scaled): a batch
  // holds decimal entries of one scale only, or no decimal entries; else it is handed over
  // first. A raw row before a bulk-loaded instance's chunks made every batch after it take
  // the double path (docs/performance.md, "Run of 2026-12-06, 01:56 UTC").
  bool joins_alike(const series::ChunkColumns& from, bool deletions) const;
  // Extends the batch's scaled integers (series::ChunkColumns::scaled) by entries [begin,
  // end) of `from`, just appended, or drops them when the batch is no longer all decimal.
  void keep_scaled(const series::ChunkColumns& from, std::size_t begin, std::size_t end,
                   bool deletions);
  Result<HistorySample> rebuild(std::size_t index) const;

  const HistoryColumnsVisitor& visit_;
  bool stopped_ = false;
  HistoryColumns batch_;
  std::vector<Origin> origins_;
  std::vector<HistorySample> raw_samples_;
  std::vector<std::shared_ptr<const HistorySampleSource>> sources_;
  std::unordered_map<std::string, std::uint32_t> dictionary_index_;
};

}  // namespace citytwin::store
