// One behavioural suite for every EntityStore implementation (typed test): whatever core
// relies on must hold for the memory store and the RocksDB store alike.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "citytwin/store/memory_store.hpp"
#include "citytwin/store/rocksdb_store.hpp"
#include "store_test_support.hpp"

namespace citytwin::store {
namespace {

using testing::as_pairs;
using ::testing::ElementsAre;
using testing::geo;
using ::testing::IsEmpty;
using testing::make_record;
using ::testing::Pair;
using testing::point;
using testing::scan_all;

constexpr const char* kSensor = "https://uri.fiware.org/ns/dataModels#Sensor";
constexpr const char* kRoom = "https://example.org/Room";
constexpr const char* kLocation = "https://uri.etsi.org/ngsi-ld/location";
constexpr const char* kTemperature = "https://example.org/temperature";
constexpr const char* kHumidity = "https://example.org/humidity";

struct MemoryImplementation {
  std::unique_ptr<EntityStore> open() { return make_memory_store(); }
};

struct RocksDbImplementation {
  testing::TempDir dir;
  std::unique_ptr<EntityStore> open() { return testing::open_store(dir.path()); }
};

// The RocksDB store compacting all of its history into chunks of two samples after every
// write, so every history test also runs against compacted samples: merged reads, range
// reads across chunks, and edits of samples that live in a chunk.
class CompactingStore final : public EntityStore {
 public:
  explicit CompactingStore(std::unique_ptr<EntityStore> inner) : inner_(std::move(inner)) {}

  Status apply(std::string_view tenant, std::span<const Change> changes) override {
    CT_RETURN_IF_ERROR(inner_->apply(tenant, changes));
    return inner_->compact_history();
  }
  Status apply_deferred(std::string_view tenant, std::span<const Change> changes) override {
    CT_RETURN_IF_ERROR(inner_->apply_deferred(tenant, changes));
    return inner_->compact_history();
  }
  Result<std::optional<std::string>> get(std::string_view tenant,
                                         std::string_view id) const override {
    return inner_->get(tenant, id);
  }
  Result<std::vector<std::optional<std::string>>> multi_get(
      std::string_view tenant, std::span<const std::string> ids) const override {
    return inner_->multi_get(tenant, ids);
  }
  Result<std::vector<HistorySample>> history(std::string_view tenant, std::string_view entity,
                                             std::string_view attribute, const HistoryRange& range,
                                             std::size_t limit) const override {
    return inner_->history(tenant, entity, attribute, range, limit);
  }
  Status write_health() const override { return inner_->write_health(); }
  std::uint64_t write_mark() const override { return inner_->write_mark(); }
  void when_durable(std::uint64_t mark, std::function<void(Status)> done) override {
    inner_->when_durable(mark, std::move(done));
  }
  Result<std::optional<std::string>> get_latest(std::string_view tenant,
                                                std::string_view id) const override {
    return inner_->get_latest(tenant, id);
  }
  Result<std::vector<std::optional<std::string>>> multi_get_latest(
      std::string_view tenant, std::span<const std::string> ids) const override {
    return inner_->multi_get_latest(tenant, ids);
  }
  std::unique_ptr<IdCursor> scan(std::string_view tenant,
                                 const IndexSelector& selector) const override {
    return inner_->scan(tenant, selector);
  }
  Result<std::uint64_t> count(std::string_view tenant,
                              const IndexSelector& selector) const override {
    return inner_->count(tenant, selector);
  }
  Result<std::vector<std::string>> ids_in_box(std::string_view tenant,
                                              const BoxQuery& query) const override {
    return inner_->ids_in_box(tenant, query);
  }
  Result<ValueScan> scan_values(std::string_view tenant, std::string_view attribute,
                                const ValueRange& range, std::size_t max_ids) const override {
    return inner_->scan_values(tenant, attribute, range, max_ids);
  }
  bool has_tenant(std::string_view tenant) const override { return inner_->has_tenant(tenant); }
  std::vector<std::string> tenants() const override { return inner_->tenants(); }
  Result<std::vector<TermCount>> type_counts(std::string_view tenant) const override {
    return inner_->type_counts(tenant);
  }
  Result<std::vector<TermCount>> attribute_counts(std::string_view tenant) const override {
    return inner_->attribute_counts(tenant);
  }
  Result<std::vector<std::string>> history_types(std::string_view tenant) const override {
    return inner_->history_types(tenant);
  }
  StoreStats stats() const override { return inner_->stats(); }
  Status compact_history() override { return inner_->compact_history(); }
  Status put_document(std::string_view ns, std::string_view key, std::string_view value) override {
    return inner_->put_document(ns, key, value);
  }
  Status delete_document(std::string_view ns, std::string_view key) override {
    return inner_->delete_document(ns, key);
  }
  Result<std::optional<std::string>> get_document(std::string_view ns,
                                                  std::string_view key) const override {
    return inner_->get_document(ns, key);
  }
  Result<std::vector<std::pair<std::string, std::string>>> list_documents(
      std::string_view ns) const override {
    return inner_->list_documents(ns);
  }

 private:
  std::unique_ptr<EntityStore> inner_;
};

struct RocksDbCompactingImplementation {
  testing::TempDir dir;
  std::unique_ptr<EntityStore> open() {
    RocksDbOptions options;
    options.path = dir.path();
    options.history_compaction.background = false;
    options.history_compaction.min_age = std::chrono::seconds(0);
    options.history_compaction.min_samples = 0;  // same as 1: compact every instance
    options.history_compaction.chunk_samples = 2;
    auto store = open_rocksdb_store(options);
    EXPECT_TRUE(store.ok());
    return store.ok() ? std::make_unique<CompactingStore>(std::move(store).value()) : nullptr;
  }
};

struct ImplementationNames {
  template <class T>
  static std::string GetName(int) {
    if (std::is_same_v<T, MemoryImplementation>) return "Memory";
    return std::is_same_v<T, RocksDbImplementation> ? "RocksDb" : "RocksDbCompacting";
  }
};

template <class Implementation>
class EntityStoreConformance : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(store_, nullptr); }

  void put(std::string_view tenant, EntityRecord record) {
    std::vector<Change> changes{Change::put(std::move(record))};
    Status status = store_->apply(tenant, changes);
    ASSERT_TRUE(status.ok()) << status.error().detail;
  }

