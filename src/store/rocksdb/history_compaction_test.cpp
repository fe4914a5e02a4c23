// History compaction in the RocksDB store: compacted history reads exactly as before (checked
// against the memory store as an oracle through random appends, edits, erasures and
// compactions), survives a reopen, edits of compacted samples land, concurrent writers lose or
// duplicate nothing, existing databases gain the new family, corrupt chunks are errors.
//
// Crash safety is not tested separately here: every compaction and every explode is ONE
// RocksDB WriteBatch (chunks put, raw rows deleted), and RocksDB applies a batch after a crash
// wholly or not at all (WAL replay, kPointInTimeRecovery), so a sample is always raw or
// chunked, never both or neither. rocksdb_store_test.cpp covers kill -9 durability.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "citytwin/common/instant.hpp"
#include "citytwin/series/decimal_column.hpp"
#include "citytwin/store/history_chunk_stats.hpp"
#include "citytwin/store/history_columns_builder.hpp"
#include "citytwin/store/instance_text.hpp"
#include "citytwin/store/memory_store.hpp"
#include "citytwin/store/rocksdb_store.hpp"
#include "column_families.hpp"
#include "db_options.hpp"
#include "history_chunk_span.hpp"
#include "history_codec.hpp"
#include "store_test_support.hpp"

namespace citytwin::store {
namespace {

constexpr const char* kTemperature = "https://example.org/temperature";
constexpr const char* kState = "https://example.org/state";
constexpr std::int64_t kStart = 1'700'000'000'000'000;  // 2023: older than any min_age
constexpr std::int64_t kMinute = 60'000'000;

RocksDbOptions compacting_options(const std::string& path, std::size_t chunk_samples = 16,
                                  std::size_t min_samples = 4) {
  RocksDbOptions options;
  options.path = path;
  options.sync_writes = false;
  options.history_compaction.background = false;
  options.history_compaction.min_age = std::chrono::seconds(0);
  options.history_compaction.min_samples = min_samples;
  options.history_compaction.chunk_samples = chunk_samples;
  return options;
}

std::unique_ptr<EntityStore> open(const RocksDbOptions& options) {
  auto store = open_rocksdb_store(options);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().detail);
  return store.ok() ? std::move(store).value() : nullptr;
}

HistorySample temperature(std::string dataset, std::int64_t at, double value) {
  HistorySample sample;
  sample.attribute = kTemperature;
  sample.dataset_id = std::move(dataset);
  sample.modified_at = at;
  sample.observed_at = at - 1000;
  std::string stamp = format_date_time(Instant{at});
  char number[32];
  std::snprintf(number, sizeof number, "%.2f", value);  // "21.50": stays JSON text, exact
  sample.instance = std::string(R"({"type":"Property","value":)") + number +
                    R"(,"unitCode":"CEL","observedAt":")" + format_date_time(Instant{at - 1000}) +
                    R"(","createdAt":"2023-01-01T00:00:00.000Z","modifiedAt":")" + stamp + "\"}";
  return sample;
}

HistorySample state(std::int64_t at, std::string value, bool deleted = false) {
  HistorySample sample;
  sample.attribute = kState;
  sample.modified_at = at;
  sample.deleted = deleted;
  if (!deleted) sample.instance = R"({"type":"Property","value":")" + value + "\"}";
  return sample;
}

void append(EntityStore& store, std::string_view entity, std::vector<HistorySample> samples) {
  Change change = Change::history_only(std::string(entity));
  change.history = std::move(samples);
  Status status = store.apply("t", std::span<const Change>(&change, 1));
  ASSERT_TRUE(status.ok()) << status.error().detail;
}

std::vector<HistorySample> read(const EntityStore& store, std::string_view entity,
                                std::string_view attribute = "", HistoryRange range = {},
                                std::size_t limit = 1'000'000) {
  auto samples = store.history("t", entity, attribute, range, limit);
  EXPECT_TRUE(samples.ok()) << (samples.ok() ? "" : samples.error().detail);
  return samples.ok() ? std::move(samples).value() : std::vector<HistorySample>();
}

std::vector<HistorySample> without_sequences(std::vector<HistorySample> samples) {
  for (HistorySample& sample : samples) sample.sequence = 0;
  return samples;
}

// Opens a closed database read-only with RocksDB directly and hands its families to `read`.
template <typename Read>
void read_closed(const std::string& path, Read read) {
  kv::DbConfig config = kv::make_db_config(compacting_options(path));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status =
      rocksdb::DB::OpenForReadOnly(config.db, path, config.families, &handles, &raw);
  EXPECT_TRUE(status.ok()) << status.ToString();
  if (!status.ok()) return;
  std::unique_ptr<rocksdb::DB> db(raw);
  read(*db, handles);
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
}

// Opens a closed database with RocksDB directly, writable, and hands its families to `edit`.
template <typename Edit>
void edit_closed(const RocksDbOptions& options, Edit edit) {
  kv::DbConfig config = kv::make_db_config(options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status =
      rocksdb::DB::Open(config.db, options.path, config.families, &handles, &raw);
  ASSERT_TRUE(status.ok()) << status.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  edit(*db, handles);
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
}

// Keys per family of a closed database.
std::map<std::string, std::size_t> key_counts(const std::string& path) {
  std::map<std::string, std::size_t> counts;
  read_closed(path, [&](rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    for (std::string_view name : {"history", "history_chunks"}) {
      auto index = std::find(kv::kFamilyNames.begin(), kv::kFamilyNames.end(), name) -
                   kv::kFamilyNames.begin();
      std::unique_ptr<rocksdb::Iterator> it(
          db.NewIterator(rocksdb::ReadOptions(), handles[static_cast<std::size_t>(index)]));
      std::size_t count = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
      counts[std::string(name)] = count;
    }
  });
  return counts;
}

// Live SST bytes of the raw history family of a closed database.
std::uint64_t raw_history_sst_bytes(const std::string& path) {
  std::uint64_t bytes = 0;
  read_closed(path, [&](rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    db.GetIntProperty(handles[kv::index_of(kv::Family::kHistory)],
                      rocksdb::DB::Properties::kLiveSstFilesSize, &bytes);
  });
  return bytes;
}

TEST(HistoryCompaction, CompactedHistoryReadsTheSameAndSurvivesReopen) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 16, 4);
  options.history_compaction.pack_bulk_appends = false;  // the compactor makes the chunks
  std::vector<HistorySample> before;
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    for (int batch = 0; batch < 10; ++batch) {
      std::vector<HistorySample> samples;
      for (int i = 0; i < 30; ++i) {
        std::int64_t at = kStart + (batch * 30 + i) * kMinute;
        samples.push_back(temperature("", at, 20 + (batch * 30 + i) % 7 * 0.25));
        samples.push_back(temperature("urn:d", at + 7, -3.5));
        samples.push_back(state(at, i % 2 == 0 ? "on" : "off", i % 10 == 9));
      }
      append(*store, "urn:s", std::move(samples));
    }
    before = read(*store, "urn:s");
    ASSERT_EQ(before.size(), 900u);
    ASSERT_TRUE(store->compact_history().ok());
    EXPECT_EQ(read(*store, "urn:s"), before);
    // Ranges and limits across chunk boundaries, per attribute and over all.
    for (auto [from, to] : {std::pair{kStart + 5 * kMinute, kStart + 37 * kMinute},
                            std::pair{kStart + 17 * kMinute + 7, kStart + 18 * kMinute + 8},
                            std::pair{kStart - kMinute, kStart + 1}}) {
      std::vector<HistorySample> expected;
      for (const HistorySample& s : before) {
        if (s.attribute == kTemperature && s.modified_at >= from && s.modified_at < to) {
          expected.push_back(s);
        }
      }
      EXPECT_EQ(read(*store, "urn:s", kTemperature, HistoryRange{from, to}), expected);
      std::size_t half = expected.size() / 2;
      EXPECT_EQ(read(*store, "urn:s", kTemperature, HistoryRange{from, to}, half),
                std::vector<HistorySample>(expected.begin(), expected.begin() + half));
    }
    EXPECT_EQ(read(*store, "urn:s", "", {}, 17),
              std::vector<HistorySample>(before.begin(), before.begin() + 17));
  }
  auto counts = key_counts(dir.path());
  EXPECT_EQ(counts["history"], 0u);
  // kStart is 22:13:20 UTC: a new day of observedAt starts at the 108th minute. The two
  // temperature instances are cut there (107 samples in 7 chunks, 193 in 13); the state has no
  // observedAt to cut at (300 in 19).
  EXPECT_EQ(counts["history_chunks"], 2u * (7 + 13) + 19u);
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(read(*store, "urn:s"), before);
}

