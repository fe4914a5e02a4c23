#include "write_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "key_codec.hpp"

namespace citytwin::store::kv {
namespace {

EntityRecord record(std::string id, std::vector<ValueEntry> values) {
  EntityRecord out;
  out.id = std::move(id);
  out.types = {"T"};
  out.attributes = {"a", "b"};
  out.values = std::move(values);
  out.document = "{}";
  return out;
}

std::vector<const KvWrite*> of_family(const WritePlan& plan, Family family) {
  std::vector<const KvWrite*> out;
  for (const KvWrite& write : plan.writes) {
    if (write.family == family) out.push_back(&write);
  }
  return out;
}

// The value-index writes of a plan come in key order whatever the order of the entities, so
// that RocksDB inserts them into its memtable one after the other; every delete and put is
// still there, once.
TEST(WritePlan, ValueIndexWritesComeInKeyOrder) {
  std::vector<Change> changes;
  changes.push_back(Change::put(record("urn:z", {{"a", "9"}, {"b", "1"}})));
  changes.push_back(Change::put(record("urn:y", {{"a", "1"}, {"b", "5"}})));
  MetasBefore before;
  before["urn:z"] = meta_of(record("urn:z", {{"a", "2"}, {"b", "1"}}));
  before["urn:y"] = std::nullopt;
  WritePlan plan = plan_apply("t", changes, before);

  auto values = of_family(plan, Family::kValueIndex);
  std::vector<std::string> keys;
  for (const KvWrite* write : values) keys.push_back(write->key);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  std::vector<std::pair<std::string, KvWrite::Op>> expected{
      {value_index_key("t", "a", "1", "urn:y"), KvWrite::Op::kPut},
      {value_index_key("t", "a", "2", "urn:z"), KvWrite::Op::kDelete},
      {value_index_key("t", "a", "9", "urn:z"), KvWrite::Op::kPut},
      {value_index_key("t", "b", "5", "urn:y"), KvWrite::Op::kPut}};
  ASSERT_EQ(values.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(values[i]->key, expected[i].first) << i;
    EXPECT_EQ(values[i]->op, expected[i].second) << i;
  }
  // The entities' documents and metas are all there too.
  EXPECT_EQ(of_family(plan, Family::kEntities).size(), 2u);
  EXPECT_EQ(of_family(plan, Family::kEntityMeta).size(), 2u);
}

}  // namespace
}  // namespace citytwin::store::kv