  void remove(std::string_view tenant, std::string id) {
    std::vector<Change> changes{Change::remove(std::move(id))};
    ASSERT_TRUE(store_->apply(tenant, changes).ok());
  }

  std::optional<std::string> get(std::string_view tenant, std::string_view id) {
    auto document = store_->get(tenant, id);
    EXPECT_TRUE(document.ok());
    return document.ok() ? *document : std::nullopt;
  }

  std::uint64_t count(std::string_view tenant, const IndexSelector& selector) {
    auto counted = store_->count(tenant, selector);
    EXPECT_TRUE(counted.ok());
    return counted.ok() ? *counted : 0;
  }

  ValueScan values(std::string_view tenant, std::string_view attribute, const ValueRange& range,
                   std::size_t max_ids = 100) {
    auto scan = this->store_->scan_values(tenant, attribute, range, max_ids);
    EXPECT_TRUE(scan.ok()) << (scan.ok() ? "" : scan.error().detail);
    return scan.ok() ? *scan : ValueScan{};
  }

  // The ids of a scan that must not be truncated.
  std::vector<std::string> value_ids(std::string_view tenant, std::string_view attribute,
                                     const ValueRange& range) {
    ValueScan scan = values(tenant, attribute, range);
    EXPECT_FALSE(scan.truncated);
    return scan.ids;
  }

  std::vector<std::string> in_box(std::string_view tenant, std::string_view attribute, Box box,
                                  const std::function<bool(const Box&)>& keep = {},
                                  std::vector<std::string> types = {}) {
    auto ids = store_->ids_in_box(tenant, BoxQuery{attribute, box, types, keep});
    EXPECT_TRUE(ids.ok());
    return ids.ok() ? *ids : std::vector<std::string>();
  }

  Implementation implementation_;
  std::unique_ptr<EntityStore> store_ = implementation_.open();
};

using Implementations =
    ::testing::Types<MemoryImplementation, RocksDbImplementation, RocksDbCompactingImplementation>;
TYPED_TEST_SUITE(EntityStoreConformance, Implementations, ImplementationNames);

TYPED_TEST(EntityStoreConformance, GetOfMissingEntityIsEmpty) {
  EXPECT_EQ(this->get("", "urn:x"), std::nullopt);
}

TYPED_TEST(EntityStoreConformance, PutThenGetReturnsTheDocument) {
  this->put("", make_record("urn:a", {kSensor}, {}, {}, R"({"id":"urn:a","v":1})"));
  EXPECT_EQ(this->get("", "urn:a"), R"({"id":"urn:a","v":1})");
}

TYPED_TEST(EntityStoreConformance, MultiGetKeepsOrderAndReportsGaps) {
  this->put("", make_record("urn:a", {kSensor}));
  this->put("", make_record("urn:c", {kSensor}));
  std::vector<std::string> ids{"urn:c", "urn:b", "urn:a", "urn:c"};
  auto documents = this->store_->multi_get("", ids);
  ASSERT_TRUE(documents.ok());
  EXPECT_THAT(*documents, ElementsAre(R"({"id":"urn:c"})", std::nullopt, R"({"id":"urn:a"})",
                                      R"({"id":"urn:c"})"));
}

TYPED_TEST(EntityStoreConformance, DeleteRemovesDocumentIndexesAndCounts) {
  this->put("", make_record("urn:a", {kSensor}, {kTemperature}, {point(kLocation, 1, 2)}));
  this->remove("", "urn:a");
  EXPECT_EQ(this->get("", "urn:a"), std::nullopt);
  EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::all()), IsEmpty());
  EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::type(kSensor)), IsEmpty());
  EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::attribute(kTemperature)), IsEmpty());
  EXPECT_THAT(this->in_box("", kLocation, Box{-180, -90, 180, 90}), IsEmpty());
  EXPECT_EQ(this->count("", IndexSelector::all()), 0u);
  EXPECT_THAT(*this->store_->type_counts(""), IsEmpty());
  EXPECT_THAT(*this->store_->attribute_counts(""), IsEmpty());
}

TYPED_TEST(EntityStoreConformance, DeleteOfAbsentEntityIsIgnored) {
  this->put("", make_record("urn:a", {kSensor}));
  this->remove("", "urn:zzz");
  EXPECT_EQ(this->count("", IndexSelector::all()), 1u);
}

TYPED_TEST(EntityStoreConformance, BatchAppliesEveryChange) {
  this->put("", make_record("urn:old", {kRoom}));
  std::vector<Change> changes{Change::put(make_record("urn:a", {kSensor})),
                              Change::put(make_record("urn:b", {kSensor, kRoom})),
                              Change::remove("urn:old")};
  ASSERT_TRUE(this->store_->apply("", changes).ok());
  EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::all()), ElementsAre("urn:a", "urn:b"));
  EXPECT_THAT(as_pairs(*this->store_->type_counts("")),
              ElementsAre(Pair(kRoom, 1u), Pair(kSensor, 2u)));
}

TYPED_TEST(EntityStoreConformance, LastChangeOfAnIdInABatchWins) {
  std::vector<Change> put_then_delete{Change::put(make_record("urn:a", {kSensor})),
                                      Change::remove("urn:a")};
  ASSERT_TRUE(this->store_->apply("", put_then_delete).ok());
  EXPECT_EQ(this->get("", "urn:a"), std::nullopt);
  EXPECT_EQ(this->count("", IndexSelector::type(kSensor)), 0u);

  std::vector<Change> twice{Change::put(make_record("urn:b", {kSensor}, {}, {}, "v1")),
                            Change::put(make_record("urn:b", {kRoom}, {}, {}, "v2"))};
  ASSERT_TRUE(this->store_->apply("", twice).ok());
  EXPECT_EQ(this->get("", "urn:b"), "v2");
  EXPECT_THAT(as_pairs(*this->store_->type_counts("")), ElementsAre(Pair(kRoom, 1u)));
}

// A reader racing a writer must never see half a batch.
TYPED_TEST(EntityStoreConformance, ReadersNeverSeeHalfABatch) {
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int version = 0; version < 200; ++version) {
      std::string document = std::to_string(version);
      std::vector<Change> changes{Change::put(make_record("urn:a", {kSensor}, {}, {}, document)),
                                  Change::put(make_record("urn:b", {kSensor}, {}, {}, document))};
      EXPECT_TRUE(this->store_->apply("", changes).ok());
    }
    done = true;
  });
  std::vector<std::string> ids{"urn:a", "urn:b"};
  while (!done) {
    auto documents = this->store_->multi_get("", ids);
    ASSERT_TRUE(documents.ok());
    EXPECT_EQ((*documents)[0], (*documents)[1]);
  }
  writer.join();
}