// A pass that packs many rows compacts the raw family at once (reclaim_after_rows), so the
// rows it replaced stop taking disk; without, their SST file stays until RocksDB gets to it.
TEST(HistoryCompaction, APassThatPacksManyRowsReclaimsTheirDisk) {
  std::map<bool, std::uint64_t> raw_bytes;
  for (bool reclaim : {false, true}) {
    testing::TempDir dir;
    RocksDbOptions options = compacting_options(dir.path(), 64, 4);
    options.history_compaction.reclaim_after_rows = reclaim ? 1000 : 0;
    options.history_compaction.pack_bulk_appends = false;  // raw rows are what it reclaims
    std::vector<HistorySample> before;
    {
      auto store = open(options);
      ASSERT_NE(store, nullptr);
      for (int batch = 0; batch < 4; ++batch) {
        std::vector<HistorySample> samples;
        for (int i = 0; i < 1000; ++i) {
          int n = batch * 1000 + i;
          samples.push_back(temperature("", kStart + n * kMinute, 20 + n % 13 * 0.25));
        }
        append(*store, "urn:s", std::move(samples));
      }
    }
    {
      auto store = open(options);  // the raw rows are in SST files now (flushed on close)
      ASSERT_NE(store, nullptr);
      before = read(*store, "urn:s");
      ASSERT_EQ(before.size(), 4000u);
      ASSERT_TRUE(store->compact_history().ok());
      EXPECT_EQ(read(*store, "urn:s"), before);
    }
    raw_bytes[reclaim] = raw_history_sst_bytes(dir.path());
    EXPECT_EQ(key_counts(dir.path())["history"], 0u);
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(read(*store, "urn:s"), before);
  }
  EXPECT_GT(raw_bytes[false], 20'000u);  // 4,000 rows of ~200 bytes, block-compressed
  EXPECT_LT(raw_bytes[true], raw_bytes[false] / 10);
}

// Under sustained ingestion the raw family holds minutes of rows too recent to pack; a pass
// that packed only a few of them leaves them to RocksDB's own compactions rather than rewrite
// the whole family. Once the rows packed since the last reclaim are at least half of its
// entries, the family is compacted.
TEST(HistoryCompaction, ReclaimingWaitsUntilThePackedRowsAreHalfTheFamily) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 64, 4);
  options.history_compaction.reclaim_after_rows = 500;
  options.history_compaction.pack_bulk_appends = false;
  options.history_compaction.min_age = std::chrono::hours(1);
  std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  auto rows = [](std::int64_t first, int count) {
    std::vector<HistorySample> samples;
    for (int i = 0; i < count; ++i) samples.push_back(temperature("", first + i * 1000, i % 9));
    return samples;
  };
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    append(*store, "urn:old", rows(kStart, 1000));
    append(*store, "urn:recent", rows(now - 600'000'000, 3000));  // 10 minutes old: stays raw
  }
  auto store = open(options);  // flushed on close: the family's entries are in SST files
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->compact_history().ok());  // packs 1,000 of 4,000 entries
  EXPECT_EQ(store->stats().history_raw_reclaims, 0u);
  EXPECT_EQ(read(*store, "urn:old").size(), 1000u);
  append(*store, "urn:older", rows(kStart - kMinute * 10'000, 3000));
  ASSERT_TRUE(store->compact_history().ok());  // 4,000 packed since, of about 7,000 entries
  EXPECT_EQ(store->stats().history_raw_reclaims, 1u);
  EXPECT_EQ(read(*store, "urn:old").size(), 1000u);
  EXPECT_EQ(read(*store, "urn:older").size(), 3000u);
  EXPECT_EQ(read(*store, "urn:recent").size(), 3000u);
  store.reset();
  EXPECT_EQ(key_counts(dir.path())["history"], 3000u);  // the recent rows, still raw
}

// Databases written before the raw family was compacted tiered (universal) hold it leveled,
// in level 6 once compacted. Such a family opens as it is: each level is a sorted run.
TEST(HistoryCompaction, ARawFamilyWrittenLeveledOpensTiered) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 64, 4);
  options.history_compaction.reclaim_after_rows = 100;  // ends the pass with a full compaction
  options.history_compaction.pack_bulk_appends = false;
  auto batch_of = [](int batch) {
    std::vector<HistorySample> samples;
    for (int i = 0; i < 500; ++i) {
      int n = batch * 500 + i;
      samples.push_back(temperature(n % 2 == 0 ? "" : "urn:d", kStart + n * kMinute, n % 17 * 0.5));
    }
    return samples;
  };
  auto by_instance = [](std::vector<HistorySample> samples) {
    std::stable_sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) {
      return std::tie(a.dataset_id, a.modified_at) < std::tie(b.dataset_id, b.modified_at);
    });
    return without_sequences(std::move(samples));
  };
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    append(*store, "urn:s", batch_of(0));
  }
  // What the previous release did with the family: leveled, compacted down to level 6.
  kv::DbConfig config = kv::make_db_config(options);
  rocksdb::ColumnFamilyOptions& raw = config.families[kv::index_of(kv::Family::kHistory)].options;
  raw.compaction_style = rocksdb::kCompactionStyleLevel;
  raw.level0_file_num_compaction_trigger = 4;
  {
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* opened = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(config.db, options.path, config.families, &handles, &opened).ok());
    std::unique_ptr<rocksdb::DB> db(opened);
    rocksdb::ColumnFamilyHandle* history = handles[kv::index_of(kv::Family::kHistory)];
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    ASSERT_TRUE(db->CompactRange(compact, history, nullptr, nullptr).ok());
    std::string files;
    ASSERT_TRUE(db->GetProperty(history, "rocksdb.num-files-at-level6", &files));
    EXPECT_EQ(files, "1");
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  std::vector<HistorySample> expected = batch_of(0);
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(by_instance(read(*store, "urn:s")), by_instance(expected));
    for (int batch = 1; batch < 4; ++batch) {
      append(*store, "urn:s", batch_of(batch));
      auto more = batch_of(batch);
      expected.insert(expected.end(), more.begin(), more.end());
    }
  }
  auto store = open(options);  // the new rows are flushed runs above the leveled one
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(by_instance(read(*store, "urn:s")), by_instance(expected));
  ASSERT_TRUE(store->compact_history().ok());  // chunks, then a full tiered compaction
  EXPECT_EQ(by_instance(read(*store, "urn:s")), by_instance(expected));
  store.reset();
  EXPECT_EQ(key_counts(dir.path())["history"], 0u);
}

TEST(HistoryCompaction, RecentSamplesAndSmallInstancesStayRaw) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 16, 8);
  options.history_compaction.min_age = std::chrono::hours(1);
  std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    std::vector<HistorySample> samples;
    for (int i = 0; i < 20; ++i) samples.push_back(temperature("", now - i * kMinute, i));
    for (int i = 0; i < 7; ++i) samples.push_back(temperature("urn:few", kStart + i, i));
    append(*store, "urn:s", samples);
    ASSERT_TRUE(store->compact_history().ok());
  }
  // Nothing is an hour old (the 20 recent ones) or 8 strong (the 7 old ones).
  EXPECT_EQ(key_counts(dir.path())["history_chunks"], 0u);
}

// A pass that finds nothing to compact and nothing too young leaves the next passes nothing
// to walk until a raw sample is written; the one written then is compacted by the next pass.
TEST(HistoryCompaction, IdlePassesSkipTheWalkUntilASampleIsWritten) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 16, 8);
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  std::vector<HistorySample> seven;
  for (int i = 0; i < 7; ++i) seven.push_back(temperature("", kStart + i * kMinute, i));
  append(*store, "urn:s", seven);
  ASSERT_TRUE(store->compact_history().ok());  // 7 < 8 samples: nothing to compact
  const StoreStats before = store->stats();
  ASSERT_TRUE(store->compact_history().ok());
  ASSERT_TRUE(store->compact_history().ok());
  const StoreStats idle = store->stats();
  EXPECT_EQ(idle.history_compaction_passes, before.history_compaction_passes + 2);
  EXPECT_EQ(idle.history_compaction_walks, before.history_compaction_walks);

  append(*store, "urn:s", {temperature("", kStart + 7 * kMinute, 7)});  // the eighth
  ASSERT_TRUE(store->compact_history().ok());
  EXPECT_EQ(store->stats().history_compaction_walks, idle.history_compaction_walks + 1);
  EXPECT_EQ(read(*store, "urn:s").size(), 8u);
  store.reset();
  EXPECT_EQ(key_counts(dir.path())["history_chunks"], 1u);
}

