// Bytes per history sample on disk before and after history compaction (figures in
// docs/storage.md, "History"). Build: `ninja history_chunk_bench` (Release build dir).
// Usage: history_chunk_bench [parent directory (default /tmp)]
//        history_chunk_bench --measure ROCKSDB_DIR   (e.g. a stopped server's DATA/rocksdb)
// The second form measures an existing database the same way (flush and forced bottommost
// compaction of both families), then prints what each section of the chunks costs per sample.
//
// Two series of a smooth temperature (daily sine + Gaussian noise, 2 decimals) at 1-minute
// intervals, each sample the stored-form instance core writes (Property with unitCode,
// observedAt, createdAt, modifiedAt; serialized by Boost.JSON as core does):
//   one   1 instance x 100,000 samples
//   many  1,000 instances (entities) x 1,000 samples
// For each: write the raw samples, close, open the database with RocksDB directly, flush and
// CompactRange (bottommost level forced, so every byte went through the real compression),
// then read the live SST size of `history` and `history_chunks` plus the logical bytes
// (keys + values). Then one compaction pass (compact_history) and the same measurement again,
// and a check that history() returns exactly the same samples.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <boost/json.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/series/byte_io.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/store/rocksdb_store.hpp"
#include "column_families.hpp"
#include "db_options.hpp"

namespace {

using namespace citytwin;
using namespace citytwin::store;
using Clock = std::chrono::steady_clock;

constexpr const char* kAttribute = "https://smartdatamodels.org/dataModel.Environment/temperature";
constexpr std::int64_t kStart = 1'700'000'000'000'000;
constexpr std::int64_t kMinute = 60'000'000;

struct FamilySize {
  std::uint64_t sst = 0;
  std::uint64_t keys = 0;
  std::uint64_t logical = 0;  // key + value bytes
};

struct Sizes {
  FamilySize raw;
  FamilySize chunks;
  std::uint64_t all_sst = 0;  // every column family, each compacted the same way
};

RocksDbOptions options_for(const std::string& path) {
  RocksDbOptions options;
  options.path = path;
  options.sync_writes = false;
  options.history_compaction.background = false;
  options.history_compaction.min_age = std::chrono::seconds(0);
  return options;  // min_samples 64 and chunk_samples 1024: the defaults
}

// Bytes of each part of the history chunks, summed over the family (history_chunk_codec.hpp
// and docs/timeseries.md give the layouts).
struct SectionBytes {
  std::uint64_t samples = 0;
  std::map<std::string, std::uint64_t> bytes;

  void add_series_chunk(std::string_view chunk) {
    auto header = series::peek_chunk_header(chunk);
    if (!header.ok() || chunk.size() < series::kChunkHeaderSize + 4) return;
    bytes["series header + crc"] += series::kChunkHeaderSize + 4;
    series::ByteReader in(
        chunk.substr(series::kChunkHeaderSize, chunk.size() - series::kChunkHeaderSize - 4));
    std::vector<std::string> names;
    unsigned mask = header->kind_mask;
    bool single = mask != 0 && (mask & (mask - 1)) == 0;
    if (!single || mask == (1u << static_cast<int>(series::ValueKind::kBool)))
      names.push_back("kinds");
    names.push_back("modifiedAt (time)");
    if (header->flags & series::ChunkHeader::kTime2Partial) names.push_back("observedAt presence");
    if (header->has_time2()) names.push_back("observedAt (time2)");
    if (header->has_kind(series::ValueKind::kNumber)) {
      names.push_back(header->flags & series::ChunkHeader::kDecimalNumbers ? "numbers (decimal)"
                                                                           : "numbers (XOR)");
    }
    names.push_back("texts");
    for (const std::string& name : names) {
      std::size_t before = in.position();
      std::string_view section;
      if (!in.read_section(section)) break;
      bytes[name] += in.position() - before;
    }
  }