// A spatial search restricted to types finds only entities of one of them, follows a change
// of types that leaves the boxes alone, and counts an entity of two matching types once.
TYPED_TEST(EntityStoreConformance, BoxSearchByType) {
  this->put("", make_record("urn:room", {kRoom}, {kLocation}, {point(kLocation, 1, 1)}));
  this->put("", make_record("urn:both", {kRoom, kSensor}, {kLocation}, {point(kLocation, 2, 2)}));
  for (int i = 0; i < 50; ++i) {  // a crowd of another type at one point
    this->put("", make_record("urn:crowd" + std::to_string(i), {kSensor}, {kLocation},
                              {point(kLocation, 1, 1)}));
  }
  const Box box{0, 0, 3, 3};
  EXPECT_THAT(this->in_box("", kLocation, box, {}, {kRoom}), ElementsAre("urn:both", "urn:room"));
  EXPECT_EQ(this->in_box("", kLocation, box, {}, {kRoom, kSensor}).size(), 52u);
  EXPECT_EQ(this->in_box("", kLocation, box).size(), 52u);
  EXPECT_THAT(this->in_box("", kLocation, box, {}, {"https://example.org/Other"}), IsEmpty());

  // The same box, another type: only the type index and the spatial filing change.
  this->put("", make_record("urn:room", {kSensor}, {kLocation}, {point(kLocation, 1, 1)}));
  EXPECT_THAT(this->in_box("", kLocation, box, {}, {kRoom}), ElementsAre("urn:both"));
  EXPECT_EQ(this->in_box("", kLocation, box, {}, {kSensor}).size(), 52u);

  this->remove("", "urn:both");
  EXPECT_THAT(this->in_box("", kLocation, box, {}, {kRoom}), IsEmpty());
  EXPECT_EQ(this->in_box("", kLocation, box).size(), 51u);
}

TYPED_TEST(EntityStoreConformance, ReplaceMovesIndexEntries) {
  this->put("",
            make_record("urn:a", {kSensor}, {kTemperature, kLocation}, {point(kLocation, 10, 10)}));
  this->put("", make_record("urn:a", {kRoom}, {kHumidity, kLocation}, {point(kLocation, 50, 50)}));

  EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::type(kSensor)), IsEmpty());
  EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::type(kRoom)), ElementsAre("urn:a"));
  EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::attribute(kTemperature)), IsEmpty());
  EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::attribute(kHumidity)),
              ElementsAre("urn:a"));
  EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::attribute(kLocation)),
              ElementsAre("urn:a"));
  EXPECT_THAT(this->in_box("", kLocation, Box{0, 0, 20, 20}), IsEmpty());
  EXPECT_THAT(this->in_box("", kLocation, Box{40, 40, 60, 60}), ElementsAre("urn:a"));
  EXPECT_EQ(this->count("", IndexSelector::all()), 1u);
  EXPECT_THAT(as_pairs(*this->store_->type_counts("")), ElementsAre(Pair(kRoom, 1u)));
  EXPECT_THAT(as_pairs(*this->store_->attribute_counts("")),
              ElementsAre(Pair(kHumidity, 1u), Pair(kLocation, 1u)));
}

TYPED_TEST(EntityStoreConformance, DuplicateTermsCountOnce) {
  this->put("", make_record("urn:a", {kSensor, kSensor}, {kTemperature, kTemperature}));
  EXPECT_EQ(this->count("", IndexSelector::type(kSensor)), 1u);
  EXPECT_THAT(as_pairs(*this->store_->attribute_counts("")), ElementsAre(Pair(kTemperature, 1u)));
  this->remove("", "urn:a");
  EXPECT_EQ(this->count("", IndexSelector::type(kSensor)), 0u);
}

TYPED_TEST(EntityStoreConformance, ScanIsAscendingAndSeeks) {
  for (const char* id : {"urn:m", "urn:b", "urn:z", "urn:a", "urn:q"}) {
    this->put("", make_record(id, {kSensor}));
  }
  this->put("", make_record("urn:room", {kRoom}));
  EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::type(kSensor)),
              ElementsAre("urn:a", "urn:b", "urn:m", "urn:q", "urn:z"));

  auto cursor = this->store_->scan("", IndexSelector::type(kSensor));
  cursor->seek("urn:c");
  EXPECT_THAT(testing::drain(*cursor), ElementsAre("urn:m", "urn:q", "urn:z"));
  cursor->seek("urn:m");
  ASSERT_TRUE(cursor->valid());
  EXPECT_EQ(cursor->id(), "urn:m");
  cursor->seek("urn:zz");
  EXPECT_FALSE(cursor->valid());
  EXPECT_TRUE(cursor->status().ok());

  auto all = this->store_->scan("", IndexSelector::all());
  all->seek("urn:q");
  EXPECT_THAT(testing::drain(*all), ElementsAre("urn:q", "urn:room", "urn:z"));
}

TYPED_TEST(EntityStoreConformance, ScanOfUnknownTermOrTenantIsEmpty) {
  this->put("", make_record("urn:a", {kSensor}));
  EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::type(kRoom)), IsEmpty());
  EXPECT_THAT(scan_all(*this->store_, "nobody", IndexSelector::all()), IsEmpty());
  EXPECT_EQ(this->count("nobody", IndexSelector::type(kSensor)), 0u);
}

// "a" must never see entries of "ab" or "a\0b" (prefix-free key encoding).
TYPED_TEST(EntityStoreConformance, TenantsAreIsolated) {
  const std::string tenants[] = {"a", "ab", std::string("a\0b", 3), ""};
  for (const std::string& tenant : tenants) {
    this->put(tenant, make_record("urn:" + tenant, {kSensor + tenant}, {kTemperature},
                                  {point(kLocation, 1, 1)}));
  }
  for (const std::string& tenant : tenants) {
    SCOPED_TRACE(tenant);
    EXPECT_THAT(scan_all(*this->store_, tenant, IndexSelector::all()),
                ElementsAre("urn:" + tenant));
    EXPECT_THAT(scan_all(*this->store_, tenant, IndexSelector::attribute(kTemperature)),
                ElementsAre("urn:" + tenant));
    std::vector<std::string> plain_sensors;  // only the default tenant's type is exactly kSensor
    if (tenant.empty()) plain_sensors.push_back("urn:");
    EXPECT_EQ(scan_all(*this->store_, tenant, IndexSelector::type(kSensor)), plain_sensors);
    EXPECT_EQ(this->count(tenant, IndexSelector::all()), 1u);
    EXPECT_THAT(as_pairs(*this->store_->type_counts(tenant)),
                ElementsAre(Pair(kSensor + tenant, 1u)));
    EXPECT_THAT(this->in_box(tenant, kLocation, Box{0, 0, 2, 2}), ElementsAre("urn:" + tenant));
    for (const std::string& other : tenants) {
      if (other == tenant) continue;
      EXPECT_EQ(this->get(tenant, "urn:" + other), std::nullopt);
    }
  }
}