// The memory store as the oracle: random appends (also into the middle of compacted time
// spans), overwrites and erasures of single samples, instance erasures and compactions; after
// each step every read (whole, per attribute, ranges, limits) must match.
// A change applied to the store under test and to the memory-store oracle alike.
void apply_both(EntityStore& store, EntityStore& oracle, const Change& change) {
  ASSERT_TRUE(store.apply("t", std::span<const Change>(&change, 1)).ok());
  ASSERT_TRUE(oracle.apply("t", std::span<const Change>(&change, 1)).ok());
}

// A sample of urn:r's history as one store keys it, found by its (unique) instant.
HistorySample find_sample(const EntityStore& in, const HistorySample& like) {
  for (const HistorySample& s :
       read(in, "urn:r", like.attribute, HistoryRange{like.modified_at, like.modified_at + 1})) {
    if (s.dataset_id == like.dataset_id) return s;
  }
  ADD_FAILURE() << "sample not found";
  return like;
}

// Every chunk of a closed database has its span, and every span its chunk (spans are written
// in the same batches as chunks), and the marker says so.
void expect_spans_mirror_chunks(const std::string& path) {
  read_closed(path, [&](rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    std::unique_ptr<rocksdb::Iterator> chunks(
        db.NewIterator(rocksdb::ReadOptions(), handles[kv::index_of(kv::Family::kHistoryChunks)]));
    std::unique_ptr<rocksdb::Iterator> spans(db.NewIterator(
        rocksdb::ReadOptions(), handles[kv::index_of(kv::Family::kHistoryChunkSpans)]));
    spans->SeekToFirst();
    ASSERT_TRUE(spans->Valid());
    EXPECT_EQ(spans->key().ToString(), "");  // the marker
    spans->Next();
    std::size_t count = 0;
    for (chunks->SeekToFirst(); chunks->Valid(); chunks->Next(), spans->Next(), ++count) {
      ASSERT_TRUE(spans->Valid()) << "chunk " << count << " has no span";
      ASSERT_EQ(spans->key().ToString(), chunks->key().ToString()) << "chunk " << count;
      auto expected = kv::encode_chunk_span(chunks->value().ToString());
      ASSERT_TRUE(expected.ok());
      EXPECT_EQ(spans->value().ToString(), *expected) << "chunk " << count;
    }
    EXPECT_FALSE(spans->Valid()) << "a span without its chunk";
    EXPECT_GT(count, 0u);
  });
}

// A sample as a window check compares it: attribute, dataset, modifiedAt, observedAt.
using WindowSample = std::tuple<std::string, std::string, std::int64_t, std::int64_t>;

// The samples of urn:r observed in [from, to), through a summarized walk whose filter skips
// every chunk holding none (from its span or from its statistics): the same as the oracle's.
void expect_window_walk(const EntityStore& store, const EntityStore& oracle, std::int64_t from,
                        std::int64_t to) {
  std::vector<WindowSample> walked;
  auto visit = [&](const HistoryColumns& batch) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      std::int64_t observed = batch.values.times2[i];
      if (batch.deleted[i] != 0 || batch.values.time2_present[i] == 0 || observed < from ||
          observed >= to) {
        continue;
      }
      walked.emplace_back(batch.attribute, batch.dataset_id, batch.values.times[i], observed);
    }
    return true;
  };
  auto filter = [&](const HistoryChunkStats& chunk) {
    bool none =
        chunk.observed_count == 0 || chunk.max_observed_at < from || chunk.min_observed_at >= to;
    return none ? ChunkUse::kSkip : ChunkUse::kDecode;
  };
  Status walk = visit_history_summarized(store, "t", "urn:r", "", HistoryRange{}, visit, filter);
  ASSERT_TRUE(walk.ok()) << walk.error().detail;
  std::vector<WindowSample> expected;
  for (const HistorySample& sample : read(oracle, "urn:r")) {
    if (sample.deleted || !sample.observed_at || *sample.observed_at < from ||
        *sample.observed_at >= to) {
      continue;
    }
    expected.emplace_back(sample.attribute, sample.dataset_id, sample.modified_at,
                          *sample.observed_at);
  }
  std::sort(walked.begin(), walked.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(walked, expected) << "window [" << from << ", " << to << ")";
}

TEST(HistoryCompaction, MatchesTheMemoryStoreThroughRandomEditsAndCompactions) {
  testing::TempDir dir;
  auto store = open(compacting_options(dir.path(), 8, 3));
  ASSERT_NE(store, nullptr);
  auto oracle = make_memory_store();
  std::mt19937_64 random(99);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  std::set<std::int64_t> used;  // unique instants make both stores order samples alike
  const std::vector<std::string> datasets = {"", "urn:a", "urn:b"};
  auto both = [&](const Change& change) { apply_both(*store, *oracle, change); };
  for (int step = 0; step < 300; ++step) {
    std::vector<HistorySample> existing = read(*oracle, "urn:r");
    std::size_t action = pick(10);
    if (action < 4 || existing.empty()) {
      Change change = Change::history_only("urn:r");
      for (std::size_t i = 0, n = 1 + pick(12); i < n; ++i) {
        std::int64_t at = kStart + static_cast<std::int64_t>(pick(5000)) * 1000;
        if (!used.insert(at).second) continue;
        const std::string& dataset = datasets[pick(datasets.size())];
        change.history.push_back(pick(4) == 0
                                     ? state(at, std::to_string(pick(3)), pick(5) == 0)
                                     : temperature(dataset, at, static_cast<double>(pick(400))));
      }
      both(std::move(change));
    } else if (action < 6) {
      const HistorySample& target = existing[pick(existing.size())];
      HistorySample replacement = target.attribute == kState
                                      ? state(target.modified_at, "edited")
                                      : temperature(target.dataset_id, target.modified_at, 999);
      Change in_store = Change::history_only("urn:r");
      in_store.history = {replacement};
      in_store.history[0].sequence = find_sample(*store, target).sequence;
      Change in_oracle = Change::history_only("urn:r");
      in_oracle.history = {replacement};
      in_oracle.history[0].sequence = find_sample(*oracle, target).sequence;
      ASSERT_TRUE(store->apply("t", std::span<const Change>(&in_store, 1)).ok());
      ASSERT_TRUE(oracle->apply("t", std::span<const Change>(&in_oracle, 1)).ok());
    } else if (action < 8) {
      const HistorySample& target = existing[pick(existing.size())];
      auto erase_in = [&](EntityStore& in) {
        HistorySample found = find_sample(in, target);
        Change change = Change::history_only("urn:r");
        change.erase_history = {
            HistoryErase{target.attribute, target.dataset_id,
                         HistoryErase::Sample{found.modified_at, found.sequence}, std::nullopt}};
        ASSERT_TRUE(in.apply("t", std::span<const Change>(&change, 1)).ok());
      };
      erase_in(*store);
      erase_in(*oracle);
    } else if (action == 8 && pick(4) == 0) {
      Change change = Change::history_only("urn:r");
      change.erase_history = {
          HistoryErase{kTemperature, datasets[pick(datasets.size())], std::nullopt, std::nullopt}};
      both(std::move(change));
    } else if (action == 9 && pick(4) == 0 && !existing.empty()) {
      // Retention: everything of the entity (or of one attribute) older than a cutoff.
      Change change = Change::history_only("urn:r");
      HistoryErase trim;
      if (pick(2) == 0) trim.attribute = kTemperature;
      trim.before =
          existing[pick(existing.size())].modified_at + static_cast<std::int64_t>(pick(2));
      change.erase_history = {trim};
      both(std::move(change));
    } else {
      ASSERT_TRUE(store->compact_history().ok());
    }
    ASSERT_EQ(without_sequences(read(*store, "urn:r")), without_sequences(read(*oracle, "urn:r")))
        << "step " << step;
    std::int64_t from = kStart + static_cast<std::int64_t>(pick(5000)) * 1000;
    HistoryRange range{from, from + static_cast<std::int64_t>(pick(2000)) * 1000};
    std::size_t limit = 1 + pick(40);
    for (std::string_view attribute : {"", kTemperature, kState}) {
      ASSERT_EQ(without_sequences(read(*store, "urn:r", attribute, range, limit)),
                without_sequences(read(*oracle, "urn:r", attribute, range, limit)))
          << "step " << step;
    }
    expect_window_walk(*store, *oracle, from, range.to);
  }
  store.reset();
  expect_spans_mirror_chunks(dir.path());
}

