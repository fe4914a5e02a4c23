#include "db_options.hpp"

#include <algorithm>
#include <string>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>

#include "column_families.hpp"
#include "count_merge_operator.hpp"

namespace citytwin::store::kv {
namespace {

bool supported(rocksdb::CompressionType type) {
  static const std::vector<rocksdb::CompressionType> kSupported =
      rocksdb::GetSupportedCompressions();
  return std::find(kSupported.begin(), kSupported.end(), type) != kSupported.end();
}

// LZ4 on the upper levels (cheap to compress what will soon be rewritten), ZSTD on the
// bottommost level where ~90% of the data lives and ratio matters more than speed. Falls
// back to what the installed librocksdb was built with.
void set_compression(rocksdb::ColumnFamilyOptions& family) {
  if (supported(rocksdb::kLZ4Compression)) {
    family.compression = rocksdb::kLZ4Compression;
  } else if (supported(rocksdb::kSnappyCompression)) {
    family.compression = rocksdb::kSnappyCompression;
  } else {
    family.compression = rocksdb::kNoCompression;
  }
  if (supported(rocksdb::kZSTD)) family.bottommost_compression = rocksdb::kZSTD;
}

rocksdb::DBOptions make_db_options(const RocksDbOptions& options) {
  rocksdb::DBOptions db;
  db.create_if_missing = true;
  db.create_missing_column_families = true;
  db.paranoid_checks = true;  // refuse to open (rather than silently skip) corrupt files
  // Replays the WAL up to the first torn record: a record acknowledged after fsync is whole,
  // and only an unacknowledged tail write can be torn by a power loss.
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db.max_background_jobs = options.background_jobs;
  db.max_open_files = options.max_open_files;
  db.db_write_buffer_size = options.write_buffer_bytes;
  // Forces a flush of the families that pin the oldest WAL file once the WAL exceeds the
  // memtable budget: rarely written families (tenants, documents) would otherwise keep old
  // WAL files alive, and the WAL size bounds replay time after a crash.
  db.max_total_wal_size = options.write_buffer_bytes;
  db.bytes_per_sync = 1 << 20;  // smooth out SST writeback instead of one big fsync
  db.keep_log_file_num = 5;
  return db;
}

constexpr std::size_t kValueIndexMemtableBytes = 2 << 20;
constexpr std::uint32_t kChunkDictionaryBytes = 16 << 10;
// An SST is marked for compaction when any window of this many entries holds this many
// deletions.
constexpr std::size_t kDeletionWindow = 4096;
constexpr std::size_t kDeletionTrigger = 1024;
// Sorted runs of the raw history family before they are merged: more runs, fewer rewrites of
// each row, but more runs for a history read to seek in.
constexpr int kRawHistorySortedRuns = 8;

rocksdb::ColumnFamilyOptions make_family_options(Family family, const RocksDbOptions& options,
                                                 const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  cf.compaction_style = rocksdb::kCompactionStyleLevel;
  cf.level_compaction_dynamic_level_bytes = true;
  cf.write_buffer_size = std::min<std::size_t>(options.write_buffer_bytes / 4, 16 << 20);
  set_compression(cf);

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks live in the bounded cache instead of growing without limit. They
  // are partitioned: with one monolithic index block per SST, a point lookup whose index block
  // had been evicted re-read and decompressed the whole (multi-MB) index, which made a scan of
  // 200,000 entities take 80 s instead of 2 s. With partitions a lookup touches one small
  // index partition; the top-level index stays pinned and index/filter blocks get the
  // cache's high-priority pool.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.pin_top_level_index_and_filter = true;
  table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  // Point lookups (get, multi_get, old metas in apply) go to these; the index families are
  // only ever range-scanned, where a whole-key bloom filter does not help.
  bool point_lookups = family == Family::kEntities || family == Family::kEntityMeta ||
                       family == Family::kCounts || family == Family::kDocuments;
  if (point_lookups) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // A whole-key bloom filter on the memtable too: most looked-up entities are not in the
    // (16 MiB) memtable, and a skip-list search that misses cost ~12% of a geo query's CPU.
    cf.memtable_prefix_bloom_size_ratio = 0.05;
    cf.memtable_whole_key_filtering = true;
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  if (family == Family::kValueIndex) {
    // Every changed value deletes one key and adds another, so under steady sensor updates
    // most entries of this family are dead: a put and its tombstone. A range scan (a `q`
    // query) steps over each of them, in the memtable and in SSTs, until a flush or a
    // compaction drops them; with a 16 MiB memtable that was a third of a `q` query's CPU in
    // the soak mix. A small memtable flushes the pairs sooner, and SSTs made mostly of
    // tombstones are compacted away first.
    cf.write_buffer_size = std::min<std::size_t>(cf.write_buffer_size, kValueIndexMemtableBytes);
    cf.table_properties_collector_factories.emplace_back(
        rocksdb::NewCompactOnDeletionCollectorFactory(kDeletionWindow, kDeletionTrigger));
  }
  if (family == Family::kHistoryChunks) {
    // Neighbouring chunks repeat much (instance texts with their values cut out, column
    // headers, statistics), but each 4 KiB block is compressed alone: a ZSTD dictionary
    // trained per SST file on its blocks took the chunks of a 10-million-point import from
    // 0.96 to 0.83 bytes per point after a full compaction (docs/performance.md,
    // "Chunk compression with a dictionary"). Blocks stay 4 KiB: a query's chunk read
    // decompresses no more than before. The bottommost level only, where chunks settle;
    // RocksDB buffers an output file's blocks to sample them (charged to the block cache).
    cf.bottommost_compression_opts.enabled = true;
    cf.bottommost_compression_opts.max_dict_bytes = kChunkDictionaryBytes;
    cf.bottommost_compression_opts.zstd_max_train_bytes = 100 * kChunkDictionaryBytes;
  }
  if (family == Family::kHistory) {
    // Raw samples only wait here until history compaction moves them into chunks
    // (history_chunks keeps ZSTD), so their compression ratio matters for minutes, while
    // ZSTD on each L0 -> bottommost compaction of them was 8 % of the server's CPU under
    // sustained MQTT ingestion (docs/performance.md, issue #4).
    cf.bottommost_compression = cf.compression;
    // Every flush holds samples of nearly every entity, so it overlaps all of the family:
    // leveled, each compaction of level 0 rewrote the whole bottom level (which grows with the
    // rows waiting for history compaction), 18-22 s of CPU for 1.8 million device measures.
    // Tiered (universal) compaction merges sorted runs, several flushes at a time instead:
    // 6.0-6.4 s (docs/performance.md, "Raw history: tiered compaction"). A family written
    // leveled opens as it is: each of its levels is one sorted run.
    cf.compaction_style = rocksdb::kCompactionStyleUniversal;
    cf.level0_file_num_compaction_trigger = kRawHistorySortedRuns;
  }
  if (family == Family::kCounts) {
    cf.merge_operator = make_counter_merge_operator();
    // Collapse operands in the memtable so reads of hot counters stay cheap.
    cf.max_successive_merges = 64;
  }
  return cf;
}

}  // namespace

DbConfig make_db_config(const RocksDbOptions& options) {
  DbConfig config;
  config.db = make_db_options(options);
  // Half of the cache is reserved for index and filter blocks (high priority).
  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(options.block_cache_bytes, -1, false, 0.5);
  for (std::size_t i = 0; i < kFamilyNames.size(); ++i) {
    config.families.emplace_back(std::string(kFamilyNames[i]),
                                 make_family_options(static_cast<Family>(i), options, cache));
  }
  // DB::Open requires the family named "default"; it stays empty and comes last.
  config.families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  return config;
}

}  // namespace citytwin::store::kv
