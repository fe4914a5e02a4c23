// RocksDB-only behaviour: persistence across reopen, durability of acknowledged writes when
// the process is killed, and clean errors at open.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "citytwin/store/rocksdb_store.hpp"
#include "store_test_support.hpp"

namespace citytwin::store {
namespace {

using testing::as_pairs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::make_record;
using testing::open_store;
using ::testing::Pair;
using testing::point;
using testing::scan_all;

constexpr const char* kSensor = "https://example.org/Sensor";
constexpr const char* kRoom = "https://example.org/Room";
constexpr const char* kLocation = "https://uri.etsi.org/ngsi-ld/location";
constexpr const char* kTemperature = "https://example.org/temperature";

void apply_ok(EntityStore& store, std::string_view tenant, std::vector<Change> changes) {
  Status status = store.apply(tenant, changes);
  ASSERT_TRUE(status.ok()) << status.error().detail;
}

TEST(RocksDbStore, ReopenPersistsDocumentsIndexesCountsAndSpatialIndex) {
  testing::TempDir dir;
  {
    auto store = open_store(dir.path());
    ASSERT_NE(store, nullptr);
    apply_ok(
        *store, "",
        {Change::put(
             make_record("urn:1", {kSensor}, {kTemperature, kLocation}, {point(kLocation, 1, 1)})),
         Change::put(make_record("urn:2", {kSensor, kRoom}, {kLocation}, {point(kLocation, 5, 5)})),
         Change::put(make_record("urn:3", {kRoom}, {}))});
    // Replaced and deleted entities must not leave stale index entries behind.
    apply_ok(*store, "",
             {Change::put(make_record("urn:2", {kRoom}, {kLocation}, {point(kLocation, 50, 50)})),
              Change::remove("urn:3")});
    apply_ok(*store, "city",
             {Change::put(make_record("urn:1", {kSensor}, {}, {point(kLocation, 1, 1)}))});
    ASSERT_TRUE(store->put_document("contexts", "https://ctx", "{}").ok());
  }
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->get("", "urn:1"), R"({"id":"urn:1"})");
  EXPECT_EQ(*store->get("", "urn:3"), std::nullopt);
  EXPECT_THAT(scan_all(*store, "", IndexSelector::all()), ElementsAre("urn:1", "urn:2"));
  EXPECT_THAT(scan_all(*store, "", IndexSelector::type(kSensor)), ElementsAre("urn:1"));
  EXPECT_THAT(scan_all(*store, "", IndexSelector::type(kRoom)), ElementsAre("urn:2"));
  EXPECT_THAT(scan_all(*store, "", IndexSelector::attribute(kTemperature)), ElementsAre("urn:1"));
  EXPECT_EQ(*store->count("", IndexSelector::all()), 2u);
  EXPECT_THAT(as_pairs(*store->type_counts("")), ElementsAre(Pair(kRoom, 1u), Pair(kSensor, 1u)));
  EXPECT_THAT(as_pairs(*store->attribute_counts("")),
              ElementsAre(Pair(kTemperature, 1u), Pair(kLocation, 2u)));
  EXPECT_THAT(*store->ids_in_box("", BoxQuery{kLocation, Box{0, 0, 10, 10}}), ElementsAre("urn:1"));
  EXPECT_THAT(*store->ids_in_box("", BoxQuery{kLocation, Box{40, 40, 60, 60}}),
              ElementsAre("urn:2"));
  EXPECT_THAT(*store->ids_in_box("city", BoxQuery{kLocation, Box{0, 0, 10, 10}}),
              ElementsAre("urn:1"));
  // The rebuilt index files each box under its entity's types.
  std::vector<std::string> rooms{kRoom};
  EXPECT_THAT(*store->ids_in_box("", BoxQuery{kLocation, Box{-90, -90, 90, 90}, rooms}),
              ElementsAre("urn:2"));
  std::vector<std::string> sensors{kSensor};
  EXPECT_THAT(*store->ids_in_box("", BoxQuery{kLocation, Box{-90, -90, 90, 90}, sensors}),
              ElementsAre("urn:1"));
  EXPECT_THAT(store->tenants(), ElementsAre("", "city"));
  EXPECT_THAT(*store->list_documents("contexts"), ElementsAre(Pair("https://ctx", "{}")));