// Retention erases exactly the samples older than the cutoff, in raw rows, in whole chunks and
// in the chunk straddling the cutoff (whose newer samples stay), and it lasts a reopen.
TEST(HistoryCompaction, RetentionErasesExactlyTheOlderSamples) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 10, 4);
  std::int64_t cutoff = kStart + 25 * kMinute + 30'000'000;  // inside the third chunk
  std::vector<HistorySample> expected;
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    std::vector<HistorySample> samples;
    for (int i = 0; i < 40; ++i) {
      samples.push_back(temperature("", kStart + i * kMinute, i));
      samples.push_back(temperature("urn:d", kStart + i * kMinute + 5, -i));
    }
    append(*store, "urn:k", samples);
    ASSERT_TRUE(store->compact_history().ok());
    // Late raw rows on both sides of the cutoff, beside the chunks.
    append(*store, "urn:k",
           {temperature("", kStart + 3 * kMinute + 1, 100),
            temperature("", kStart + 33 * kMinute + 1, 101)});
    append(*store, "urn:other", {temperature("", kStart, 1)});
    for (const HistorySample& sample : read(*store, "urn:k")) {
      if (sample.modified_at >= cutoff) expected.push_back(sample);
    }
    ASSERT_EQ(expected.size(), 2u * 14 + 1);
    Change trim = Change::history_only("urn:k");
    trim.erase_history = {HistoryErase{"", std::nullopt, std::nullopt, cutoff}};
    ASSERT_TRUE(store->apply("t", std::span<const Change>(&trim, 1)).ok());
    EXPECT_EQ(read(*store, "urn:k"), expected);
    EXPECT_EQ(read(*store, "urn:other").size(), 1u);
    ASSERT_TRUE(store->compact_history().ok());
    EXPECT_EQ(without_sequences(read(*store, "urn:k")), without_sequences(expected));
  }
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(without_sequences(read(*store, "urn:k")), without_sequences(expected));
  // A cutoff older than everything erases nothing; one past everything erases all.
  Change none = Change::history_only("urn:k");
  none.erase_history = {HistoryErase{"", std::nullopt, std::nullopt, kStart}};
  ASSERT_TRUE(store->apply("t", std::span<const Change>(&none, 1)).ok());
  EXPECT_EQ(read(*store, "urn:k").size(), expected.size());
  Change all = Change::history_only("urn:k");
  all.erase_history = {HistoryErase{"", std::nullopt, std::nullopt, kStart + 1000 * kMinute}};
  ASSERT_TRUE(store->apply("t", std::span<const Change>(&all, 1)).ok());
  EXPECT_TRUE(read(*store, "urn:k").empty());
}

TEST(HistoryCompaction, EditsOfCompactedSamplesExplodeTheirChunkUntilTheNextPass) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 10, 4);
  std::vector<HistorySample> expected;
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    std::vector<HistorySample> samples;
    for (int i = 0; i < 40; ++i) samples.push_back(temperature("", kStart + i * kMinute, i));
    append(*store, "urn:e", samples);
    ASSERT_TRUE(store->compact_history().ok());
    std::vector<HistorySample> compacted = read(*store, "urn:e");
    ASSERT_EQ(compacted.size(), 40u);

    Change edit = Change::history_only("urn:e");
    HistorySample replacement = temperature("", compacted[13].modified_at, 99.5);
    replacement.sequence = compacted[13].sequence;
    edit.history = {replacement};
    edit.erase_history = {HistoryErase{
        kTemperature, "", HistoryErase::Sample{compacted[15].modified_at, compacted[15].sequence},
        std::nullopt}};
    ASSERT_TRUE(store->apply("t", std::span<const Change>(&edit, 1)).ok());
    expected = compacted;
    expected[13] = replacement;
    expected.erase(expected.begin() + 15);
    EXPECT_EQ(read(*store, "urn:e"), expected);
  }
  // One chunk (samples 10..19) went back to raw rows, minus the erased one.
  auto counts = key_counts(dir.path());
  EXPECT_EQ(counts["history"], 9u);
  EXPECT_EQ(counts["history_chunks"], 3u);
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(read(*store, "urn:e"), expected);
    ASSERT_TRUE(store->compact_history().ok());
    EXPECT_EQ(read(*store, "urn:e"), expected);
    // Erasing the instance removes its chunks too.
    Change erase = Change::history_only("urn:e");
    erase.erase_history = {HistoryErase{kTemperature, "", std::nullopt, std::nullopt}};
    append(*store, "urn:other", {temperature("", kStart, 1)});
    ASSERT_TRUE(store->apply("t", std::span<const Change>(&erase, 1)).ok());
    EXPECT_TRUE(read(*store, "urn:e").empty());
    EXPECT_EQ(read(*store, "urn:other").size(), 1u);
  }
  counts = key_counts(dir.path());
  EXPECT_EQ(counts["history"], 1u);
  EXPECT_EQ(counts["history_chunks"], 0u);
}

// One sample as visit_history_columns hands it over.
struct ColumnEntry {
  HistorySample rebuilt;
  series::ValueKind kind = series::ValueKind::kNull;
  double number = 0;
  std::string text;
  std::optional<std::int64_t> observed_at;
  bool deleted = false;
  std::uint64_t sequence = 0;
};

std::vector<ColumnEntry> read_columns(
    const EntityStore& store, std::string_view entity, std::string_view attribute,
    HistoryRange range, std::size_t stop_after = std::numeric_limits<std::size_t>::max()) {
  std::vector<ColumnEntry> entries;
  std::size_t batches = 0;
  Status status =
      store.visit_history_columns("t", entity, attribute, range, [&](const HistoryColumns& batch) {
        ++batches;
        EXPECT_LE(batch.size(), HistoryColumnsBuilder::kBatchSamples);
        for (std::size_t i = 0; i < batch.size(); ++i) {
          ColumnEntry entry;
          auto rebuilt = batch.sample(i);
          EXPECT_TRUE(rebuilt.ok());
          if (rebuilt.ok()) entry.rebuilt = std::move(*rebuilt);
          EXPECT_EQ(entry.rebuilt.attribute, batch.attribute);
          EXPECT_EQ(entry.rebuilt.dataset_id, batch.dataset_id);
          EXPECT_EQ(entry.rebuilt.modified_at, batch.values.times[i]);
          entry.kind = batch.values.kinds[i];
          entry.number = batch.values.numbers[i];
          if (entry.kind == series::ValueKind::kString || entry.kind == series::ValueKind::kJson) {
            entry.text = batch.values.dictionary.at(batch.values.text_indices[i]);
          }
          if (batch.values.time2_present[i]) entry.observed_at = batch.values.times2[i];
          entry.deleted = batch.deleted[i] != 0;
          entry.sequence = batch.sequences[i];
          entries.push_back(std::move(entry));
        }
        return entries.size() < stop_after;
      });
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().detail);
  return entries;
}

// What the columns must say of each sample visit_history() returns.
void expect_columns_match(const std::vector<ColumnEntry>& entries,
                          const std::vector<HistorySample>& samples) {
  ASSERT_EQ(entries.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const HistorySample& sample = samples[i];
    const ColumnEntry& entry = entries[i];
    EXPECT_EQ(entry.rebuilt, sample) << i;
    EXPECT_EQ(entry.observed_at, sample.observed_at) << i;
    EXPECT_EQ(entry.deleted, sample.deleted) << i;
    EXPECT_EQ(entry.sequence, sample.sequence) << i;
    ScalarValue value;
    if (!sample.deleted) value = classify_value_member(sample.instance);
    EXPECT_EQ(entry.kind, value.kind) << i << " " << sample.instance;
    if (value.kind == series::ValueKind::kNumber) {
      EXPECT_EQ(entry.number, value.number) << i;
    }
    if (value.kind == series::ValueKind::kBool) {
      EXPECT_EQ(entry.number, value.boolean ? 1 : 0);
    }
    if (value.kind == series::ValueKind::kString || value.kind == series::ValueKind::kJson) {
      EXPECT_EQ(entry.text, value.text) << i;
    }
  }
}