  void add(std::string_view value) {
    series::ByteReader in(value);
    std::uint8_t version = 0;
    std::string_view stats, chunk, sequences, deleted, residuals;
    if (!in.read_u8(version) || (version == 2 && !in.read_section(stats)) ||
        !in.read_section(chunk)) {
      return;
    }
    std::size_t front = in.position();
    if (!in.read_section(sequences)) return;
    std::size_t after_sequences = in.position();
    if (!in.read_section(deleted)) return;
    std::size_t after_deleted = in.position();
    if (!in.read_section(residuals)) return;
    auto header = series::peek_chunk_header(chunk);
    if (header.ok()) samples += header->count;
    bytes["wrapper version + crc + section lengths"] +=
        5 + (front - 1 - stats.size() - chunk.size());
    bytes["statistics"] += stats.size();
    add_series_chunk(chunk);
    bytes["sequences"] += after_sequences - front;
    bytes["deleted flags"] += after_deleted - after_sequences;
    bytes["residuals"] += in.position() - after_deleted;
  }

  void print() const {
    std::uint64_t total = 0;
    for (const auto& [name, size] : bytes) total += size;
    std::printf("  chunk sections over %llu samples (logical, before RocksDB compression):\n",
                static_cast<unsigned long long>(samples));
    for (const auto& [name, size] : bytes) {
      std::printf("    %-42s %10llu B %7.3f B/sample\n", name.c_str(),
                  static_cast<unsigned long long>(size),
                  samples ? static_cast<double>(size) / static_cast<double>(samples) : 0.0);
    }
    std::printf("    %-42s %10llu B %7.3f B/sample\n", "total",
                static_cast<unsigned long long>(total),
                samples ? static_cast<double>(total) / static_cast<double>(samples) : 0.0);
  }
};

Sizes measure(const std::string& path, SectionBytes* sections = nullptr) {
  kv::DbConfig config = kv::make_db_config(options_for(path));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(config.db, path, config.families, &handles, &raw);
  if (!status.ok()) {
    std::fprintf(stderr, "open: %s\n", status.ToString().c_str());
    std::exit(1);
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  Sizes sizes;
  for (auto [family, out] : {std::pair{kv::Family::kHistory, &sizes.raw},
                             std::pair{kv::Family::kHistoryChunks, &sizes.chunks}}) {
    rocksdb::ColumnFamilyHandle* handle = handles[kv::index_of(family)];
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    db->Flush(rocksdb::FlushOptions(), handle).PermitUncheckedError();
    db->CompactRange(compact, handle, nullptr, nullptr).PermitUncheckedError();
    db->GetIntProperty(handle, rocksdb::DB::Properties::kLiveSstFilesSize, &out->sst);
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handle));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++out->keys;
      out->logical += it->key().size() + it->value().size();
      if (sections && family == kv::Family::kHistoryChunks) {
        sections->add(std::string_view(it->value().data(), it->value().size()));
      }
    }
  }
  for (auto* handle : handles) {
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    db->Flush(rocksdb::FlushOptions(), handle).PermitUncheckedError();
    db->CompactRange(compact, handle, nullptr, nullptr).PermitUncheckedError();
    std::uint64_t live = 0;
    db->GetIntProperty(handle, rocksdb::DB::Properties::kLiveSstFilesSize, &live);
    sizes.all_sst += live;
  }
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  return sizes;
}

std::string instance_json(std::int64_t at, double value) {
  boost::json::object instance;
  instance["type"] = "Property";
  instance["value"] = value;
  instance["unitCode"] = "CEL";
  instance["observedAt"] = format_date_time(Instant{at});
  instance["createdAt"] = format_date_time(Instant{kStart});
  instance["modifiedAt"] = format_date_time(Instant{at + 1234});
  return boost::json::serialize(instance);
}