// Terms that share a prefix ("T" and "T2", "T\0x") must not bleed into each other either.
TYPED_TEST(EntityStoreConformance, TermsWithSharedPrefixesAreSeparate) {
  const std::string types[] = {"T", "T2", std::string("T\0x", 3)};
  for (const std::string& type : types) this->put("", make_record("urn:" + type, {type}));
  for (const std::string& type : types) {
    EXPECT_THAT(scan_all(*this->store_, "", IndexSelector::type(type)), ElementsAre("urn:" + type));
    EXPECT_EQ(this->count("", IndexSelector::type(type)), 1u);
  }
}

TYPED_TEST(EntityStoreConformance, IdsAreArbitraryBytesInByteOrder) {
  const std::string ids[] = {std::string("x\0", 2), std::string("x\0\x01", 3), "x\xff", "x",
                             std::string("x\x01\0", 3)};
  for (const std::string& id : ids) {
    this->put("", make_record(id, {kSensor}, {}, {point(kLocation, 0, 0)}, "doc:" + id));
  }
  std::vector<std::string> sorted(std::begin(ids), std::end(ids));
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(scan_all(*this->store_, "", IndexSelector::all()), sorted);
  EXPECT_EQ(scan_all(*this->store_, "", IndexSelector::type(kSensor)), sorted);
  EXPECT_EQ(this->in_box("", kLocation, Box{-1, -1, 1, 1}), sorted);
  for (const std::string& id : ids) EXPECT_EQ(this->get("", id), "doc:" + id);
}

TYPED_TEST(EntityStoreConformance, CountIsExact) {
  std::vector<Change> changes;
  for (int i = 0; i < 150; ++i) {
    changes.push_back(Change::put(
        make_record("urn:" + std::to_string(i), {i % 3 == 0 ? kRoom : kSensor}, {kTemperature})));
  }
  ASSERT_TRUE(this->store_->apply("", changes).ok());
  EXPECT_EQ(this->count("", IndexSelector::all()), 150u);
  EXPECT_EQ(this->count("", IndexSelector::type(kRoom)), 50u);
  EXPECT_EQ(this->count("", IndexSelector::type(kSensor)), 100u);
  EXPECT_EQ(this->count("", IndexSelector::attribute(kTemperature)), 150u);
  EXPECT_EQ(this->count("", IndexSelector::attribute(kHumidity)), 0u);
}

TYPED_TEST(EntityStoreConformance, IdsInBoxMatchesIntersectingBoxesOfTheAttribute) {
  this->put("", make_record("urn:p", {kSensor}, {}, {point(kLocation, 5, 5)}));
  this->put("", make_record("urn:edge", {kSensor}, {}, {point(kLocation, 10, 10)}));
  this->put("", make_record("urn:area", {kSensor}, {}, {geo(kLocation, 8, -5, 30, 2)}));
  this->put("", make_record("urn:far", {kSensor}, {}, {point(kLocation, 100, 50)}));
  this->put("", make_record("urn:other-attr", {kSensor}, {}, {point("https://x/observed", 5, 5)}));
  // Two instances of the attribute (multi-attribute, different datasetIds) hitting the box: the
  // id comes back once.
  this->put("",
            make_record("urn:two", {kSensor}, {},
                        {point(kLocation, 1, 1), point(kLocation, 2, 2), point(kLocation, 90, 0)}));

  EXPECT_THAT(this->in_box("", kLocation, Box{0, 0, 10, 10}),
              ElementsAre("urn:area", "urn:edge", "urn:p", "urn:two"));
  EXPECT_THAT(this->in_box("", kLocation, Box{89, -1, 101, 60}), ElementsAre("urn:far", "urn:two"));
  EXPECT_THAT(this->in_box("", "https://x/observed", Box{0, 0, 10, 10}),
              ElementsAre("urn:other-attr"));
  EXPECT_THAT(this->in_box("", kLocation, Box{-50, -50, -40, -40}), IsEmpty());
  EXPECT_THAT(this->in_box("", "https://x/unknown", Box{0, 0, 10, 10}), IsEmpty());

  // A filter sees each hit's own box: one instance of urn:two passing is enough.
  auto below_three = [](const Box& own) { return own.max_x < 3; };
  EXPECT_THAT(this->in_box("", kLocation, Box{0, 0, 10, 10}, below_three), ElementsAre("urn:two"));
  auto areas_only = [](const Box& own) { return own.min_x != own.max_x; };
  EXPECT_THAT(this->in_box("", kLocation, Box{0, 0, 10, 10}, areas_only), ElementsAre("urn:area"));
}

TYPED_TEST(EntityStoreConformance, TypeAndAttributeCountsAreSortedAndSkipUnused) {
  this->put("", make_record("urn:1", {kSensor}, {kTemperature, kHumidity}));
  this->put("", make_record("urn:2", {kSensor, kRoom}, {kTemperature}));
  this->put("", make_record("urn:3", {kRoom}, {}));
  this->remove("", "urn:3");
  EXPECT_THAT(as_pairs(*this->store_->type_counts("")),
              ElementsAre(Pair(kRoom, 1u), Pair(kSensor, 2u)));
  EXPECT_THAT(as_pairs(*this->store_->attribute_counts("")),
              ElementsAre(Pair(kHumidity, 1u), Pair(kTemperature, 2u)));
  EXPECT_THAT(*this->store_->type_counts("other"), IsEmpty());
}