// The columnar walk hands over exactly the samples of the sample walk, from raw rows, from
// chunks, and from both mixed (late samples inside compacted spans, a raw row overwriting a
// chunk sample), with their values classified as the chunk encoder classifies them; the
// default implementation (the memory store) does the same.
TEST(HistoryCompaction, ColumnsCarryTheSamplesOfTheSampleWalk) {
  testing::TempDir dir;
  auto store = open(compacting_options(dir.path(), 16, 4));
  ASSERT_NE(store, nullptr);
  auto memory = make_memory_store();
  auto both = [&](std::vector<HistorySample> samples) {
    append(*store, "urn:c", samples);
    append(*memory, "urn:c", std::move(samples));
  };
  std::vector<HistorySample> samples;
  for (int i = 0; i < 3000; ++i) {
    std::int64_t at = kStart + i * kMinute;
    samples.push_back(temperature(i % 3 == 0 ? "urn:d" : "", at, i % 17 * 0.5));
    HistorySample integer = state(at, "x");
    integer.instance = R"({"type":"Property","value":)" + std::to_string(i) + "}";
    samples.push_back(integer);
    samples.push_back(state(at + 1, i % 5 == 0 ? R"(with \"escape\")" : "plain", i % 11 == 10));
    HistorySample relationship = state(at + 2, "");
    relationship.attribute = "https://example.org/near";
    relationship.instance =
        R"({"type":"Relationship","object":"urn:x:)" + std::to_string(i % 4) + R"("})";
    samples.push_back(relationship);
  }
  both(samples);
  ASSERT_TRUE(store->compact_history().ok());
  // Late samples inside the compacted span stay raw until the next pass.
  both({temperature("", kStart + 5 * kMinute + 3, 42.25), state(kStart + 7 * kMinute + 5, "late")});
  for (const HistoryRange& range :
       {HistoryRange{}, HistoryRange{kStart + 100 * kMinute, kStart + 1234 * kMinute + 1},
        HistoryRange{kStart + 5 * kMinute, kStart + 8 * kMinute}}) {
    for (std::string_view attribute : {"", kTemperature, kState}) {
      auto expected = read(*store, "urn:c", attribute, range, 100'000'000);
      SCOPED_TRACE(std::string(attribute) + " " + std::to_string(expected.size()));
      expect_columns_match(read_columns(*store, "urn:c", attribute, range), expected);
      expect_columns_match(read_columns(*memory, "urn:c", attribute, range),
                           read(*memory, "urn:c", attribute, range, 100'000'000));
    }
  }
  // A visitor that stops is not called again.
  EXPECT_EQ(read_columns(*store, "urn:c", "", {}, 1).size(), HistoryColumnsBuilder::kBatchSamples);
}

// Writers append to their own entities and to a shared one, an editor overwrites samples of
// its entity and reads each edit back, a reader checks that history only grows and never
// shows a sample twice, while the background compactor and explicit passes run.
TEST(HistoryCompaction, ConcurrentWritesEditsAndCompactionLoseOrDuplicateNothing) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 32, 8);
  options.history_compaction.background = true;
  options.history_compaction.interval = std::chrono::milliseconds(2);
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  constexpr int kWriters = 3;
  constexpr int kRounds = 150;
  std::atomic<bool> failed{false};
  std::atomic<int> writers_left{kWriters};
  auto check = [&](bool ok, const char* what) {
    if (!ok && !failed.exchange(true)) ADD_FAILURE() << what;
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < kRounds && !failed; ++round) {
        std::int64_t at = kStart + (round * kWriters + w) * 1000;
        Change own = Change::history_only("urn:w" + std::to_string(w));
        own.history = {temperature("", at, round), temperature("urn:d", at, round)};
        Change shared = Change::history_only("urn:shared");
        shared.history = {temperature("", at, w)};
        std::vector<Change> changes{own, shared};
        check(store->apply_deferred("t", changes).ok(), "append");
      }
      --writers_left;
    });
  }
  threads.emplace_back([&] {  // the editor
    std::vector<HistorySample> mine;
    for (int i = 0; i < 60; ++i) mine.push_back(temperature("", kStart + i * 1000, i));
    append(*store, "urn:edit", mine);
    std::mt19937_64 random(5);
    for (int round = 0; round < 200 && !failed; ++round) {
      std::vector<HistorySample> now = read(*store, "urn:edit");
      check(now.size() == 60, "edited history keeps its size");
      if (now.size() != 60) return;
      HistorySample target = now[random() % now.size()];
      HistoryRange at{target.modified_at, target.modified_at + 1};
      if (round % 2 == 0) {
        HistorySample replacement = temperature("", target.modified_at, 1000 + round);
        replacement.sequence = target.sequence;
        Change edit = Change::history_only("urn:edit");
        edit.history = {replacement};
        check(store->apply("t", std::span<const Change>(&edit, 1)).ok(), "edit");
        auto back = read(*store, "urn:edit", kTemperature, at);
        check(back.size() == 1 && back[0] == replacement, "an edit reads back at once");
      } else {
        // Erase one sample (a pending erase the compactor must not undo), add a new one.
        Change erase = Change::history_only("urn:edit");
        erase.erase_history = {
            HistoryErase{kTemperature, "",
                         HistoryErase::Sample{target.modified_at, target.sequence}, std::nullopt}};
        check(store->apply("t", std::span<const Change>(&erase, 1)).ok(), "erase");
        check(read(*store, "urn:edit", kTemperature, at).empty(), "an erase reads back at once");
        append(*store, "urn:edit", {temperature("", kStart + (1000 + round) * 1000, round)});
      }
      if (round % 20 == 0) check(store->compact_history().ok(), "explicit pass");
    }
  });
  threads.emplace_back([&] {  // the reader
    std::size_t seen = 0;
    while (writers_left > 0 && !failed) {
      std::vector<HistorySample> shared = read(*store, "urn:shared");
      check(shared.size() >= seen, "history never shrinks");
      seen = shared.size();
      for (std::size_t i = 1; i < shared.size(); ++i) {
        check(std::pair(shared[i - 1].modified_at, shared[i - 1].sequence) <
                  std::pair(shared[i].modified_at, shared[i].sequence),
              "strictly ascending: no sample twice");
      }
    }
  });
  for (std::thread& thread : threads) thread.join();
  ASSERT_FALSE(failed);
  ASSERT_TRUE(store->compact_history().ok());
  auto expect_all = [&](std::string_view entity, std::size_t per_instance, int stride, int w) {
    std::vector<HistorySample> samples = read(*store, entity);
    std::set<std::pair<std::string, std::int64_t>> distinct;
    for (const HistorySample& s : samples) distinct.emplace(s.dataset_id, s.modified_at);
    EXPECT_EQ(distinct.size(), samples.size()) << entity;
    EXPECT_EQ(samples.size(), per_instance) << entity;
    if (stride > 0) {
      for (int round = 0; round < kRounds; ++round) {
        EXPECT_TRUE(distinct.contains({"", kStart + (round * stride + w) * 1000})) << entity;
      }
    }
  };
  for (int w = 0; w < kWriters; ++w) {
    expect_all("urn:w" + std::to_string(w), 2 * kRounds, kWriters, w);
  }
  expect_all("urn:shared", kWriters * kRounds, 0, 0);
  expect_all("urn:edit", 60, 0, 0);
}

