// Figures quoted in docs/storage.md: R-tree bulk load, database open with N geo entries, and
// apply() latency with fsync on this disk. Build: `ninja store_bench` (Release build dir).
// Usage: store_bench [entities (default 1000000)] [parent directory (default /tmp)] [--keep]
//        store_bench open DIR   (time opening an existing database, e.g. one kept by --keep)
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "citytwin/store/rocksdb_store.hpp"
#include "citytwin/store/spatial_index.hpp"

namespace {

using namespace citytwin::store;
using Clock = std::chrono::steady_clock;

constexpr const char* kLocation = "https://uri.etsi.org/ngsi-ld/location";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Box random_point_box(std::mt19937& random) {
  std::uniform_real_distribution<double> x(-10, 30), y(35, 60);  // roughly Europe
  double px = x(random), py = y(random);
  return Box{px, py, px, py};
}

EntityRecord sensor(std::uint64_t n, std::mt19937& random) {
  EntityRecord record;
  record.id = "urn:ngsi-ld:Sensor:" + std::to_string(n);
  record{"https://uri.fiware.org/ns/dataModels#Sensor"};
  record.attributes = {"https://example.org/temperature", "https://example.org/humidity",
                       kLocation};
  record.geo = {GeoEntry{kLocation, random_point_box(random)}};
  record.document = R"({"id":")" + record.id + R"(","temperature":{"value":21.5}})";
  return record;
}

void bench_bulk_load(std::uint64_t count) {
  std::mt19937 random(1);
  SpatialIndexBuilder builder;
  auto start = Clock::now();
  for (std::uint64_t n = 0; n < count; ++n) {
    builder.add("", kLocation, "urn:ngsi-ld:Sensor:" + std::to_string(n), random_point_box(random));
  }
  double add_seconds = seconds_since(start);
  start = Clock::now();
  auto index = std::move(builder).build();
  std::printf("rtree bulk load: %llu boxes: add %.3f s, pack %.3f s\n",
              static_cast<unsigned long long>(index->size()), add_seconds, seconds_since(start));
}

std::unique_ptr<EntityStore> open_or_die(const std::string& path, bool sync) {
  RocksDbOptions options;
  options.path = path;
  options.sync_writes = sync;
  auto store = open_rocksdb_store(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open failed: %s\n", store.error().detail.c_str());
    std::exit(1);
  }
  return std::move(store).value();
}

void populate(const std::string& path, std::uint64_t count) {
  auto store = open_or_die(path, /*sync=*/false);
  std::mt19937 random(2);
  auto start = Clock::now();
  for (std::uint64_t n = 0; n < count;) {
    std::vector<Change> batch;
    for (int i = 0; i < 1000 && n < count; ++i, ++n)
      batch.push_back(Change::put(sensor(n, random)));
    if (!store->apply("", batch).ok()) std::exit(1);
  }
  std::printf("populate: %llu entities in %.1f s (unsynced batches of 1000)\n",
              static_cast<unsigned long long>(count), seconds_since(start));
}

void bench_open(const std::string& path) {
  auto start = Clock::now();
  auto store = open_or_die(path, /*sync=*/true);
  std::printf("open (WAL replay + tenants + R-tree rebuild): %.3f s\n", seconds_since(start));
  start = Clock::now();
  auto counts = store->type_counts("");
  std::printf(
      "type_counts: %.6f s (%llu entities of the type)\n", seconds_since(start),
      counts.ok() && !counts->empty() ? static_cast<unsigned long long>((*counts)[0].count) : 0ULL);
  start = Clock::now();
  auto ids = store->ids_in_box("", BoxQuery{kLocation, Box{2.2, 48.8, 2.5, 48.9}});
  std::printf("ids_in_box (small box): %.6f s, %zu hits\n", seconds_since(start),
              ids.ok() ? ids->size() : 0);
}

void bench_apply_latency(const std::string& path) {
  auto store = open_or_die(path, /*sync=*/true);
  std::mt19937 random(3);
  std::vector<double> micros;
  for (int i = 0; i < 300; ++i) {
    std::vector<Change> change{Change::put(sensor(10'000'000 + i, random))};
    auto start = Clock::now();
    if (!store->apply("", change).ok()) std::exit(1);
    micros.push_back(seconds_since(start) * 1e6);
  }
  std::sort(micros.begin(), micros.end());
  std::printf("apply, 1 writer, sync: p50 %.0f us, p99 %.0f us, max %.0f us\n", micros[150],
              micros[296], micros.back());

  constexpr int kWriters = 8, kPerWriter = 100;
  std::atomic<int> next{20'000'000};
  auto start = Clock::now();
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&] {
      std::mt19937 local(next.load());
      for (int i = 0; i < kPerWriter; ++i) {
        std::vector<Change> change{Change::put(sensor(next++, local))};
        if (!store->apply("", change).ok()) std::exit(1);
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  double elapsed = seconds_since(start);
  std::printf("apply, %d writers, sync: %.0f applies/s (group commit)\n", kWriters,
              kWriters * kPerWriter / elapsed);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "open") {
    bench_open(args[1]);
    return 0;
  }
  std::uint64_t count = args.size() > 0 ? std::strtoull(args[0].c_str(), nullptr, 10) : 1'000'000;
  std::string parent = args.size() > 1 ? args[1] : "/tmp";
  bool keep = args.size() > 2 && args[2] == "--keep";
  std::string pattern = parent + "/citytwin-store-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return 1;
  bench_bulk_load(count);
  populate(pattern, count);
  bench_open(pattern);
  bench_apply_latency(pattern);
  std::printf("database size: %llu bytes\n",
              static_cast<unsigned long long>(open_or_die(pattern, true)->stats().bytes_on_disk));
  if (keep) {
    std::printf("kept %s\n", pattern.c_str());
  } else {
    std::filesystem::remove_all(pattern);
  }
  return 0;
}