TYPED_TEST(EntityStoreConformance, TenantExistsOnceWrittenTo) {
  EXPECT_FALSE(this->store_->has_tenant(""));
  EXPECT_THAT(this->store_->tenants(), IsEmpty());
  ASSERT_TRUE(this->store_->apply("empty", {}).ok());
  EXPECT_FALSE(this->store_->has_tenant("empty"));

  this->put("", make_record("urn:a", {kSensor}));
  this->put("city", make_record("urn:a", {kSensor}));
  this->remove("city", "urn:a");  // a tenant stays once created, even when emptied
  EXPECT_TRUE(this->store_->has_tenant(""));
  EXPECT_TRUE(this->store_->has_tenant("city"));
  EXPECT_FALSE(this->store_->has_tenant("cit"));
  EXPECT_THAT(this->store_->tenants(), ElementsAre("", "city"));
}

TYPED_TEST(EntityStoreConformance, DocumentsOfAChangeAreWrittenWithIt) {
  std::vector<Change> changes{Change::put(make_record("urn:a", {kSensor}, {}, {}, "{}")),
                              Change::remove("urn:absent")};
  changes[0].documents.push_back(DocumentWrite{"outbox", "k1", "first"});
  changes[1].documents.push_back(DocumentWrite{"outbox", "k2", "second"});
  ASSERT_TRUE(this->store_->apply("t", changes).ok());
  auto listed = this->store_->list_documents("outbox");
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, ElementsAre(std::pair<std::string, std::string>("k1", "first"),
                                   std::pair<std::string, std::string>("k2", "second")));
  EXPECT_EQ(this->get("t", "urn:a"), "{}");
}

TYPED_TEST(EntityStoreConformance, DeleteDocumentsRemovesEveryKeyGiven) {
  auto& store = *this->store_;
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(store.put_document("ns", key, key).ok());
  std::vector<std::string> keys{"a", "c", "missing"};
  ASSERT_TRUE(store.delete_documents("ns", keys).ok());
  auto listed = store.list_documents("ns");
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, ElementsAre(std::pair<std::string, std::string>("b", "b")));
}

TYPED_TEST(EntityStoreConformance, WriteDocumentsPutsAndDeletesAcrossNamespaces) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.put_document("one", "old", "x").ok());
  std::vector<DocumentChange> changes{{"one", "old", std::nullopt},
                                      {"one", "new", "1"},
                                      {"two", std::string("a\0b", 3), "2"},
                                      {"two", "missing", std::nullopt}};
  ASSERT_TRUE(store.write_documents(changes).ok());
  EXPECT_THAT(*store.list_documents("one"),
              ElementsAre(std::pair<std::string, std::string>("new", "1")));
  EXPECT_THAT(*store.list_documents("two"),
              ElementsAre(std::pair<std::string, std::string>(std::string("a\0b", 3), "2")));
}

TYPED_TEST(EntityStoreConformance, DocumentsAreGroupedByNamespace) {
  EntityStore& store = *this->store_;
  ASSERT_TRUE(store.put_document("contexts", "https://b", "B").ok());
  ASSERT_TRUE(store.put_document("contexts", "https://a", "A").ok());
  ASSERT_TRUE(store.put_document("contextsX", "https://c", "C").ok());
  ASSERT_TRUE(store.put_document("subscriptions", std::string("t\0urn:s1", 8), "S").ok());
  ASSERT_TRUE(store.put_document("contexts", "https://a", "A2").ok());

  EXPECT_EQ(*store.get_document("contexts", "https://a"), "A2");
  EXPECT_EQ(*store.get_document("contexts", "https://c"), std::nullopt);
  EXPECT_THAT(*store.list_documents("contexts"),
              ElementsAre(Pair("https://a", "A2"), Pair("https://b", "B")));
  EXPECT_THAT(*store.list_documents("subscriptions"),
              ElementsAre(Pair(std::string("t\0urn:s1", 8), "S")));

  ASSERT_TRUE(store.delete_document("contexts", "https://a").ok());
  ASSERT_TRUE(store.delete_document("contexts", "https://missing").ok());
  EXPECT_EQ(*store.get_document("contexts", "https://a"), std::nullopt);
  EXPECT_THAT(*store.list_documents("contexts"), ElementsAre(Pair("https://b", "B")));
  EXPECT_THAT(*store.list_documents("none"), IsEmpty());
  // Documents are not entities and create no tenant.
  EXPECT_THAT(store.tenants(), IsEmpty());
}

TYPED_TEST(EntityStoreConformance, DocumentRangesAndBatchedDocumentWrites) {
  EntityStore& store = *this->store_;
  std::vector<DocumentChange> puts{{"rows",
                                    "e1\x1f"
                                    "2",
                                    "b"},
                                   {"rows",
                                    "e1\x1f"
                                    "1",
                                    "a"},
                                   {"rows",
                                    "e2\x1f"
                                    "1",
                                    "c"},
                                   {"rowsX",
                                    "e1\x1f"
                                    "3",
                                    "x"}};
  ASSERT_TRUE(store.write_documents(puts).ok());
  EXPECT_THAT(*store.documents_between("rows", "e1\x1f", "e1\x20"), ElementsAre(Pair("e1\x1f"
                                                                                     "1",
                                                                                     "a"),
                                                                                Pair("e1\x1f"
                                                                                     "2",
                                                                                     "b")));
  EXPECT_THAT(*store.documents_between("rows",
                                       "e1\x1f"
                                       "2",
                                       "e2\x1f"
                                       "1"),
              ElementsAre(Pair("e1\x1f"
                               "2",
                               "b")));
  std::vector<DocumentChange> more{{"rows", "e3", "d"},
                                   {"rows",
                                    "e1\x1f"
                                    "1",
                                    std::nullopt},
                                   {"rows", "missing", std::nullopt}};
  ASSERT_TRUE(store.write_documents(more).ok());
  EXPECT_THAT(*store.documents_between("rows", "", "f"), ElementsAre(Pair("e1\x1f"
                                                                          "2",
                                                                          "b"),
                                                                     Pair("e2\x1f"
                                                                          "1",
                                                                          "c"),
                                                                     Pair("e3", "d")));
  EXPECT_THAT(*store.documents_between("rowsX", "", "f"), ElementsAre(Pair("e1\x1f"
                                                                           "3",
                                                                           "x")));
}

TYPED_TEST(EntityStoreConformance, StatsCountEntitiesPerTenant) {
  this->put("", make_record("urn:a", {kSensor}));
  this->put("", make_record("urn:b", {kSensor}));
  this->put("city", make_record("urn:a", {kSensor}));
  StoreStats stats = this->store_->stats();
  EXPECT_EQ(stats.entities, 3u);
  EXPECT_THAT(as_pairs(stats.per_tenant), ElementsAre(Pair("", 2u), Pair("city", 1u)));
}