  // The reloaded spatial index keeps accepting updates.
  apply_ok(*store, "", {Change::remove("urn:1")});
  EXPECT_THAT(*store->ids_in_box("", BoxQuery{kLocation, Box{0, 0, 10, 10}}), IsEmpty());
}

TEST(RocksDbStore, StatsReportBytesOnDisk) {
  testing::TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  apply_ok(*store, "",
           {Change::put(make_record("urn:1", {kSensor}, {}, {}, std::string(4096, 'x')))});
  StoreStats stats = store->stats();
  EXPECT_EQ(stats.entities, 1u);
  EXPECT_GT(stats.bytes_on_disk, 4096u);  // the WAL holds the write until a flush
}

// The shared block cache is what an entity read from a table file fills: the memory figure
// must come from it (asking the unused "default" family reported 96 bytes instead).
TEST(RocksDbStore, StatsReportTheSharedBlockCache) {
  testing::TempDir dir;
  {
    auto store = open_store(dir.path());
    ASSERT_NE(store, nullptr);
    apply_ok(*store, "",
             {Change::put(make_record("urn:1", {kSensor}, {}, {}, std::string(8192, 'x')))});
  }
  auto store = open_store(dir.path());  // recovery moves the write into a table file
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->get("", "urn:1")->has_value());
  EXPECT_GT(store->stats().memory.block_cache, 8192u);
}

// The entity read cache (entity_read_cache.hpp) in front of get() and multi_get(): readers
// racing a writer never see a version older than one they saw before, a write is visible to
// every read once apply() has returned, and deletes are not served from the cache.
TEST(RocksDbStore, ReadsThroughTheEntityCacheFollowWrites) {
  testing::TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  auto version_document = [](int version) {
    return "{\"id\":\"urn:1\",\"v\":" + std::to_string(version) + "}";
  };
  auto version_of = [](const std::optional<std::string>& document) {
    if (!document) return -1;
    auto at = document->find("\"v\":");
    return at == std::string::npos ? -1 : std::stoi(document->substr(at + 4));
  };
  apply_ok(*store, "", {Change::put(make_record("urn:1", {kSensor}, {}, {}, version_document(0)))});
  constexpr int kVersions = 300;
  std::atomic<int> acknowledged{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      int seen = 0;
      while (acknowledged.load() < kVersions) {
        const int floor = acknowledged.load();  // acknowledged before this read started
        int version = -1;
        if (r == 0) {
          auto document = store->get("", "urn:1");
          version = document ? version_of(*document) : -1;
        } else {
          const std::vector<std::string> ids = {"urn:1", "urn:none"};
          auto documents = store->multi_get("", ids);
          version = documents ? version_of((*documents)[0]) : -1;
          if (documents && (*documents)[1]) failed = true;
        }
        if (version < seen || version < floor) failed = true;
        seen = std::max(seen, version);
      }
    });
  }
  for (int version = 1; version <= kVersions; ++version) {
    apply_ok(*store, "",
             {Change::put(make_record("urn:1", {kSensor}, {}, {}, version_document(version)))});
    acknowledged = version;
  }
  for (auto& reader : readers) reader.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(version_of(*store->get("", "urn:1")), kVersions);
  EXPECT_GT(store->stats().memory.entity_cache, 0u);
  apply_ok(*store, "", {Change::remove("urn:1")});
  EXPECT_FALSE(store->get("", "urn:1")->has_value());
  EXPECT_FALSE((*store->multi_get("", std::vector<std::string>{"urn:1"}))[0].has_value());
}

