#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include "citytwin/common/result.hpp"
#include "citytwin/store/entity_store.hpp"
#include "history_chunk_codec.hpp"
#include "history_chunk_store.hpp"

// Bulk appends written straight into compressed chunks (docs/storage.md, "Bulk appends").
// A write that appends many samples to one attribute instance (a history import through
// POST /temporal/entities, thousands of samples per request) would otherwise put one raw row
// per sample, which RocksDB logs, flushes and compacts, and which the history compactor then
// reads back, packs and deletes: most of the CPU of a bulk load. Here the store packs such an
// instance's samples into chunks (at most chunk_samples each, cut at UTC days as
// chunk_pieces.hpp says) itself, in
// the write's own atomic batch, so the compactor has nothing left to do for them.
//
// The chunks keep the compactor's invariant that an instance's chunks never overlap: only
// samples newer than everything the instance holds are packed (checked under the entity's
// lock, after every earlier write is durable, so no pending write is missed).
namespace citytwin::store::kv {

struct BulkChunk {
  std::string instance_prefix;  // tenant|entity|attribute|dataset
  std::int64_t first_modified_at = 0;
  PreparedHistoryChunk prepared;  // numbered when the commit queue takes the write
};

struct BulkChunkPlan {
  std::vector<BulkChunk> chunks;
  // Per change (same order as the changes): which of its history samples are in `chunks`
  // and so are not written as raw rows. Empty for a change with none.
  std::vector<std::vector<bool>> packed;

  bool empty() const { return chunks.empty(); }
  bool is_packed(std::size_t change, std::size_t sample) const {
    return change < packed.size() && !packed[change].empty() && packed[change][sample];
  }
};

// An import packs an instance's samples at once from this many in one write, or from
// chunk_samples when that is smaller: a day of minute data (1,440) is packed although a
// chunk may hold 2,048.
inline constexpr std::size_t kBulkMinSamples = 1024;
inline std::size_t bulk_min_samples(std::size_t chunk_samples) {
  return std::min(chunk_samples, kBulkMinSamples);
}

// Whether some instance of `changes` is a candidate: at least bulk_min_samples(chunk_samples)
// samples in one change, all numbered by the write (sequence 0), modified_at strictly increasing,
// in a change that erases no history, and no sample of that instance in another change of the
// write. Reads nothing (the caller then waits for durability).
bool has_bulk_candidates(std::span<const Change> changes, std::size_t chunk_samples);

// Packs the candidates whose first sample is newer than every sample the instance
// holds in the database (raw or chunked). The caller holds the entity locks and has waited for
// every submitted write to be durable, so the database is the whole story.
Result<BulkChunkPlan> plan_bulk_chunks(const HistoryFamilies& families, std::string_view tenant,
                                       std::span<const Change> changes, std::size_t chunk_samples);

// The chunks, each numbered `sequence` (the write's), into the write's batch.
Status fill_bulk_chunks(const HistoryFamilies& families, const BulkChunkPlan& plan,
                        std::uint64_t sequence, rocksdb::WriteBatch& batch);

}  // namespace citytwin::store::kv
