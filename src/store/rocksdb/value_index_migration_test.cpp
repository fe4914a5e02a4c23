// The value index on databases written before it existed: their entities have format-1 metas
// and no value_index keys, so scan_values must refuse to answer for a tenant until every such
// entity has been rewritten or deleted. The test forges such a database with raw RocksDB.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <rocksdb/db.h>

#include "citytwin/store/rocksdb_store.hpp"
#include "column_families.hpp"
#include "db_options.hpp"
#include "key_codec.hpp"
#include "meta_codec.hpp"
#include "store_test_support.hpp"

namespace citytwin::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::make_record;
using testing::open_store;

constexpr const char* kSensor = "https://example.org/Sensor";
constexpr const char* kTemperature = "https://example.org/temperature";

EntityRecord with_value(std::string id, std::string key) {
  EntityRecord record = make_record(std::move(id), {kSensor}, {kTemperature});
  record.values = {ValueEntry{kTemperature, std::move(key)}};
  return record;
}

void apply_ok(EntityStore& store, std::vector<Change> changes) {
  Status status = store.apply("", changes);
  ASSERT_TRUE(status.ok()) << status.error().detail;
}

ValueScan scan(const EntityStore& store) {
  auto result = store.scan_values("", kTemperature, ValueRange(), 100);
  EXPECT_TRUE(result.ok());
  return result.ok() ? *result : ValueScan{};
}

// Format 1 is format 2 without the trailing value groups (an empty list is one 0 byte).
std::string legacy_meta(const EntityRecord& record) {
  kv::EntityMeta meta = kv::meta_of(record);
  meta.values.clear();
  std::string encoded = kv::encode_meta(meta);
  encoded.pop_back();
  encoded[0] = 1;
  return encoded;
}

// Turns the database at `path` into what the previous version would have written: format-1
// metas, no value keys, no migration marker.
void downgrade(const std::string& path, const std::vector<EntityRecord>& records) {
  RocksDbOptions options;
  options.path = path;
  kv::DbConfig config = kv::make_db_config(options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(config.db, path, config.families, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  auto* values = handles[kv::index_of(kv::Family::kValueIndex)];
  auto* metas = handles[kv::index_of(kv::Family::kEntityMeta)];
  rocksdb::WriteOptions write;
  ASSERT_TRUE(db->DeleteRange(write, values, "", "\xff").ok());
  for (const EntityRecord& record : records) {
    ASSERT_TRUE(db->Put(write, metas, kv::entity_key("", record.id), legacy_meta(record)).ok());
  }
  for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  ASSERT_TRUE(db->Close().ok());
}

TEST(ValueIndexMigration, NewDatabaseAnswersAndPersistsAcrossReopen) {
  testing::TempDir dir;
  {
    auto store = open_store(dir.path());
    ASSERT_NE(store, nullptr);
    apply_ok(*store, {Change::put(with_value("urn:1", "a")), Change::put(with_value("urn:2", "b")),
                      Change::put(with_value("urn:3", "c"))});
    apply_ok(*store, {Change::put(with_value("urn:2", "z")), Change::remove("urn:3")});
  }
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  ValueScan all = scan(*store);
  EXPECT_FALSE(all.truncated);
  EXPECT_THAT(all.ids, ElementsAre("urn:1", "urn:2"));
  auto b = store->scan_values("", kTemperature, ValueRange::exactly("b"), 10);
  ASSERT_TRUE(b.ok());
  EXPECT_THAT(b->ids, IsEmpty());
  auto z = store->scan_values("", kTemperature, ValueRange::exactly("z"), 10);
  ASSERT_TRUE(z.ok());
  EXPECT_THAT(z->ids, ElementsAre("urn:2"));
}

TEST(ValueIndexMigration, OldEntitiesDisableTheIndexUntilRewritten) {
  testing::TempDir dir;
  std::vector<EntityRecord> old{with_value("urn:1", "a"), with_value("urn:2", "b")};
  {
    auto store = open_store(dir.path());
    ASSERT_NE(store, nullptr);
    apply_ok(*store, {Change::put(old[0]), Change::put(old[1])});
  }
  downgrade(dir.path(), old);

  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(scan(*store).truncated);
  // A tenant first written after the upgrade is complete from the start.
  ASSERT_TRUE(
      store->apply("city", std::vector<Change>{Change::put(with_value("urn:c", "a"))}).ok());
  apply_ok(*store, {Change::put(with_value("urn:1", "a"))});
  EXPECT_TRUE(scan(*store).truncated);  // urn:2 still has no value keys
  store.reset();

  store = open_store(dir.path());  // the migration runs once: counters survive the reopen
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(scan(*store).truncated);
  apply_ok(*store, {Change::remove("urn:2")});
  ValueScan all = scan(*store);
  EXPECT_FALSE(all.truncated);
  EXPECT_THAT(all.ids, ElementsAre("urn:1"));
  auto city = store->scan_values("city", kTemperature, ValueRange(), 10);
  ASSERT_TRUE(city.ok());
  EXPECT_FALSE(city->truncated);
  EXPECT_THAT(city->ids, ElementsAre("urn:c"));
}

}  // namespace
}  // namespace citytwin::store