TEST(HistoryCompaction, DatabasesWithoutTheChunkFamilyOpen) {
  testing::TempDir dir;
  {
    kv::DbConfig config = kv::make_db_config(compacting_options(dir.path()));
    std::erase_if(config.families,
                  [](const auto& family) { return family.name == "history_chunks"; });
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(config.db, dir.path(), config.families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  auto store = open(compacting_options(dir.path()));
  ASSERT_NE(store, nullptr);
  append(*store, "urn:s",
         {temperature("", kStart, 1), temperature("", kStart + 1, 2),
          temperature("", kStart + 2, 3), temperature("", kStart + 3, 4)});
  ASSERT_TRUE(store->compact_history().ok());
  EXPECT_EQ(read(*store, "urn:s").size(), 4u);
}

TEST(HistoryCompaction, ACorruptChunkIsAnErrorNotACrash) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 8, 4);
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    std::vector<HistorySample> samples;
    for (int i = 0; i < 8; ++i) samples.push_back(temperature("", kStart + i * kMinute, i));
    append(*store, "urn:c", samples);
    ASSERT_TRUE(store->compact_history().ok());
  }
  edit_closed(
      options, [](rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
        auto* chunks = handles[kv::index_of(kv::Family::kHistoryChunks)];
        std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), chunks));
        it->SeekToFirst();
        ASSERT_TRUE(it->Valid());
        std::string key = it->key().ToString();
        std::string value = it->value().ToString();
        value[value.size() / 2] = static_cast<char>(value[value.size() / 2] ^ 0x10);
        it.reset();
        ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), chunks, key, value).ok());
      });
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    auto samples = store->history("t", "urn:c", "", HistoryRange{}, 100);
    ASSERT_FALSE(samples.ok());
    EXPECT_EQ(samples.error().kind, ErrorKind::kInternalError);
    // Late samples make the next pass rewrite the corrupt chunk, which fails; the instance
    // after it (urn:d sorts later) is compacted all the same.
    std::vector<HistorySample> late, other;
    for (int i = 0; i < 8; ++i) {
      late.push_back(temperature("", kStart + i * kMinute + 1, i));
      other.push_back(temperature("", kStart + i * kMinute, i));
    }
    append(*store, "urn:c", late);
    append(*store, "urn:d", other);
    EXPECT_FALSE(store->compact_history().ok());
    EXPECT_EQ(read(*store, "urn:d").size(), 8u);
  }
  auto counts = key_counts(dir.path());
  EXPECT_EQ(counts["history"], 8u);         // urn:c's late samples
  EXPECT_EQ(counts["history_chunks"], 2u);  // the corrupt one and urn:d's
}

TEST(HistoryCompaction, LargeBacklogsAreCompactedInBoundedSteps) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 2, 4);  // steps of 32 samples
  options.history_compaction.pack_bulk_appends = false;           // a raw backlog
  std::vector<HistorySample> before;
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    std::vector<HistorySample> samples;
    for (int i = 0; i < 501; ++i) samples.push_back(temperature("", kStart + i * kMinute, i));
    append(*store, "urn:b", samples);
    before = read(*store, "urn:b");
    ASSERT_TRUE(store->compact_history().ok());
    EXPECT_EQ(read(*store, "urn:b"), before);
  }
  auto counts = key_counts(dir.path());
  EXPECT_EQ(counts["history"], 0u);
  // Pairs: 15 steps of 32 samples in 16 chunks, the last 21 in 11. The day of observedAt that
  // begins at the 108th minute splits the fourth step's 32 samples into 11 and 21, with an odd
  // one out in each: 17 chunks there.
  EXPECT_EQ(counts["history_chunks"], 252u);
}

// Bulk appends (history_bulk_chunks.hpp): a write with at least chunk_samples samples of one
// instance stores them all in chunks at once, cut at days of observedAt.
std::vector<HistorySample> series_of(std::string dataset, std::int64_t from, int count) {
  std::vector<HistorySample> samples;
  for (int i = 0; i < count; ++i) {
    samples.push_back(temperature(dataset, from + i * kMinute, 20 + i % 17 * 0.25));
  }
  return samples;
}

TEST(HistoryBulkChunks, WholeChunksOfABulkAppendAreStoredCompressedAtOnce) {
  std::map<bool, std::vector<HistorySample>> read_back;
  for (bool pack : {false, true}) {
    testing::TempDir dir;
    RocksDbOptions options = compacting_options(dir.path(), 1024, 64);
    options.history_compaction.pack_bulk_appends = pack;
    {
      auto store = open(options);
      ASSERT_NE(store, nullptr);
      append(*store, "urn:s", series_of("", kStart, 2500));
      read_back[pack] = read(*store, "urn:s");
    }
    auto counts = key_counts(dir.path());
    // 107, 720, 720 and 953 samples: cut where days of observedAt begin (the 108th and the
    // 1,548th minute), the day between in two.
    EXPECT_EQ(counts["history_chunks"], pack ? 4u : 0u);
    EXPECT_EQ(counts["history"], pack ? 0u : 2500u);
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(read(*store, "urn:s"), read_back[pack]);  // after a reopen too
    ASSERT_TRUE(store->compact_history().ok());
    EXPECT_EQ(read(*store, "urn:s"), read_back[pack]);
  }
  ASSERT_EQ(read_back[true].size(), 2500u);
  EXPECT_EQ(read_back[true], read_back[false]);  // sequences (instance ids) included
}

// With chunks larger than 1,024 samples, an import packs from 1,024 samples of one instance.
TEST(HistoryBulkChunks, ImportsPackFrom1024SamplesWhateverTheChunkSize) {
  for (auto [count, packed] : {std::pair{1023, false}, std::pair{1440, true}}) {
    testing::TempDir dir;
    RocksDbOptions options = compacting_options(dir.path(), 2048, 64);
    {
      auto store = open(options);
      ASSERT_NE(store, nullptr);
      append(*store, "urn:s", series_of("", kStart, count));
    }
    auto counts = key_counts(dir.path());
    // Packed in one chunk: the two days of observedAt it touches fit one together.
    EXPECT_EQ(counts["history_chunks"], packed ? 1u : 0u) << count;
    EXPECT_EQ(counts["history"], packed ? 0u : static_cast<std::uint64_t>(count)) << count;
  }
}

TEST(HistoryBulkChunks, AppendsThatCouldOverlapStayRaw) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 16, 4);
  auto oracle = make_memory_store();
  std::vector<Change> written;
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    auto both = [&](Change change) {
      ASSERT_TRUE(store->apply("t", std::span<const Change>(&change, 1)).ok());
      ASSERT_TRUE(oracle->apply("t", std::span<const Change>(&change, 1)).ok());
    };
    // A newer sample exists: an older bulk append would reach into it.
    append(*store, "urn:a", series_of("", kStart + 1000 * kMinute, 1));
    append(*oracle, "urn:a", series_of("", kStart + 1000 * kMinute, 1));
    Change older = Change::history_only("urn:a");
    older.history = series_of("", kStart, 40);
    both(older);
    // Not strictly increasing.
    Change unordered = Change::history_only("urn:b");
    unordered.history = series_of("", kStart, 40);
    std::swap(unordered.history[3], unordered.history[4]);
    both(unordered);
    // Numbered samples (overwrites) are never packed.
    Change numbered = Change::history_only("urn:c");
    numbered.history = series_of("", kStart, 40);
    for (HistorySample& sample : numbered.history) sample.sequence = 7;
    both(numbered);
    // One instance written by two changes of one write.
    std::vector<Change> twice(2, Change::history_only("urn:d"));
    twice[0].history = series_of("", kStart, 20);
    twice[1].history = series_of("", kStart + 10 * kMinute + 1, 20);
    ASSERT_TRUE(store->apply("t", twice).ok());
    ASSERT_TRUE(oracle->apply("t", twice).ok());
    for (std::string_view entity : {"urn:a", "urn:b", "urn:c", "urn:d"}) {
      EXPECT_EQ(without_sequences(read(*store, entity)), without_sequences(read(*oracle, entity)))
          << entity;
    }
  }
  EXPECT_EQ(key_counts(dir.path())["history_chunks"], 0u);
}