void report(const char* label, const Sizes& sizes, double samples) {
  std::printf(
      "  %-8s history: %8llu keys %10.1f KiB SST (%6.2f B/sample), %10.1f KiB logical "
      "(%6.2f B/sample) | history_chunks: %6llu keys %9.1f KiB SST (%6.2f B/sample), "
      "%9.1f KiB logical (%6.2f B/sample)\n",
      label, static_cast<unsigned long long>(sizes.raw.keys), sizes.raw.sst / 1024.0,
      sizes.raw.sst / samples, sizes.raw.logical / 1024.0, sizes.raw.logical / samples,
      static_cast<unsigned long long>(sizes.chunks.keys), sizes.chunks.sst / 1024.0,
      sizes.chunks.sst / samples, sizes.chunks.logical / 1024.0, sizes.chunks.logical / samples);
}

void run(const char* name, const std::string& parent, int instances, int per_instance) {
  std::string path = parent + "/citytwin-history-bench-" + name;
  std::filesystem::remove_all(path);
  std::mt19937_64 random(42);
  std::normal_distribution<double> noise(0, 0.1);
  std::vector<HistorySample> before;
  {
    auto store = open_rocksdb_store(options_for(path));
    if (!store.ok()) std::exit(1);
    Clock::time_point start = Clock::now();
    for (int e = 0; e < instances; ++e) {
      double phase = e * 0.1;
      for (int batch = 0; batch < per_instance; batch += 1000) {
        Change change = Change::history_only("urn:ngsi-ld:Sensor:" + std::to_string(e));
        for (int i = batch; i < std::min(per_instance, batch + 1000); ++i) {
          std::int64_t at = kStart + i * kMinute;
          double value = 18 + 4 * std::sin(phase + i * 2 * M_PI / 1440) + noise(random);
          value = std::round(value * 100) / 100;
          HistorySample sample;
          sample.attribute = kAttribute;
          sample.modified_at = at + 1234;
          sample.observed_at = at;
          sample.instance = instance_json(at, value);
          change.history.push_back(std::move(sample));
        }
        if (!(*store)->apply("t", std::span<const Change>(&change, 1)).ok()) std::exit(1);
      }
    }
    std::printf("%s: %d instance(s) x %d samples, written in %.1f s\n", name, instances,
                per_instance, std::chrono::duration<double>(Clock::now() - start).count());
    if (instances == 1) {
      before = *(*store)->history("t", "urn:ngsi-ld:Sensor:0", "", HistoryRange{}, 1u << 30);
    }
  }
  double samples = double(instances) * per_instance;
  report("raw", measure(path), samples);
  {
    auto store = open_rocksdb_store(options_for(path));
    if (!store.ok()) std::exit(1);
    Clock::time_point start = Clock::now();
    if (!(*store)->compact_history().ok()) std::exit(1);
    std::printf("  compaction pass: %.2f s\n",
                std::chrono::duration<double>(Clock::now() - start).count());
    if (instances == 1) {
      auto after = (*store)->history("t", "urn:ngsi-ld:Sensor:0", "", HistoryRange{}, 1u << 30);
      std::printf("  history() identical after compaction: %s (%zu samples)\n",
                  after.ok() && *after == before ? "yes" : "NO", before.size());
    }
  }
  SectionBytes sections;
  report("chunked", measure(path, &sections), samples);
  sections.print();
  std::filesystem::remove_all(path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--measure") {
    SectionBytes sections;
    Sizes sizes = measure(argv[2], &sections);
    double samples = static_cast<double>(sections.samples);
    std::printf("%s: %.0f samples in chunks\n", argv[2], samples);
    report("", sizes, samples > 0 ? samples : 1);
    std::printf("  every column family after the same compaction: %llu bytes SST (%.2f B/sample)\n",
                static_cast<unsigned long long>(sizes.all_sst),
                static_cast<double>(sizes.all_sst) / (samples > 0 ? samples : 1));
    sections.print();
    return 0;
  }
  std::string parent = argc > 1 ? argv[1] : "/tmp";
  run("one", parent, 1, 100'000);
  run("many", parent, 1000, 1000);
  return 0;
}
