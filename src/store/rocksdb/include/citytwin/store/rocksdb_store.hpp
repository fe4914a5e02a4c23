#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "citytwin/common/result.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::store {

// When the RocksDB store moves old raw history samples into compressed chunks
// (docs/storage.md, "History"). Compaction never changes what history() returns.
struct HistoryCompactionOptions {
  // Run the background compactor thread. Default true; false leaves history raw unless
  // EntityStore::compact_history() is called.
  bool background = true;
  // How often the background compactor looks for work. Default 60 s.
  std::chrono::milliseconds interval{60'000};
  // Only samples with modified_at older than now minus this are compacted: recent samples,
  // the ones most likely to be edited or read, stay raw. Default 10 minutes; 0 compacts
  // every sample stamped before now.
  std::chrono::seconds min_age{600};
  // An instance is compacted once it has at least this many such samples, so chunks do not
  // degenerate into a handful of samples each. Default 64 (0 counts as 1).
  std::size_t min_samples = 64;
  // Samples per chunk, at most; chunks are cut at UTC days of observedAt where they fit
  // (chunk_pieces.hpp). Larger chunks compress a little better and cost a walk fewer steps,
  // but a read or an edit of one sample decodes (or rewrites) the whole chunk. 2048 holds a
  // day of minute data: the hourly maximum of a day over 10,000 such sensors took 10-14 % less
  // CPU than with 1024 (docs/performance.md). Default 2048 (0 counts as 1).
  std::size_t chunk_samples = 2048;
  // Once passes have packed at least this many raw rows into chunks since the last time, and
  // those are at least half of the raw family's entries, the family is compacted by RocksDB at
  // once: the replaced rows (under range tombstones) otherwise keep their SST files until
  // RocksDB's own compactions reach them, about 20 bytes per point on disk after a bulk load
  // against 1 in the chunks. The half keeps that compaction from rewriting, after every pass,
  // the minutes of live rows that sustained ingestion keeps in the family. Default 65536;
  // 0 never.
  std::size_t reclaim_after_rows = 65'536;
  // When a pass finds the chunk families unwritten since the previous pass (a burst of chunk
  // writes, a history import or a compacted backlog, has ended) and their newest level (the
  // memtable and level 0, files that overlap and that every chunk read merges) holds at least
  // a tenth of their data, those are compacted down at once (docs/storage.md, "Chunk families
  // settled after a burst"). Default true.
  bool settle_chunks_after_bursts = true;
  // A write that appends at least 1024 samples (or chunk_samples if fewer) to one instance
  // (a history import) puts whole chunks of them straight into the chunk family instead of
  // raw rows (docs/storage.md, "Bulk appends"). Default true.
  bool pack_bulk_appends = true;
};

// How the RocksDB store opens its database. The defaults suit a small machine (2 cores,
// a few GiB of RAM); docs/storage.md explains the on-disk layout and the durability model.
struct RocksDbOptions {
  // Directory of the database; created (with its column families) when missing. Required:
  // there is no default.
  std::string path;
  // fsync the write-ahead log before apply()/put_document() return. This is what makes an
  // acknowledged (2xx) write survive an OS crash or power loss. Default true; false keeps
  // writes safe against a process crash only (tests, bulk imports).
  bool sync_writes = true;
  // Shared LRU cache for data, index and filter blocks of every column family. Default 64 MiB.
  std::size_t block_cache_bytes = std::size_t{64} << 20;
  // The documents of recently read entities, kept in front of RocksDB's point lookups
  // (docs/storage.md, "Entity read cache"). Default 64 MiB; 0 disables it.
  std::size_t entity_cache_bytes = std::size_t{64} << 20;
  // Upper bound on memtable memory over all column families before RocksDB flushes.
  // Default 64 MiB.
  std::size_t write_buffer_bytes = std::size_t{64} << 20;
  // Threads for flushes and compactions together. Default 2.
  int background_jobs = 2;
  // Table files kept open (each costs a file descriptor and some index memory); -1 means
  // unbounded. Default 512.
  int max_open_files = 512;
  // Compression of the history (see HistoryCompactionOptions).
  HistoryCompactionOptions history_compaction;
};

// Opens (or creates) the database at options.path and rebuilds the in-memory spatial index
// from it. Fails with kInternalError when the directory is unusable, locked by another
// process or corrupt, and with kServiceUnavailable when the disk is full.
// Every IdCursor from scan() must be destroyed before the store.
Result<std::unique_ptr<EntityStore>> open_rocksdb_store(const RocksDbOptions& options);

}  // namespace citytwin::store