// Random bulk appends (newer than the instance's history or not, several instances in one
// change), small appends, edits, erasures, retention and compaction passes: always the same
// answers as the memory store.
TEST(HistoryBulkChunks, MatchesTheMemoryStoreThroughRandomBulkAppendsAndEdits) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 8, 3);
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  auto oracle = make_memory_store();
  std::mt19937_64 random(2026);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  std::set<std::int64_t> used;
  std::int64_t newest = kStart;
  const std::vector<std::string> datasets = {"", "urn:a", "urn:b"};
  auto both = [&](const Change& change) { apply_both(*store, *oracle, change); };
  for (int step = 0; step < 250; ++step) {
    std::vector<HistorySample> existing = read(*oracle, "urn:r");
    std::size_t action = pick(10);
    if (action < 5 || existing.empty()) {
      Change change = Change::history_only("urn:r");
      for (std::size_t run = 0, runs = 1 + pick(2); run < runs; ++run) {
        // Mostly after everything (an import going forward), sometimes into the past.
        std::int64_t at =
            pick(4) == 0 ? kStart + static_cast<std::int64_t>(pick(400)) * 1000 : newest + 1000;
        const std::string& dataset = datasets[pick(datasets.size())];
        for (std::size_t i = 0, n = 1 + pick(30); i < n; ++i, at += 1000 * (1 + pick(3))) {
          if (!used.insert(at).second) continue;
          newest = std::max(newest, at);
          change.history.push_back(temperature(dataset, at, static_cast<double>(pick(400))));
        }
      }
      both(change);
    } else if (action < 7) {
      const HistorySample& target = existing[pick(existing.size())];
      HistorySample replacement = temperature(target.dataset_id, target.modified_at, 999);
      Change in_store = Change::history_only("urn:r");
      in_store.history = {replacement};
      in_store.history[0].sequence = find_sample(*store, target).sequence;
      Change in_oracle = Change::history_only("urn:r");
      in_oracle.history = {replacement};
      in_oracle.history[0].sequence = find_sample(*oracle, target).sequence;
      ASSERT_TRUE(store->apply("t", std::span<const Change>(&in_store, 1)).ok());
      ASSERT_TRUE(oracle->apply("t", std::span<const Change>(&in_oracle, 1)).ok());
    } else if (action == 7) {
      const HistorySample& target = existing[pick(existing.size())];
      for (EntityStore* in : {store.get(), oracle.get()}) {
        HistorySample found = find_sample(*in, target);
        Change change = Change::history_only("urn:r");
        change.erase_history = {
            HistoryErase{target.attribute, target.dataset_id,
                         HistoryErase::Sample{found.modified_at, found.sequence}, std::nullopt}};
        ASSERT_TRUE(in->apply("t", std::span<const Change>(&change, 1)).ok());
      }
    } else if (action == 8 && pick(3) == 0) {
      Change change = Change::history_only("urn:r");
      HistoryErase trim;
      trim.attribute = kTemperature;
      trim.before = existing[pick(existing.size())].modified_at;
      change.erase_history = {trim};
      both(change);
    } else {
      ASSERT_TRUE(store->compact_history().ok());
    }
    ASSERT_EQ(without_sequences(read(*store, "urn:r")), without_sequences(read(*oracle, "urn:r")))
        << "step " << step;
    std::int64_t from = kStart + static_cast<std::int64_t>(pick(400 + step * 40)) * 1000;
    HistoryRange range{from, from + static_cast<std::int64_t>(pick(200)) * 1000};
    std::size_t limit = 1 + pick(40);
    ASSERT_EQ(without_sequences(read(*store, "urn:r", kTemperature, range, limit)),
              without_sequences(read(*oracle, "urn:r", kTemperature, range, limit)))
        << "step " << step;
    expect_window_walk(*store, *oracle, from, range.to);
  }
  std::vector<HistorySample> before = read(*store, "urn:r");
  store.reset();
  expect_spans_mirror_chunks(dir.path());
  store = open(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(read(*store, "urn:r"), before);
}

// What a columns walk hands over, sample by sample (attribute, dataset, modifiedAt, value).
using WalkedSample = std::tuple<std::string, std::string, std::int64_t, double>;
std::vector<WalkedSample> walked(const std::function<Status(const HistoryColumnsVisitor&)>& walk) {
  std::vector<WalkedSample> samples;
  Status status = walk([&](const HistoryColumns& batch) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      samples.emplace_back(batch.attribute, batch.dataset_id, batch.values.times[i],
                           batch.values.numbers[i]);
    }
    return true;
  });
  EXPECT_TRUE(status.ok()) << status.error().detail;
  return samples;
}

// A summarized reader walks entity after entity (in any order, neighbours in key order, one
// without history, whole entities and single attributes, ranges, entities past the last one
// it was made for) exactly as separate walks do, its iterators moving on from walk to walk.
TEST(HistoryCompaction, OneReaderWalksManyEntitiesAsSeparateWalksDo) {
  testing::TempDir dir;
  auto store = open(compacting_options(dir.path(), 8, 3));
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> entities = {"urn:a", "urn:a:b", "urn:ab", "urn:b", "urn:c"};
  for (std::size_t e = 0; e < entities.size(); ++e) {
    std::vector<HistorySample> samples;
    for (int i = 0; i < 30; ++i) {
      std::int64_t at = kStart + (i * 7 + static_cast<int>(e)) * kMinute;
      samples.push_back(i % 3 == 0 ? state(at, std::to_string(i))
                                   : temperature(i % 4 == 0 ? "urn:d" : "", at, i));
    }
    append(*store, entities[e], samples);
    if (e % 2 == 0) {
      ASSERT_TRUE(store->compact_history().ok());
    }
  }
  auto reader = summarized_history_reader(*store, "t", "urn:b");  // urn:c and urn:none past it
  std::mt19937_64 random(7);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  const std::vector<std::string> names = {"urn:a", "urn:a:b", "urn:ab",
                                          "urn:b", "urn:c",   "urn:none"};
  for (int round = 0; round < 200; ++round) {
    const std::string& entity = names[pick(names.size())];
    std::string attribute = pick(3) == 0 ? "" : pick(2) == 0 ? kTemperature : kState;
    HistoryRange range;
    const bool whole = pick(2) == 0;
    if (!whole) {
      range.from = kStart + static_cast<std::int64_t>(pick(200)) * kMinute;
      range.to = range.from + static_cast<std::int64_t>(pick(100)) * kMinute;
    }
    bool skip_some = pick(2) == 0;
    auto filter = [&](const HistoryChunkStats& chunk) {
      return skip_some && chunk.min_modified_at % 2 == 0 ? ChunkUse::kSkip : ChunkUse::kDecode;
    };
    auto expected = walked([&](const HistoryColumnsVisitor& visit) {
      return visit_history_summarized(*store, "t", entity, attribute, range, visit, filter);
    });
    auto got = walked([&](const HistoryColumnsVisitor& visit) {
      return reader->visit("t", entity, attribute, range, visit, filter, nullptr);
    });
    ASSERT_EQ(got, expected) << "round " << round << " " << entity << " " << attribute;
    if (entity != "urn:none" && attribute.empty() && whole && !skip_some) {
      EXPECT_EQ(got.size(), 30u);
    }
  }
}

// A number sample of a walk: attribute, dataset, observedAt, value.
using ObservedNumber = std::tuple<std::string, std::string, std::int64_t, double>;