// Every write reads its entity's old meta to find the index keys to remove: from the commit
// queue's overlay while an earlier write is pending, else from the meta cache (filled by the
// previous write) or the database. A stale meta would leave a dead index key or a wrong
// counter behind, so alternate types and attributes in quick, unawaited writes and check the
// indexes, also after a reopen. The document read (get_latest) must follow too.
TEST(RocksDbStore, QuickSuccessiveWritesOfOneEntityKeepItsIndexesExact) {
  testing::TempDir dir;
  const std::vector<std::string> kinds[2] = {{kSensor}, {kRoom}};
  const std::vector<std::string> attributes[2] = {{kTemperature}, {kLocation}};
  auto document = [](int version) {
    return "{\"id\":\"urn:1\",\"v\":" + std::to_string(version) + "}";
  };
  constexpr int kWrites = 201;  // odd: the last write is of kinds[0]
  {
    auto store = open_store(dir.path());
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < kWrites; ++i) {
      std::vector<Change> changes;
      changes.push_back(Change::put(make_record("urn:1", kinds[i % 2 == 0 ? 0 : 1],
                                                attributes[i % 2 == 0 ? 0 : 1], {}, document(i))));
      // Now and then a second entity in the same batch: metas of several locked entities,
      // some cached, some not.
      if (i % 3 == 0) {
        changes.push_back(Change::put(
            make_record("urn:3", kinds[i % 2 == 0 ? 0 : 1], attributes[i % 2 == 0 ? 0 : 1])));
      }
      // Mostly unawaited (the next write reads the overlay), every 7th awaited (it reads the
      // caches filled by the write before).
      Status status = i % 7 == 0 ? store->apply("", changes) : store->apply_deferred("", changes);
      ASSERT_TRUE(status.ok()) << status.error().detail;
      auto latest = store->get_latest("", "urn:1");
      ASSERT_TRUE(latest.ok() && latest->has_value());
      EXPECT_EQ(**latest, document(i));
    }
    apply_ok(*store, "", {Change::put(make_record("urn:2", {kRoom}))});  // waits for all before
    EXPECT_EQ(**store->get("", "urn:1"), document(kWrites - 1));
    // The last writes of urn:1 (i = 200) and urn:3 (i = 198) are of kinds[0].
    EXPECT_THAT(scan_all(*store, "", IndexSelector::type(kSensor)), ElementsAre("urn:1", "urn:3"));
    EXPECT_THAT(scan_all(*store, "", IndexSelector::type(kRoom)), ElementsAre("urn:2"));
    EXPECT_THAT(as_pairs(*store->type_counts("")), ElementsAre(Pair(kRoom, 1u), Pair(kSensor, 2u)));
    EXPECT_THAT(as_pairs(*store->attribute_counts("")), ElementsAre(Pair(kTemperature, 2u)));
  }
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(**store->get("", "urn:1"), document(kWrites - 1));
  EXPECT_THAT(as_pairs(*store->type_counts("")), ElementsAre(Pair(kRoom, 1u), Pair(kSensor, 2u)));
  EXPECT_THAT(scan_all(*store, "", IndexSelector::attribute(kLocation)), IsEmpty());
  EXPECT_THAT(store->tenants(), ElementsAre(""));
}

// The tenant marker is put only until the tenant is known: later writes skip it, and the
// tenant is still listed after a reopen.
TEST(RocksDbStore, ATenantWrittenManyTimesIsKnownAfterReopen) {
  testing::TempDir dir;
  {
    auto store = open_store(dir.path());
    ASSERT_NE(store, nullptr);
    EXPECT_FALSE(store->has_tenant("city"));
    for (int i = 0; i < 5; ++i) {
      apply_ok(*store, "city", {Change::put(make_record("urn:" + std::to_string(i), {kSensor}))});
      EXPECT_TRUE(store->has_tenant("city"));
    }
  }
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->has_tenant("city"));
  EXPECT_THAT(store->tenants(), ElementsAre("city"));
  EXPECT_EQ(*store->count("city", IndexSelector::all()), 5u);
}

TEST(RocksDbStore, OpenReportsErrorsAsValues) {
  RocksDbOptions no_path;
  auto missing = open_rocksdb_store(no_path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kInternalError);

  testing::TempDir dir;
  auto first = open_store(dir.path());
  ASSERT_NE(first, nullptr);
  RocksDbOptions same;
  same.path = dir.path();
  auto second = open_rocksdb_store(same);  // the LOCK file is held by `first`
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::kInternalError);
  EXPECT_THAT(second.error().detail, ::testing::HasSubstr(dir.path()));
}

// ---- Durability: acknowledged writes survive kill -9 --------------------------------------
//
// The writer runs in a child process started with fork + exec of this test binary: forking
// alone would copy a process whose RocksDB background threads (from earlier tests) do not
// exist in the child, which can deadlock. The child acknowledges each entity number over a
// pipe only after apply() returned OK, then SIGKILLs itself while its writers are mid-flight.

constexpr const char* kCrashDbVariable = "CITYTWIN_STORE_CRASH_DB";
constexpr const char* kCrashAckVariable = "CITYTWIN_STORE_CRASH_ACK_FD";
constexpr std::uint32_t kAcksBeforeKill = 300;