TYPED_TEST(EntityStoreConformance, RejectsInvalidChangesWithoutWritingAnything) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<Change> bad_box{
      Change::put(make_record("urn:ok", {kSensor})),
      Change::put(make_record("urn:bad", {kSensor}, {}, {geo(kLocation, nan, 0, 1, 1)}))};
  Status status = this->store_->apply("", bad_box);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kBadRequestData);

  std::vector<Change> inverted{
      Change::put(make_record("urn:x", {kSensor}, {}, {geo(kLocation, 5, 5, 1, 1)}))};
  EXPECT_FALSE(this->store_->apply("", inverted).ok());
  std::vector<Change> empty_id{Change::remove("")};
  EXPECT_FALSE(this->store_->apply("", empty_id).ok());

  EXPECT_EQ(this->get("", "urn:ok"), std::nullopt);
  EXPECT_FALSE(this->store_->has_tenant(""));
}

// Writers racing on distinct and on shared entities leave indexes and counts consistent
// with the final records.
TYPED_TEST(EntityStoreConformance, ConcurrentWritersKeepIndexesConsistent) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 40;
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string type = "T" + std::to_string(t);
        std::vector<Change> changes{
            Change::put(make_record("urn:" + std::to_string(t) + ":" + std::to_string(i), {type},
                                    {}, {point(kLocation, t, i)})),
            Change::put(make_record("urn:shared", {type}, {}, {point(kLocation, 100 + t, 0)}))};
        EXPECT_TRUE(this->store_->apply("", changes).ok());
      }
    });
  }
  for (std::thread& writer : writers) writer.join();

  EXPECT_EQ(this->count("", IndexSelector::all()), kThreads * kPerThread + 1u);
  std::uint64_t typed = 0;
  for (int t = 0; t < kThreads; ++t) {
    IndexSelector type = IndexSelector::type("T" + std::to_string(t));
    std::uint64_t counted = this->count("", type);
    EXPECT_EQ(counted, scan_all(*this->store_, "", type).size());
    typed += counted;
  }
  EXPECT_EQ(typed, kThreads * kPerThread + 1u);  // urn:shared has exactly one type left
  EXPECT_THAT(this->in_box("", kLocation, Box{99, -1, 200, 1}), ElementsAre("urn:shared"));
}

EntityRecord with_values(EntityRecord record, std::vector<ValueEntry> values) {
  record.values = std::move(values);
  return record;
}

ValueRange between(std::string lower, bool lower_inclusive, std::optional<std::string> upper,
                   bool upper_inclusive) {
  return ValueRange{std::move(lower), lower_inclusive, std::move(upper), upper_inclusive};
}

// Value keys are opaque bytes to the store; single letters and NUL-bearing strings stand in
// for core's encodings here.
std::vector<Change> value_sample() {
  return {
      Change::put(with_values(make_record("urn:a", {kSensor}), {{kTemperature, "b"}})),
      Change::put(with_values(make_record("urn:b", {kSensor}), {{kTemperature, "d"}})),
      Change::put(with_values(make_record("urn:c", {kSensor}),
                              {{kTemperature, "a"}, {kTemperature, "f"}, {kHumidity, "d"}})),
      Change::put(with_values(make_record("urn:d", {kSensor}), {{kTemperature, "f"}})),
      Change::put(make_record("urn:e", {kSensor})),
  };
}

TYPED_TEST(EntityStoreConformance, ScanValuesHonoursBoundsAndSortsIds) {
  ASSERT_TRUE(this->store_->apply("", value_sample()).ok());
  const ValueRange everything;
  EXPECT_THAT(this->value_ids("", kTemperature, everything),
              ElementsAre("urn:a", "urn:b", "urn:c", "urn:d"));  // urn:c once, not twice
  EXPECT_THAT(this->value_ids("", kTemperature, between("b", true, "d", true)),
              ElementsAre("urn:a", "urn:b"));
  EXPECT_THAT(this->value_ids("", kTemperature, between("b", false, "d", true)),
              ElementsAre("urn:b"));
  EXPECT_THAT(this->value_ids("", kTemperature, between("b", true, "d", false)),
              ElementsAre("urn:a"));
  EXPECT_THAT(this->value_ids("", kTemperature, between("b", false, "d", false)), IsEmpty());
  EXPECT_THAT(this->value_ids("", kTemperature, between("c", true, std::nullopt, true)),
              ElementsAre("urn:b", "urn:c", "urn:d"));
  EXPECT_THAT(this->value_ids("", kTemperature, between("", true, "b", false)),
              ElementsAre("urn:c"));
  EXPECT_THAT(this->value_ids("", kTemperature, ValueRange::exactly("f")),
              ElementsAre("urn:c", "urn:d"));
  EXPECT_THAT(this->value_ids("", kTemperature, ValueRange::exactly("e")), IsEmpty());
  EXPECT_THAT(this->value_ids("", kTemperature, between("e", true, "c", true)), IsEmpty());
  EXPECT_THAT(this->value_ids("", kHumidity, everything), ElementsAre("urn:c"));
  EXPECT_THAT(this->value_ids("", "https://example.org/unknown", everything), IsEmpty());
}

// Keys that are prefixes of each other or hold NUL bytes keep byte order and stay apart.
TYPED_TEST(EntityStoreConformance, ScanValuesKeepsByteOrderOfArbitraryKeys) {
  const std::string keys[] = {"a", std::string("a\0", 2), std::string("a\0\x01", 3), "ab", "a\xff",
                              ""};
  for (const std::string& key : keys) {
    this->put("", with_values(make_record("urn:" + key, {kSensor}), {{kTemperature, key}}));
  }
  for (const std::string& key : keys) {
    SCOPED_TRACE(key);
    EXPECT_THAT(this->value_ids("", kTemperature, ValueRange::exactly(key)),
                ElementsAre("urn:" + key));
    std::vector<std::string> above;
    for (const std::string& other : keys) {
      if (other > key) above.push_back("urn:" + other);
    }
    std::sort(above.begin(), above.end());
    EXPECT_EQ(this->value_ids("", kTemperature, between(key, false, std::nullopt, true)), above);
  }
}

