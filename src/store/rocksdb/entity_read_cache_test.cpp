#include "entity_read_cache.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace citytwin::store::kv {
namespace {

void read_through(EntityReadCache& cache, const std::string& key, const std::string& value) {
  auto lookup = cache.find(key);
  ASSERT_FALSE(lookup.value);
  cache.fill(key, value, lookup.ticket);
}

TEST(EntityReadCache, MissThenFillThenHit) {
  EntityReadCache cache(1 << 20);
  read_through(cache, "k1", "document one");
  auto hit = cache.find("k1");
  ASSERT_TRUE(hit.value);
  EXPECT_EQ(*hit.value, "document one");
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_GT(cache.bytes(), 0u);
}

TEST(EntityReadCache, AWriteRemovesTheEntryUntilItEnds) {
  EntityReadCache cache(1 << 20);
  read_through(cache, "k1", "old");
  cache.begin_write("k1");
  EXPECT_FALSE(cache.find("k1").value);
  EXPECT_EQ(cache.bytes(), 0u);
  // While the write is on its way, a reader's fill is refused: another reader may already
  // have seen the new value in the database, and this one may hold the old one.
  read_through(cache, "k1", "old or new");
  EXPECT_FALSE(cache.find("k1").value);
  cache.end_write("k1");
  read_through(cache, "k1", "new");
  EXPECT_EQ(*cache.find("k1").value, "new");
}

TEST(EntityReadCache, OverlappingWritesOfOneKeyKeepItOutUntilTheLastEnds) {
  EntityReadCache cache(1 << 20);
  cache.begin_write("k1");
  cache.begin_write("k1");
  cache.end_write("k1");
  read_through(cache, "k1", "between the two");
  EXPECT_FALSE(cache.find("k1").value);
  cache.end_write("k1");
  read_through(cache, "k1", "after both");
  EXPECT_TRUE(cache.find("k1").value);
}

// Write-through: the value a write put is what the database holds once the write ends, so
// the next read of the key (the next PATCH's read-modify-write) needs no database lookup.
TEST(EntityReadCache, AnEndedWriteLeavesTheValueItWrote) {
  EntityReadCache cache(1 << 20);
  read_through(cache, "k1", "old");
  cache.begin_write("k1");
  EXPECT_FALSE(cache.find("k1").value);
  cache.end_write("k1", "new");
  auto hit = cache.find("k1");
  ASSERT_TRUE(hit.value);
  EXPECT_EQ(*hit.value, "new");
}

TEST(EntityReadCache, ADeletionLeavesNothing) {
  EntityReadCache cache(1 << 20);
  read_through(cache, "k1", "old");
  cache.begin_write("k1");
  cache.end_write("k1");  // a delete writes no value
  EXPECT_FALSE(cache.find("k1").value);
}

// Of two overlapping writes of one key, the first to end may be older than what the database
// already holds (both in one group): only the last one's value is cached.
TEST(EntityReadCache, OnlyTheLastOfOverlappingWritesLeavesItsValue) {
  EntityReadCache cache(1 << 20);
  cache.begin_write("k1");
  cache.begin_write("k1");
  cache.end_write("k1", "first");
  EXPECT_FALSE(cache.find("k1").value);
  cache.end_write("k1", "second");
  auto hit = cache.find("k1");
  ASSERT_TRUE(hit.value);
  EXPECT_EQ(*hit.value, "second");
}

// A reader that missed before a write and fills after it still loses: the written value stays.
TEST(EntityReadCache, AStaleFillDoesNotReplaceAWrittenValue) {
  EntityReadCache cache(1 << 20);
  auto lookup = cache.find("k1");
  cache.begin_write("k1");
  cache.end_write("k1", "written");
  cache.fill("k1", "read before the write", lookup.ticket);
  EXPECT_EQ(*cache.find("k1").value, "written");
}

TEST(EntityReadCache, AWrittenValueEndsAQuietEpoch) {
  EntityReadCache cache(1 << 20);
  auto before = cache.since();
  cache.begin_write("k1");
  cache.end_write("k1", "v");
  EXPECT_FALSE(cache.quiet(before));
  EXPECT_TRUE(cache.quiet(cache.since()));
}

TEST(EntityReadCache, WritesThroughADisabledCacheLeaveNothing) {
  EntityReadCache cache(0);
  cache.begin_write("k1");
  cache.end_write("k1", "v");
  EXPECT_FALSE(cache.find("k1").value);
  EXPECT_EQ(cache.bytes(), 0u);
}

// A reader that read the database before a write must not put its (now stale) value in the
// cache after the write's invalidation: that stale value would be served until evicted.
TEST(EntityReadCache, AFillAfterAnInterveningWriteIsDropped) {
  EntityReadCache cache(1 << 20);
  auto lookup = cache.find("k1");  // miss, ticket taken before the database read
  cache.begin_write("k1");         // a write is queued, reaches the database, ends
  cache.end_write("k1");
  cache.fill("k1", "value read before the write", lookup.ticket);
  EXPECT_FALSE(cache.find("k1").value);
  // A reader starting after the write fills normally.
  read_through(cache, "k1", "new");
  EXPECT_EQ(*cache.find("k1").value, "new");
}

// A read of several keys may mix cached and database documents only if no entity write
// overlapped it: a batch writes several entities atomically.
TEST(EntityReadCache, AnEpochIsQuietOnlyWithoutOverlappingWrites) {
  EntityReadCache cache(1 << 20);
  auto idle = cache.since();
  EXPECT_TRUE(cache.quiet(idle));
  cache.begin_write("c");  // any key: a batch may span every shard
  EXPECT_FALSE(cache.quiet(idle));
  auto during = cache.since();
  cache.end_write("c");
  EXPECT_FALSE(cache.quiet(idle));
  EXPECT_FALSE(cache.quiet(during));  // the write was under way when it started
  auto after = cache.since();
  EXPECT_TRUE(cache.quiet(after));
  cache.begin_write("d");
  cache.end_write("d");
  EXPECT_FALSE(cache.quiet(after));  // began and ended within it
}

TEST(EntityReadCache, ATicketWithoutLookupStillGuardsTheFill) {
  EntityReadCache cache(1 << 20);
  const std::uint64_t ticket = cache.ticket("k1");
  cache.begin_write("k1");
  cache.end_write("k1");
  cache.fill("k1", "stale", ticket);
  EXPECT_FALSE(cache.find("k1").value);
  cache.fill("k1", "fresh", cache.ticket("k1"));
  EXPECT_EQ(*cache.find("k1").value, "fresh");
}

TEST(EntityReadCache, StaysWithinItsCapacityEvictingTheLeastRecentlyUsed) {
  const std::size_t capacity = 64 * 1024;
  EntityReadCache cache(capacity);
  const std::string value(100, 'x');
  for (int i = 0; i < 5000; ++i) read_through(cache, "key" + std::to_string(i), value);
  EXPECT_LE(cache.bytes(), capacity);
  EXPECT_GT(cache.bytes(), capacity / 2);
  EXPECT_FALSE(cache.find("key0").value);    // long evicted
  EXPECT_TRUE(cache.find("key4999").value);  // the newest stays
}

TEST(EntityReadCache, RecentlyReadEntriesSurviveEviction) {
  // One shard's worth of entries would be hard to aim at; with a capacity that holds a few
  // hundred entries, a key read again before each insert stays while others go.
  EntityReadCache cache(128 * 1024);
  const std::string value(200, 'v');
  read_through(cache, "hot", value);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(cache.find("hot").value) << "evicted after " << i << " inserts";
    read_through(cache, "cold" + std::to_string(i), value);
  }
}

TEST(EntityReadCache, ValuesLargerThanAShardAreNotCached) {
  EntityReadCache cache(32 * 1024);  // 1 KiB per shard
  read_through(cache, "big", std::string(4096, 'b'));
  EXPECT_FALSE(cache.find("big").value);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(EntityReadCache, CapacityZeroDisablesIt) {
  EntityReadCache cache(0);
  EXPECT_FALSE(cache.enabled());
  read_through(cache, "k1", "v");
  EXPECT_FALSE(cache.find("k1").value);
  EXPECT_EQ(cache.misses(), 0u);
}

}  // namespace
}  // namespace citytwin::store::kv