std::string crash_id(std::uint32_t n) {
  return "urn:ngsi-ld:Sensor:" + std::to_string(n);
}

EntityRecord crash_record(std::uint32_t n) {
  return make_record(crash_id(n), {kSensor}, {kTemperature, kLocation},
                     {point(kLocation, n % 360 - 180.0, n % 180 - 90.0)});
}

TEST(RocksDbCrashChild, DISABLED_WriteUntilKilled) {
  const char* path = std::getenv(kCrashDbVariable);
  const char* ack = std::getenv(kCrashAckVariable);
  if (path == nullptr || ack == nullptr) GTEST_SKIP() << "only run by KillNine test";
  int ack_fd = std::atoi(ack);
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  std::atomic<std::uint32_t> next{0};
  std::atomic<std::uint32_t> acknowledged{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (;;) {
        std::uint32_t n = next++;
        std::vector<Change> changes{Change::put(crash_record(n))};
        if (!store->apply("", changes).ok()) continue;
        if (write(ack_fd, &n, sizeof n) != sizeof n) return;  // atomic: < PIPE_BUF
        ++acknowledged;
      }
    });
  }
  while (acknowledged < kAcksBeforeKill) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  kill(getpid(), SIGKILL);  // no destructor, no close: like a crash
  for (std::thread& writer : writers) writer.join();
}

// Runs this binary's DISABLED_WriteUntilKilled test in a child; returns the numbers it
// acknowledged and whether it died of SIGKILL.
std::pair<std::vector<std::uint32_t>, bool> run_crashing_writer(const std::string& path) {
  int fds[2];
  if (pipe(fds) != 0) return {{}, false};
  // Everything the child needs is prepared before fork: after fork only async-signal-safe calls.
  std::string db_variable = std::string(kCrashDbVariable) + "=" + path;
  std::string ack_variable = std::string(kCrashAckVariable) + "=" + std::to_string(fds[1]);
  char* const argv[] = {
      const_cast<char*>("store_test"),
      const_cast<char*>("--gtest_filter=RocksDbCrashChild.DISABLED_WriteUntilKilled"),
      const_cast<char*>("--gtest_also_run_disabled_tests"), nullptr};
  char* const envp[] = {db_variable.data(), ack_variable.data(), nullptr};
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, STDOUT_FILENO);
    execve("/proc/self/exe", argv, envp);
    _exit(127);
  }
  close(fds[1]);
  std::vector<std::uint32_t> acknowledged;
  std::uint32_t n = 0;
  while (read(fds[0], &n, sizeof n) == sizeof n) acknowledged.push_back(n);
  close(fds[0]);
  int wait_status = 0;
  waitpid(child, &wait_status, 0);
  bool killed = WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL;
  return {acknowledged, killed};
}

TEST(RocksDbDurability, AcknowledgedWritesSurviveKillNine) {
  testing::TempDir dir;
  auto [acknowledged, killed] = run_crashing_writer(dir.path());
  ASSERT_TRUE(killed) << "the writer did not die of SIGKILL";
  ASSERT_GE(acknowledged.size(), kAcksBeforeKill);

  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  std::vector<std::string> ids;
  for (std::uint32_t n : acknowledged) ids.push_back(crash_id(n));
  auto documents = store->multi_get("", ids);
  ASSERT_TRUE(documents.ok());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_TRUE((*documents)[i].has_value()) << "acknowledged write lost: " << ids[i];
  }
  // Unacknowledged in-flight writes may or may not be there, but whatever is there is whole:
  // documents, type index, counters and the rebuilt spatial index agree.
  std::vector<std::string> all = scan_all(*store, "", IndexSelector::all());
  EXPECT_GE(all.size(), acknowledged.size());
  EXPECT_EQ(scan_all(*store, "", IndexSelector::type(kSensor)), all);
  EXPECT_EQ(*store->count("", IndexSelector::all()), all.size());
  EXPECT_EQ(*store->count("", IndexSelector::attribute(kTemperature)), all.size());
  auto located = store->ids_in_box("", BoxQuery{kLocation, Box{-180, -90, 180, 90}});
  ASSERT_TRUE(located.ok());
  EXPECT_EQ(*located, all);
}

}  // namespace
}  // namespace citytwin::store