TYPED_TEST(EntityStoreConformance, ReplaceAndDeleteRemoveStaleValueKeys) {
  ASSERT_TRUE(this->store_->apply("", value_sample()).ok());
  this->put("", with_values(make_record("urn:c", {kSensor}), {{kTemperature, "b"}}));
  this->remove("", "urn:a");
  this->put("", make_record("urn:d", {kSensor}));  // no values any more
  EXPECT_THAT(this->value_ids("", kTemperature, ValueRange::exactly("f")), IsEmpty());
  EXPECT_THAT(this->value_ids("", kTemperature, ValueRange::exactly("a")), IsEmpty());
  EXPECT_THAT(this->value_ids("", kTemperature, ValueRange::exactly("b")), ElementsAre("urn:c"));
  EXPECT_THAT(this->value_ids("", kHumidity, ValueRange()), IsEmpty());
  EXPECT_THAT(this->value_ids("", kTemperature, ValueRange()), ElementsAre("urn:b", "urn:c"));
}

TYPED_TEST(EntityStoreConformance, LastChangeOfAnIdInABatchDecidesItsValueKeys) {
  std::vector<Change> changes{
      Change::put(with_values(make_record("urn:a", {kSensor}), {{kTemperature, "x"}})),
      Change::put(with_values(make_record("urn:a", {kSensor}), {{kTemperature, "y"}})),
      Change::put(with_values(make_record("urn:b", {kSensor}), {{kTemperature, "x"}})),
      Change::remove("urn:b")};
  ASSERT_TRUE(this->store_->apply("", changes).ok());
  EXPECT_THAT(this->value_ids("", kTemperature, ValueRange()), ElementsAre("urn:a"));
  EXPECT_THAT(this->value_ids("", kTemperature, ValueRange::exactly("y")), ElementsAre("urn:a"));
}

TYPED_TEST(EntityStoreConformance, DuplicateValueEntriesCountOnce) {
  this->put("", with_values(make_record("urn:a", {kSensor}),
                            {{kTemperature, "x"}, {kTemperature, "x"}, {kHumidity, "x"}}));
  EXPECT_THAT(this->value_ids("", kTemperature, ValueRange()), ElementsAre("urn:a"));
  this->put("", with_values(make_record("urn:a", {kSensor}), {{kHumidity, "x"}}));
  EXPECT_THAT(this->value_ids("", kTemperature, ValueRange()), IsEmpty());
  EXPECT_THAT(this->value_ids("", kHumidity, ValueRange()), ElementsAre("urn:a"));
}

TYPED_TEST(EntityStoreConformance, ValueIndexIsPerTenant) {
  const std::string tenants[] = {"a", "ab", std::string("a\0b", 3), ""};
  for (const std::string& tenant : tenants) {
    this->put(tenant, with_values(make_record("urn:" + tenant, {kSensor}), {{kTemperature, "v"}}));
  }
  for (const std::string& tenant : tenants) {
    SCOPED_TRACE(tenant);
    EXPECT_THAT(this->value_ids(tenant, kTemperature, ValueRange()), ElementsAre("urn:" + tenant));
  }
  EXPECT_THAT(this->value_ids("nobody", kTemperature, ValueRange()), IsEmpty());
}

TYPED_TEST(EntityStoreConformance, ScanValuesTruncatesBeyondMaxIds) {
  std::vector<Change> changes;
  for (int i = 0; i < 10; ++i) {
    // Two keys per entity: truncation counts distinct ids, not keys.
    changes.push_back(Change::put(with_values(
        make_record("urn:" + std::to_string(i), {kSensor}),
        {{kTemperature, "k" + std::to_string(i)}, {kTemperature, "k" + std::to_string(i) + "b"}})));
  }
  ASSERT_TRUE(this->store_->apply("", changes).ok());
  ValueScan exact = this->values("", kTemperature, ValueRange(), 10);
  EXPECT_FALSE(exact.truncated);
  EXPECT_EQ(exact.ids.size(), 10u);
  ValueScan cut = this->values("", kTemperature, ValueRange(), 9);
  EXPECT_TRUE(cut.truncated);
  EXPECT_LE(cut.ids.size(), 9u);
  EXPECT_TRUE(std::is_sorted(cut.ids.begin(), cut.ids.end()));
  EXPECT_TRUE(this->values("", kTemperature, ValueRange(), 0).truncated);
  EXPECT_FALSE(this->values("", kTemperature, ValueRange::exactly("k3"), 1).truncated);
}

// --- history -----------------------------------------------------------------------------

HistorySample sample(std::string attribute, std::string dataset, std::int64_t at,
                     std::string instance) {
  HistorySample out;
  out.attribute = std::move(attribute);
  out.dataset_id = std::move(dataset);
  out.modified_at = at;
  out.instance = std::move(instance);
  return out;
}

// Reads history with the sequence numbers cleared: they are the store's to choose.
std::vector<HistorySample> read_history(const EntityStore& store, std::string_view entity,
                                        std::string_view attribute, const HistoryRange& range,
                                        std::size_t limit) {
  auto samples = store.history("t", entity, attribute, range, limit);
  EXPECT_TRUE(samples.ok());
  if (!samples.ok()) return {};
  for (auto& sample : *samples) {
    EXPECT_NE(sample.sequence, 0u);
    sample.sequence = 0;
  }
  return std::move(*samples);
}

