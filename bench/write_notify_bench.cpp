// In-process CPU of a batch write with and without subscriptions notifying it: what a write
// costs the server, and what subscriptions add (the change record, matching, rendering and
// queueing the notifications), without HTTP, the client or a broker in the measurement.
// The setting of bench/subscriptions/subbench.py: 1,000 entities, 1,000 subscriptions each on 5
// of them (keyValues, watchedAttributes and attributes [sentAt]), batches of 100 updates of
// `sentAt`, so a batch makes 500 notifications; they go to a sender that counts them on one
// lane (as MQTT notifications to one broker do). Each iteration writes one batch through
// EntityService (RocksDB, fsync on commit) and waits until its notifications are all handed
// over, so the process CPU of an iteration is all the work of that write.
// `ninja -C build/release write_notify_bench && build/release/src/core/write_notify_bench`;
// counters: process CPU per update (µs), and the dispatch and notifier stages included.

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "citytwin/common/clock.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/core/subscription_service.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/store/rocksdb_store.hpp"
#include "subscription_test_support.hpp"

namespace {
namespace json = boost::json;
namespace core = citytwin::core;
namespace form = citytwin::model::form;

constexpr int kEntities = 1000;
constexpr int kSubscriptions = 1000;
constexpr int kFanout = 5;
constexpr int kBatch = 100;
constexpr const char* kType = "https://example.org/BenchSensor";
constexpr const char* kSentAt = "https://example.org/sentAt";

std::string entity_id(int i) {
  return "urn:ngsi-ld:BenchSensor:" + std::to_string(100000 + i);
}

json::object stored_entity(int i, double sent_at) {
  json::object instance{{"type", "Property"}, {"value", sent_at}};
  json::object attrs;
  attrs[kSentAt] = json::array{instance};
  return json::object{{form::kId, entity_id(i)},
                      {form::kType, json::array{kType}},
                      {form::kAttrs, std::move(attrs)}};
}

// CPU seconds of this process's threads by name (/proc/self/task/*/schedstat: nanoseconds on
// a CPU), so that the stages of a write show apart: the caller, the commit thread, the
// subscription dispatcher, the notifier threads, RocksDB's own.
std::map<std::string, double> thread_cpu_seconds() {
  std::map<std::string, double> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::ifstream schedstat(task.path() / "schedstat");
    std::string name;
    double nanoseconds = 0;
    if (std::getline(comm, name) && schedstat >> nanoseconds) out[name] += nanoseconds / 1e9;
  }
  return out;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Counts what the notifier hands over, on one lane, and lets the benchmark wait for a total.
class CountingSender final : public core::NotificationSender {
 public:
  citytwin::Status send(const core::OutgoingNotification&) override {
    add(1);
    return citytwin::ok_status();
  }
  std::string lane(const core::OutgoingNotification&) override { return "bench-broker"; }
  std::vector<citytwin::Status> send_batch(
      const std::vector<const core::OutgoingNotification*>& batch) override {
    add(batch.size());
    return std::vector<citytwin::Status>(batch.size(), citytwin::ok_status());
  }
  void wait_for(std::size_t total) {
    std::unique_lock lock(mutex_);
    counted_.wait(lock, [&] { return count_ >= total; });
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  void add(std::size_t n) {
    std::lock_guard lock(mutex_);
    count_ += n;
    counted_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable counted_;
  std::size_t count_ = 0;
};

// A RocksDB store in a fresh directory with the services of a server around it.
struct Bench {
  Bench() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "citytwin-write-notify-XXXXXX").string();
    path = mkdtemp(pattern.data());
    citytwin::store::RocksDbOptions options;
    options.path = path;
    auto opened = citytwin::store::open_rocksdb_store(options);
    if (!opened) throw std::runtime_error(opened.error().detail);
    store = std::move(*opened);
    subscriptions = std::make_unique<core::SubscriptionService>(
        *store, clock, contexts.resolve_fn(), sender, core::NotifierOptions{});
    entities = std::make_unique<core::EntityService>(
        *store, clock, core::EntityService::Durability::kWaitForDisk, subscriptions.get());
    subscriptions->start();
  }
  ~Bench() {
    subscriptions->stop();
    entities.reset();
    subscriptions.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }

  void write_batch(const std::string& tenant, int first, double sent_at) {
    std::vector<core::BatchItem> items;
    for (int k = 0; k < kBatch; ++k) {
      int i = (first + k) % kEntities;
      items.emplace_back(entity_id(i), stored_entity(i, sent_at));
    }
    entities->batch(tenant, core::BatchKind::kUpsertUpdate, std::move(items));
  }

  void subscribe(const std::string& tenant) {
    json::value context = json::parse(R"({"BenchSensor": "https://example.org/BenchSensor",
                                          "sentAt": "https://example.org/sentAt"})");
    const int stride = kEntities / kFanout;
    for (int j = 0; j < kSubscriptions; ++j) {
      json::array selectors;
      for (int m = 0; m < kFanout; ++m) {
        selectors.push_back(
            json::object{{"id", entity_id((j + stride * m) % kEntities)}, {"type", "BenchSensor"}});
      }
      json::object payload{
          {"type", "Subscription"},
          {"entities", std::move(selectors)},
          {"watchedAttributes", json::array{"sentAt"}},
          {"notification",
           json::object{{"format", "keyValues"},
                        {"attributes", json::array{"sentAt"}},
                        {"endpoint", json::object{{"uri", "mqtt://127.0.0.1:1883/bench/" +
                                                              std::to_string(j)}}}}}};
      auto created = subscriptions->create(tenant, std::move(payload), context);
      if (!created) throw std::runtime_error(created.error().detail);
    }
  }

  std::string path;
  citytwin::SystemClock clock;
  core::testing::Contexts contexts;
  CountingSender sender;
  std::unique_ptr<citytwin::store::EntityStore> store;
  std::unique_ptr<core::SubscriptionService> subscriptions;
  std::unique_ptr<core::EntityService> entities;
};

void run(benchmark::State& state, bool subscribed) {
  Bench bench;
  const std::string tenant = subscribed ? "watched" : "quiet";
  for (int first = 0; first < kEntities; first += kBatch) bench.write_batch(tenant, first, 0);
  if (subscribed) bench.subscribe(tenant);
  const std::size_t per_batch = subscribed ? kBatch * kFanout : 0;
  std::size_t expected = bench.sender.count();
  int first = 0;
  double sent_at = 1;
  double cpu_before = process_cpu_seconds();
  auto threads_before = thread_cpu_seconds();
  for (auto _ : state) {
    bench.write_batch(tenant, first, sent_at);
    expected += per_batch;
    bench.sender.wait_for(expected);
    first = (first + kBatch) % kEntities;
    sent_at += 1;
  }
  double cpu = process_cpu_seconds() - cpu_before;
  const double updates = static_cast<double>(state.iterations()) * kBatch;
  state.counters["cpu_us_per_update"] = cpu * 1e6 / updates;
  for (const auto& [name, seconds] : thread_cpu_seconds()) {
    // Only the stages that differ with subscriptions; the rest is in the total.
    if (name != "ct-dispatch" && name != "ct-notify" && name != "ct-commit") continue;
    state.counters[name + "_us"] = (seconds - threads_before[name]) * 1e6 / updates;
  }
  state.counters["notifications"] = static_cast<double>(bench.sender.count());
  state.SetItemsProcessed(static_cast<std::int64_t>(updates));
}

void WithoutSubscriptions(benchmark::State& state) {
  run(state, false);
}
void WithSubscriptions(benchmark::State& state) {
  run(state, true);
}

BENCHMARK(WithoutSubscriptions)->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(WithSubscriptions)->Unit(benchmark::kMillisecond)->MinTime(3);

}  // namespace

BENCHMARK_MAIN();
