// Deferred durability of the RocksDB store (EntityStore::apply_deferred and its commit
// queue): what a writer sees before its group is on disk, and that every write reported
// durable is there after a reopen.
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "citytwin/store/rocksdb_store.hpp"
#include "store_test_support.hpp"

namespace citytwin::store {
namespace {

using testing::as_pairs;
using ::testing::ElementsAre;
using testing::make_record;
using testing::open_store;
using ::testing::Pair;

constexpr const char* kSensor = "https://example.org/Sensor";

Status defer(EntityStore& store, Change change) {
  return store.apply_deferred("", std::span<const Change>(&change, 1));
}

// Blocks until everything ordered so far is durable; returns the reported status.
Status wait_for_disk(EntityStore& store) {
  std::promise<Status> reported;
  store.when_durable(store.write_mark(),
                     [&reported](Status status) { reported.set_value(std::move(status)); });
  return reported.get_future().get();
}

TEST(DeferredDurability, NewestReadsSeeAWriteAtOnceAndPlainReadsOnceDurable) {
  testing::TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  std::uint64_t before = store->write_mark();
  ASSERT_TRUE(
      defer(*store, Change::put(make_record("urn:1", {kSensor}, {}, {}, "{\"v\":1}"))).ok());
  EXPECT_GT(store->write_mark(), before);
  auto newest = store->get_latest("", "urn:1");
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->value_or(""), "{\"v\":1}");

  ASSERT_TRUE(wait_for_disk(*store).ok());
  EXPECT_EQ(store->get("", "urn:1")->value_or(""), "{\"v\":1}");
  EXPECT_EQ(*store->count("", IndexSelector::type(kSensor)), 1u);
}

TEST(DeferredDurability, WaitingForAMarkAlreadyDurableAnswersAtOnce) {
  testing::TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  bool called = false;
  store->when_durable(0, [&called](Status status) { called = status.ok(); });
  EXPECT_TRUE(called);
}

TEST(DeferredDurability, ADeferredDeleteHidesTheEntityFromNewestReads) {
  testing::TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  Change put = Change::put(make_record("urn:1", {kSensor}));
  ASSERT_TRUE(store->apply("", std::span<const Change>(&put, 1)).ok());
  ASSERT_TRUE(defer(*store, Change::remove("urn:1")).ok());
  auto newest = store->multi_get_latest("", std::vector<std::string>{"urn:1"});
  ASSERT_TRUE(newest.ok());
  EXPECT_FALSE((*newest)[0].has_value());
  ASSERT_TRUE(wait_for_disk(*store).ok());
  EXPECT_FALSE(store->get("", "urn:1")->has_value());
  EXPECT_EQ(*store->count("", IndexSelector::all()), 0u);
}

// Successive deferred writes of one entity, most still pending when the next arrives: the
// index changes of each are computed from the previous (pending) one, so after the last the
// indexes hold exactly its terms.
TEST(DeferredDurability, IndexMaintenanceChainsOverPendingWrites) {
  testing::TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 200; ++i) {
    std::string type = "https://example.org/T" + std::to_string(i % 3);
    std::string attribute = "https://example.org/a" + std::to_string(i % 5);
    ASSERT_TRUE(defer(*store, Change::put(make_record("urn:1", {type}, {attribute}))).ok());
  }
  ASSERT_TRUE(wait_for_disk(*store).ok());
  // i = 199: type T1, attribute a4.
  EXPECT_THAT(as_pairs(*store->type_counts("")), ElementsAre(Pair("https://example.org/T1", 1)));
  EXPECT_THAT(as_pairs(*store->attribute_counts("")),
              ElementsAre(Pair("https://example.org/a4", 1)));
  EXPECT_EQ(*store->count("", IndexSelector::all()), 1u);
}

TEST(DeferredDurability, ConcurrentWritersAreAllDurableAndSurviveReopen) {
  testing::TempDir dir;
  constexpr int kWriters = 8;
  constexpr int kEach = 150;
  {
    auto store = open_store(dir.path());
    ASSERT_NE(store, nullptr);
    std::vector<std::thread> writers;
    std::atomic<int> durable{0};
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; i < kEach; ++i) {
          std::string id = "urn:" + std::to_string(w) + ":" + std::to_string(i);
          if (!defer(*store, Change::put(make_record(id, {kSensor}))).ok()) return;
          if (wait_for_disk(*store).ok()) ++durable;
        }
      });
    }
    for (auto& writer : writers) writer.join();
    EXPECT_EQ(durable.load(), kWriters * kEach);
  }
  auto reopened = open_store(dir.path());
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(*reopened->count("", IndexSelector::type(kSensor)),
            static_cast<std::uint64_t>(kWriters * kEach));
}

}  // namespace
}  // namespace citytwin::store