TYPED_TEST(EntityStoreConformance, HistoryIsAppendedWithTheChangeAndReadByAttributeAndRange) {
  auto& store = *this->store_;
  Change first = Change::put(make_record("urn:1", {kSensor}, {kTemperature}));
  first.history = {sample(kTemperature, "", 100, "{\"value\":1}"),
                   sample(kHumidity, "", 100, "{\"value\":50}")};
  ASSERT_TRUE(store.apply("t", std::span<const Change>(&first, 1)).ok());
  Change second = Change::put(make_record("urn:1", {kSensor}, {kTemperature}));
  HistorySample observed = sample(kTemperature, "", 200, "{\"value\":2}");
  observed.observed_at = -5;  // before the epoch: signed instants keep their order
  HistorySample other_dataset = sample(kTemperature, "urn:d", 150, "{\"value\":9}");
  second.history = {observed, other_dataset};
  ASSERT_TRUE(store.apply("t", std::span<const Change>(&second, 1)).ok());
  Change gone = Change::remove("urn:1");
  HistorySample deletion = sample(kTemperature, "", 300, "");
  deletion.deleted = true;
  gone.history = {deletion};
  ASSERT_TRUE(store.apply("t", std::span<const Change>(&gone, 1)).ok());

  auto all = read_history(store, "urn:1", "", HistoryRange{}, 100);
  // By attribute, dataset id, then time; the history outlives the entity.
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0], sample(kHumidity, "", 100, "{\"value\":50}"));
  EXPECT_EQ(all[1], sample(kTemperature, "", 100, "{\"value\":1}"));
  EXPECT_EQ(all[2], observed);
  EXPECT_EQ(all[3], deletion);
  EXPECT_EQ(all[4], other_dataset);

  EXPECT_THAT(read_history(store, "urn:1", kTemperature, HistoryRange{150, 300}, 100),
              ElementsAre(observed, other_dataset));
  EXPECT_THAT(read_history(store, "urn:1", kHumidity, HistoryRange{}, 100),
              ElementsAre(sample(kHumidity, "", 100, "{\"value\":50}")));
  EXPECT_EQ(read_history(store, "urn:1", kTemperature, HistoryRange{}, 2).size(), 2u);
  EXPECT_TRUE(store.history("other", "urn:1", "", HistoryRange{}, 100)->empty());
  EXPECT_TRUE(store.history("t", "urn:2", "", HistoryRange{}, 100)->empty());
}

// The temporal API's edits: history-only changes, overwriting one sample by its sequence,
// and erasing one sample, one instance, one attribute or everything.
TYPED_TEST(EntityStoreConformance, HistoryOnlyChangesEditAndEraseSamples) {
  auto& store = *this->store_;
  Change add = Change::history_only("urn:h");
  add.history = {sample(kTemperature, "", 100, "{\"value\":1}"),
                 sample(kTemperature, "", 101, "{\"value\":2}"),
                 sample(kTemperature, "urn:d", 100, "{\"value\":3}"),
                 sample(kHumidity, "", 100, "{\"value\":4}")};
  ASSERT_TRUE(store.apply("t", std::span<const Change>(&add, 1)).ok());
  EXPECT_FALSE(store.get("t", "urn:h")->has_value());  // no current state was written
  auto raw = store.history("t", "urn:h", kTemperature, HistoryRange{}, 100);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 3u);
  EXPECT_NE((*raw)[0].sequence, 0u);

  Change edit = Change::history_only("urn:h");
  HistorySample replacement = (*raw)[1];  // the default instance at 101
  replacement.instance = "{\"value\":20}";
  edit.history = {replacement};
  ASSERT_TRUE(store.apply("t", std::span<const Change>(&edit, 1)).ok());
  EXPECT_THAT(read_history(store, "urn:h", kTemperature, HistoryRange{}, 100),
              ElementsAre(sample(kTemperature, "", 100, "{\"value\":1}"),
                          sample(kTemperature, "", 101, "{\"value\":20}"),
                          sample(kTemperature, "urn:d", 100, "{\"value\":3}")));

  Change erase_one = Change::history_only("urn:h");
  erase_one.erase_history = {
      HistoryErase{kTemperature, "",
                   HistoryErase::Sample{(*raw)[0].modified_at, (*raw)[0].sequence}, std::nullopt}};
  ASSERT_TRUE(store.apply("t", std::span<const Change>(&erase_one, 1)).ok());
  EXPECT_EQ(read_history(store, "urn:h", kTemperature, HistoryRange{}, 100).size(), 2u);

  Change erase_instance = Change::history_only("urn:h");
  erase_instance.erase_history = {HistoryErase{kTemperature, "urn:d", std::nullopt, std::nullopt}};
  ASSERT_TRUE(store.apply("t", std::span<const Change>(&erase_instance, 1)).ok());
  EXPECT_THAT(read_history(store, "urn:h", kTemperature, HistoryRange{}, 100),
              ElementsAre(sample(kTemperature, "", 101, "{\"value\":20}")));

  Change erase_attribute = Change::history_only("urn:h");
  erase_attribute.erase_history = {
      HistoryErase{kTemperature, std::nullopt, std::nullopt, std::nullopt}};
  ASSERT_TRUE(store.apply("t", std::span<const Change>(&erase_attribute, 1)).ok());
  EXPECT_THAT(read_history(store, "urn:h", "", HistoryRange{}, 100),
              ElementsAre(sample(kHumidity, "", 100, "{\"value\":4}")));

  Change erase_all = Change::history_only("urn:h");
  erase_all.erase_history = {HistoryErase{}};
  ASSERT_TRUE(store.apply("t", std::span<const Change>(&erase_all, 1)).ok());
  EXPECT_TRUE(store.history("t", "urn:h", "", HistoryRange{}, 100)->empty());
}

TYPED_TEST(EntityStoreConformance, HistoryTypesAreIndexedUntilErased) {
  auto& store = *this->store_;
  Change add = Change::history_only("urn:h1");
  add.history_types = {kSensor};
  Change other = Change::history_only("urn:h2");
  other.history_types = {kSensor, kRoom};
  std::vector<Change> both{add, other};
  ASSERT_TRUE(store.apply("t", both).ok());
  auto ids = [&](const char* type) {
    std::vector<std::string> out;
    auto cursor = store.scan("t", IndexSelector::history_type(type));
    for (; cursor->valid(); cursor->next()) out.emplace_back(cursor->id());
    EXPECT_TRUE(cursor->status().ok());
    return out;
  };
  EXPECT_THAT(ids(kSensor), ElementsAre("urn:h1", "urn:h2"));
  EXPECT_THAT(ids(kRoom), ElementsAre("urn:h2"));
  auto types = store.history_types("t");
  ASSERT_TRUE(types.ok());
  EXPECT_THAT(*types, ElementsAre(std::min<std::string>(kSensor, kRoom),
                                  std::max<std::string>(kSensor, kRoom)));
  EXPECT_TRUE(store.history_types("other")->empty());
  EXPECT_TRUE(store.scan("t", IndexSelector::type(kSensor))->valid() == false);  // not current
  Change erase = Change::history_only("urn:h2");
  erase.erase_history_types = {kSensor, kRoom};
  ASSERT_TRUE(store.apply("t", std::span<const Change>(&erase, 1)).ok());
  EXPECT_THAT(ids(kSensor), ElementsAre("urn:h1"));
  EXPECT_TRUE(ids(kRoom).empty());
  EXPECT_THAT(*store.history_types("t"), ElementsAre(kSensor));
}

}  // namespace
}  // namespace citytwin::store