// Chunks a filter asks observedAt and values of (ChunkUse::kObservedDecimals) reach the
// decimals visitor with the numbers a whole decode gives, when every sample is a decimal
// number with observedAt; any other chunk (a deletion, a sample without observedAt, a
// number the decimal column cannot hold, a string) is decoded whole for the columns visitor.
TEST(HistoryCompaction, ChunksOfObservedDecimalsReachTheDecimalsVisitor) {
  testing::TempDir dir;
  auto store = open(compacting_options(dir.path(), 8, 3));
  ASSERT_NE(store, nullptr);
  auto number = [](const char* attribute, std::int64_t at, const std::string& value,
                   bool observed = true) {
    HistorySample sample;
    sample.attribute = attribute;
    sample.modified_at = at;
    if (observed) sample.observed_at = at - 1000;
    sample.instance = R"({"type":"Property","value":)" + value +
                      (observed ? R"(,"observedAt":")" + format_date_time(Instant{at - 1000}) + "\""
                                : std::string()) +
                      "}";
    return sample;
  };
  constexpr const char* kDecimals = "https://example.org/decimals";
  constexpr const char* kPartly = "https://example.org/partlyObserved";
  constexpr const char* kIrrational = "https://example.org/irrational";
  std::vector<HistorySample> samples;
  for (int i = 0; i < 40; ++i) {
    std::int64_t at = kStart + i * kMinute;
    // Whole numbers and short decimals in Boost.JSON's form (the stored numbers), unsorted.
    samples.push_back(number(kDecimals, at, i % 2 == 0 ? std::to_string(37 - 3 * i) : "2.15E1"));
    samples.push_back(number(kPartly, at + 1, std::to_string(i), i != 20));
    samples.push_back(number(kIrrational, at + 2, "1.4142135623730951E0"));
    samples.push_back(i % 5 == 0 ? state(at + 3, "x") : state(at + 3, "y", i == 33));
  }
  append(*store, "urn:r", samples);
  ASSERT_TRUE(store->compact_history().ok());

  std::multiset<ObservedNumber> through_columns;
  std::multiset<ObservedNumber> through_decimals;
  std::set<std::string> decimal_attributes;
  auto collect = [](std::multiset<ObservedNumber>& into) {
    return [&into](const HistoryColumns& batch) {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch.values.kinds[i] != series::ValueKind::kNumber || batch.deleted[i] != 0 ||
            batch.values.time2_present[i] == 0) {
          continue;
        }
        into.emplace(batch.attribute, batch.dataset_id, batch.values.times2[i],
                     batch.values.numbers[i]);
      }
      return true;
    };
  };
  auto decode = [](const HistoryChunkStats&) { return ChunkUse::kDecode; };
  std::multiset<ObservedNumber> expected;
  Status walk =
      visit_history_summarized(*store, "t", "urn:r", "", HistoryRange{}, collect(expected), decode);
  ASSERT_TRUE(walk.ok()) << walk.error().detail;

  auto ask_decimals = [](const HistoryChunkStats&) { return ChunkUse::kObservedDecimals; };
  ObservedDecimalsVisitor decimals = [&](const ObservedDecimals& chunk) {
    decimal_attributes.emplace(chunk.attribute);
    const series::Time2Decimals& columns = chunk.columns;
    EXPECT_EQ(columns.times2.size(), columns.scaled.size());
    EXPECT_LE(chunk.modified.from, chunk.modified.to);
    const double power = series::power_of_ten(columns.decimal_exponent);
    for (std::size_t i = 0; i < columns.times2.size(); ++i) {
      through_decimals.emplace(chunk.attribute, chunk.dataset_id, columns.times2[i],
                               series::decimal_value(columns.scaled[i], power));
    }
    return true;
  };
  walk = visit_history_summarized(*store, "t", "urn:r", "", HistoryRange{},
                                  collect(through_columns), ask_decimals, decimals);
  ASSERT_TRUE(walk.ok()) << walk.error().detail;
  EXPECT_EQ(decimal_attributes, (std::set<std::string>{kDecimals, kPartly}));
  std::multiset<ObservedNumber> both = through_columns;
  both.insert(through_decimals.begin(), through_decimals.end());
  EXPECT_EQ(both, expected);
  // Every decimals chunk gave all its samples; the partly observed one's chunk with the
  // sample without observedAt was decoded whole.
  auto of = [](const std::multiset<ObservedNumber>& numbers, const char* attribute) {
    return std::count_if(numbers.begin(), numbers.end(),
                         [&](const ObservedNumber& n) { return std::get<0>(n) == attribute; });
  };
  EXPECT_EQ(of(through_decimals, kDecimals), 40);
  EXPECT_GT(of(through_decimals, kPartly), 0);
  EXPECT_GT(of(through_columns, kPartly), 0);
  EXPECT_EQ(of(through_columns, kPartly) + of(through_decimals, kPartly), 39);
  EXPECT_EQ(of(through_columns, kIrrational), 40);

  // Without a decimals visitor, such chunks are decoded whole.
  std::multiset<ObservedNumber> without;
  walk = visit_history_summarized(*store, "t", "urn:r", "", HistoryRange{}, collect(without),
                                  ask_decimals);
  ASSERT_TRUE(walk.ok()) << walk.error().detail;
  EXPECT_EQ(without, expected);
}

// A database written before chunk spans existed (no span family) gets a span for every chunk
// at its first open, and summarized walks skip chunks from them.
TEST(HistoryCompaction, DatabasesWithoutChunkSpansGetThemAtOpen) {
  testing::TempDir dir;
  RocksDbOptions options = compacting_options(dir.path(), 8, 3);
  auto oracle = make_memory_store();
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    for (int part = 0; part < 3; ++part) {
      Change change = Change::history_only("urn:r");
      for (int i = 0; i < 40; ++i) {
        change.history.push_back(temperature("", kStart + (part * 40 + i) * kMinute, i));
      }
      apply_both(*store, *oracle, change);
      ASSERT_TRUE(store->compact_history().ok());
    }
  }
  edit_closed(options,
              [](rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
                auto* spans = handles[kv::index_of(kv::Family::kHistoryChunkSpans)];
                ASSERT_TRUE(db.DropColumnFamily(spans).ok());
              });
  {
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    expect_window_walk(*store, *oracle, kStart + 50 * kMinute, kStart + 70 * kMinute);
    expect_window_walk(*store, *oracle, kStart - kMinute, kStart + 200 * kMinute);
  }
  expect_spans_mirror_chunks(dir.path());
  // Five of each part's 40 samples, but the last part is cut where a day of observedAt begins
  // (the 108th minute): 27 in 4 chunks, 13 in 2.
  EXPECT_EQ(key_counts(dir.path())["history_chunks"], 16u);
}

// Level-0 files of the chunk family of a closed database.
std::uint64_t chunk_level0_files(const std::string& path) {
  std::uint64_t files = 0;
  read_closed(path, [&](rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    rocksdb::ColumnFamilyMetaData meta;
    db.GetColumnFamilyMetaData(handles[kv::index_of(kv::Family::kHistoryChunks)], &meta);
    files = meta.levels.empty() ? 0 : meta.levels.front().files.size();
  });
  return files;
}

TEST(HistoryCompaction, ChunkFamiliesSettleOnceABurstOfChunkWritesHasEnded) {
  for (bool settle : {false, true}) {
    testing::TempDir dir;
    RocksDbOptions options = compacting_options(dir.path(), 64, 4);
    options.history_compaction.settle_chunks_after_bursts = settle;
    std::map<std::string, std::vector<HistorySample>> before;
    // Imports of whole chunks (bulk appends), each ending in a level-0 file when the store
    // closes: the files a burst leaves (three: RocksDB compacts level 0 itself at four).
    for (int import = 0; import < 2; ++import) {
      auto store = open(options);
      ASSERT_NE(store, nullptr);
      for (int sensor = 0; sensor < 20; ++sensor) {
        const std::string entity = "urn:s" + std::to_string(sensor);
        std::vector<HistorySample> samples;
        for (int i = 0; i < 256; ++i) {
          const int n = import * 256 + i;
          samples.push_back(temperature("", kStart + n * kMinute, 20 + (n + sensor) % 13 * 0.25));
        }
        append(*store, entity, std::move(samples));
      }
    }
    ASSERT_EQ(chunk_level0_files(dir.path()), 2u);
    {
      auto store = open(options);
      ASSERT_NE(store, nullptr);
      for (int sensor = 0; sensor < 20; ++sensor) {
        const std::string entity = "urn:s" + std::to_string(sensor);
        before[entity] = read(*store, entity);
        ASSERT_EQ(before[entity].size(), 512u);
      }
      // The first pass knows nothing of the writes before it: it leaves the files. The
      // second follows another import of whole chunks: the burst goes on, nothing settles.
      ASSERT_TRUE(store->compact_history().ok());
      std::vector<HistorySample> more;
      for (int n = 512; n < 768; ++n) more.push_back(temperature("", kStart + n * kMinute, 21));
      append(*store, "urn:s0", std::move(more));
      ASSERT_TRUE(store->compact_history().ok());
      before["urn:s0"] = read(*store, "urn:s0");
      ASSERT_EQ(before["urn:s0"].size(), 768u);
    }
    ASSERT_EQ(chunk_level0_files(dir.path()), 3u);
    {
      auto store = open(options);
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(store->compact_history().ok());
      ASSERT_TRUE(store->compact_history().ok());  // nothing written since the first: settles
      for (const auto& [entity, samples] : before) EXPECT_EQ(read(*store, entity), samples);
    }
    EXPECT_EQ(chunk_level0_files(dir.path()), settle ? 0u : 3u);
    auto store = open(options);
    ASSERT_NE(store, nullptr);
    for (const auto& [entity, samples] : before) EXPECT_EQ(read(*store, entity), samples);
    expect_spans_mirror_chunks(dir.path());
  }
}

}  // namespace
}  // namespace citytwin::store
