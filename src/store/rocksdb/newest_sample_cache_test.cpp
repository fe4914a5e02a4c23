#include "newest_sample_cache.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace citytwin::store::kv {
namespace {

constexpr const char* kLevel = "https://example.org/level";

HistorySample sample(std::int64_t modified_at, std::optional<std::int64_t> observed_at,
                     std::string value, std::string dataset = "") {
  HistorySample out;
  out.attribute = kLevel;
  out.dataset_id = std::move(dataset);
  out.modified_at = modified_at;
  out.observed_at = observed_at;
  out.instance = "{\"value\":" + value + "}";
  return out;
}

Change appending(std::vector<HistorySample> samples) {
  Change change = Change::history_only("urn:e");
  change.history = std::move(samples);
  return change;
}

class NewestSampleCacheTest : public ::testing::Test {
 protected:
  std::string key = NewestSampleCache::entity_key("", "urn:e");
  NewestSampleCache cache{1 << 20};

  // A write of `changes` as the store makes it: planned, then applied once in the database.
  void write(std::vector<Change> changes, std::uint64_t sequence) {
    for (const NewestUpdate& update : cache.plan("", changes)) cache.apply(update, sequence);
  }
  void fill(NewestOrder order, std::optional<HistorySample> newest) {
    auto lookup = cache.find(key, kLevel, order);
    ASSERT_FALSE(lookup.newest);
    cache.fill(key, kLevel, order, newest, lookup.ticket);
  }
  std::optional<HistorySample> cached(NewestOrder order) {
    auto lookup = cache.find(key, kLevel, order);
    EXPECT_TRUE(lookup.newest);
    return lookup.newest ? *lookup.newest : std::nullopt;
  }
};

TEST_F(NewestSampleCacheTest, AppendsRaiseTheNewestInEachOrder) {
  HistorySample first = sample(100, 5000, "1");
  first.sequence = 7;
  fill(NewestOrder::kObservedAt, first);
  fill(NewestOrder::kModifiedAt, first);
  // Observed earlier but modified later: newest by modifiedAt only.
  write({appending({sample(200, 4000, "2")})}, 9);
  EXPECT_EQ(cached(NewestOrder::kObservedAt)->instance, first.instance);
  auto by_modified = cached(NewestOrder::kModifiedAt);
  EXPECT_EQ(by_modified->instance, "{\"value\":2}");
  EXPECT_EQ(by_modified->sequence, 9u);  // the write's sequence numbers its samples
  // Deletions are never the newest; an instance without observedAt counts by modifiedAt.
  HistorySample deletion = sample(300, 9000, "3");
  deletion.deleted = true;
  write({appending({deletion, sample(6000, std::nullopt, "4")})}, 10);
  EXPECT_EQ(cached(NewestOrder::kObservedAt)->instance, "{\"value\":4}");
  EXPECT_EQ(cached(NewestOrder::kModifiedAt)->instance, "{\"value\":4}");
  // Equal instants: the later datasetId wins, as lastN=1 decides.
  write({appending({sample(6000, std::nullopt, "5", "urn:b")})}, 11);
  EXPECT_EQ(cached(NewestOrder::kObservedAt)->instance, "{\"value\":5}");
}

TEST_F(NewestSampleCacheTest, AKnownEmptyAttributeLearnsItsFirstSample) {
  fill(NewestOrder::kObservedAt, std::nullopt);
  EXPECT_FALSE(cached(NewestOrder::kObservedAt));
  write({appending({sample(100, 50, "1")})}, 3);
  EXPECT_EQ(cached(NewestOrder::kObservedAt)->instance, "{\"value\":1}");
}

TEST_F(NewestSampleCacheTest, ErasuresEditsAndRepeatedIdentitiesForgetTheEntity) {
  auto filled = [&] {
    fill(NewestOrder::kObservedAt, sample(100, 50, "1"));
    return cache.find(key, kLevel, NewestOrder::kObservedAt).newest.has_value();
  };
  ASSERT_TRUE(filled());
  Change erasing = Change::history_only("urn:e");
  erasing.erase_history.push_back(HistoryErase{kLevel, std::nullopt, std::nullopt, 60});
  write({erasing}, 4);
  EXPECT_FALSE(cache.find(key, kLevel, NewestOrder::kObservedAt).newest);

  ASSERT_TRUE(filled());
  HistorySample edit = sample(100, 10, "0");
  edit.sequence = 1;  // overwrites a recorded sample
  write({appending({edit})}, 5);
  EXPECT_FALSE(cache.find(key, kLevel, NewestOrder::kObservedAt).newest);

  ASSERT_TRUE(filled());
  // Two appends with one identity in one write: the database keeps only the second.
  write({appending({sample(400, 90, "a")}), appending({sample(400, 80, "b")})}, 6);
  EXPECT_FALSE(cache.find(key, kLevel, NewestOrder::kObservedAt).newest);
}

TEST_F(NewestSampleCacheTest, AFillAfterAnOverlappingWriteIsRefused) {
  auto lookup = cache.find(key, kLevel, NewestOrder::kObservedAt);
  // A write ends while the reader walks a database that may not hold it yet.
  write({appending({sample(500, 500, "new")})}, 8);
  cache.fill(key, kLevel, NewestOrder::kObservedAt, sample(100, 100, "old"), lookup.ticket);
  EXPECT_FALSE(cache.find(key, kLevel, NewestOrder::kObservedAt).newest);
}

TEST_F(NewestSampleCacheTest, AWritePlannedBeforeAFillDropsWhatTheFillLeft) {
  // Planned while the cache held nothing of the entity; a reader fills meanwhile from a
  // database without the write; the write's end drops that entry.
  std::vector<Change> changes{appending({sample(500, 500, "new")})};
  auto updates = cache.plan("", changes);
  fill(NewestOrder::kObservedAt, sample(100, 100, "old"));
  for (const NewestUpdate& update : updates) cache.apply(update, 12);
  EXPECT_FALSE(cache.find(key, kLevel, NewestOrder::kObservedAt).newest);
}

TEST_F(NewestSampleCacheTest, BoundedByItsCapacity) {
  NewestSampleCache small(32 * 600);  // about one entity per shard
  for (int i = 0; i < 500; ++i) {
    std::string entity = NewestSampleCache::entity_key("", "urn:e" + std::to_string(i));
    auto lookup = small.find(entity, kLevel, NewestOrder::kObservedAt);
    small.fill(entity, kLevel, NewestOrder::kObservedAt, sample(1, 1, std::string(200, '7')),
               lookup.ticket);
  }
  EXPECT_LE(small.bytes(), 32u * 600u);
  EXPECT_GT(small.bytes(), 0u);
  NewestSampleCache off(0);
  EXPECT_FALSE(off.enabled());
  EXPECT_TRUE(off.plan("", std::vector<Change>{appending({sample(1, 1, "1")})}).empty());
}

}  // namespace
}  // namespace citytwin::store::kv
