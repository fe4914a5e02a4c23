// EntityService over the in-memory store with a fixed clock: single-entity operations, batch
// operations (GS CIM 009 V1.8.1 clauses 5.6.7-5.6.10, 5.6.21) and query candidate selection
// (clause 5.7.2).
#include "citytwin/core/entity_service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/store/memory_store.hpp"

namespace citytwin::core {
namespace {

namespace json = boost::json;
namespace form = model::form;

constexpr std::string_view kVocab = "https://example.org/";
constexpr std::int64_t kStart = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

class ManualClock final : public Clock {
 public:
  Instant now() const override { return Instant{micros}; }
  std::int64_t micros = kStart;
};

class ExampleTerms final : public jsonld::TermMapper {
 public:
  std::string expand(std::string_view term) const override {
    if (term.find(':') != std::string_view::npos) return std::string(term);
    return std::string(kVocab) + std::string(term);
  }
  std::string compact(std::string_view iri) const override { return std::string(iri); }
};

std::string iri(std::string_view name) {
  return std::string(kVocab) + std::string(name);
}
std::string urn(int n) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "urn:ngsi-ld:T:%03d", n);
  return buffer;
}

json::object property(json::value value) {
  return json::object{{"type", "Property"}, {"value", std::move(value)}};
}

// A stored-form entity with the given types and Property attributes.
json::object entity(const std::string& id, std::vector<std::string> types,
                    std::vector<std::pair<std::string, json::value>> attrs = {}) {
  json::array type_array;
  for (auto& type : types) type_array.emplace_back(iri(type));
  json::object attr_map;
  for (auto& [name, value] : attrs) attr_map[iri(name)] = json::array{property(value)};
  return json::object{{"id", id}, {"type", std::move(type_array)}, {"attrs", std::move(attr_map)}};
}

json::object attrs_of(std::vector<std::pair<std::string, json::value>> attrs) {
  json::object map;
  for (auto& [name, value] : attrs) map[iri(name)] = json::array{property(value)};
  return map;
}

const json::value* attr_value(const json::object& stored, std::string_view name) {
  const auto& attrs = stored.at(form::kAttrs).as_object();
  const auto* instances = attrs.if_contains(iri(name));
  if (instances == nullptr) return nullptr;
  return &instances->as_array().front().as_object().at(form::kValue);
}

class EntityServiceTest : public ::testing::Test {
 protected:
  json::object get(const std::string& id, std::string_view tenant = "") {
    auto found = service.get(tenant, id);
    EXPECT_TRUE(found.ok()) << id;
    return found.ok() ? *found : json::object{};
  }
  std::int64_t value_of(const std::string& id, std::string_view name) {
    json::object stored = get(id);  // keeps the value alive while it is read
    const auto* value = attr_value(stored, name);
    return value == nullptr ? -1 : value->to_number<std::int64_t>();
  }

  std::unique_ptr<store::EntityStore> store = store::make_memory_store();
  ManualClock clock;
  EntityService service{*store, clock};
};

// --- change events -----------------------------------------------------------------------

// Keeps every change event it is told about, as the subscription service does beyond the write.
class RecordingListener final : public ChangeListener {
 public:
  bool wants(std::string_view) const override { return true; }
  std::uint64_t next_sequence() override { return ++sequence; }
  std::optional<store::DocumentWrite> record(std::uint64_t, std::string_view,
                                             const std::vector<EntityChange>&, Instant) override {
    return std::nullopt;
  }
  void committed(std::uint64_t, std::string, std::vector<EntityChange> changes, Instant,
                 bool) override {
    for (auto& change : changes) events.push_back(std::move(change));
  }
  std::uint64_t sequence = 0;
  std::vector<EntityChange> events;
};

// A write builds the entity before and after it in an arena that ends with the write; the
// events handed to the listener must own their objects (default storage), or reading them
// later reads freed memory (ASan reports it; here the storage itself is checked).
TEST(EntityServiceEvents, EventsOfUpdatesOwnTheirEntities) {
  auto store = store::make_memory_store();
  ManualClock clock;
  RecordingListener listener;
  EntityService service{*store, clock, EntityService::Durability::kDeferToCaller, &listener};
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}, {"m", 2}})).ok());
  ASSERT_TRUE(service.patch_attribute("", urn(1), iri("n"), json::object{{"value", 10}}).ok());
  ASSERT_TRUE(service.update_attributes("", urn(1), attrs_of({{"m", 20}})).ok());
  ASSERT_TRUE(service.merge("", urn(1), json::object{{"attrs", attrs_of({{"k", 5}})}}).ok());
  ASSERT_EQ(listener.events.size(), 4u);
  json::storage_ptr default_storage;
  for (const EntityChange& event : listener.events) {
    ASSERT_TRUE(event.after.has_value());
    EXPECT_EQ(event.after->storage().get(), default_storage.get());
    if (event.before) {
      EXPECT_EQ(event.before->storage().get(), default_storage.get());
    }
  }
  EXPECT_EQ(attr_value(*listener.events[1].before, "n")->to_number<int>(), 1);
  EXPECT_EQ(attr_value(*listener.events[1].after, "n")->to_number<int>(), 10);
  EXPECT_EQ(attr_value(*listener.events[2].after, "m")->to_number<int>(), 20);
  EXPECT_EQ(attr_value(*listener.events[3].after, "k")->to_number<int>(), 5);
}

// --- history ---------------------------------------------------------------------------

TEST_F(EntityServiceTest, EveryWriteAppendsTheHistoryOfWhatChanged) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}, {"m", 2}})).ok());
  clock.micros += 1'000'000;
  ASSERT_TRUE(service.patch_attribute("", urn(1), iri("n"), json::object{{"value", 10}}).ok());
  clock.micros += 1'000'000;
  ASSERT_TRUE(service.delete_attribute("", urn(1), iri("m"), std::nullopt, false).ok());
  clock.micros += 1'000'000;
  ASSERT_TRUE(service.remove("", urn(1)).ok());

  auto n = store->history("", urn(1), iri("n"), {}, 100);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->size(), 3u);  // created, patched, deleted with the entity
  EXPECT_EQ(json::parse((*n)[0].instance).at("value").to_number<int>(), 1);
  EXPECT_EQ((*n)[1].modified_at, kStart + 1'000'000);
  EXPECT_EQ(json::parse((*n)[1].instance).at("value").to_number<int>(), 10);
  EXPECT_TRUE((*n)[2].deleted);
  EXPECT_EQ((*n)[2].modified_at, kStart + 3'000'000);

  auto m = store->history("", urn(1), iri("m"), {}, 100);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 2u);  // created, attribute deleted (nothing more when the entity goes)
  EXPECT_TRUE((*m)[1].deleted);
  EXPECT_EQ((*m)[1].modified_at, kStart + 2'000'000);

  auto window =
      store->history("", urn(1), "", store::HistoryRange{kStart + 1, kStart + 3'000'000}, 100);
  ASSERT_TRUE(window.ok());
  EXPECT_EQ(window->size(), 2u);  // the patch of n and the deletion of m
}

TEST_F(EntityServiceTest, BatchUpsertRecordsHistoryPerEntity) {
  std::vector<BatchItem> items;
  items.push_back(BatchItem{urn(1), entity(urn(1), {"A"}, {{"n", 1}})});
  items.push_back(BatchItem{urn(2), entity(urn(2), {"A"}, {{"n", 2}})});
  auto outcome = service.batch("", BatchKind::kUpsertReplace, std::move(items));
  ASSERT_EQ(outcome.created, 2u);
  for (int i : {1, 2}) {
    auto history = store->history("", urn(i), iri("n"), {}, 100);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ(json::parse((*history)[0].instance).at("value").to_number<int>(), i);
  }
}

// --- single-entity operations ------------------------------------------------------------

TEST_F(EntityServiceTest, CreateStampsSystemAttributesWithTheClock) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}})).ok());
  auto stored = get(urn(1));
  std::string now = format_date_time(Instant{kStart});
  EXPECT_EQ(stored.at(form::kCreatedAt).as_string(), now);
  EXPECT_EQ(stored.at(form::kModifiedAt).as_string(), now);
  const auto& instance = stored.at(form::kAttrs).at(iri("n")).as_array().front().as_object();
  EXPECT_EQ(instance.at(form::kCreatedAt).as_string(), now);
}

// The unparsed document (for the rendered-entity cache): what get() parses, changed by every
// write, with get()'s errors.
TEST_F(EntityServiceTest, GetDocumentIsTheStoredTextOfGet) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}})).ok());
  auto first = service.get_document("", urn(1));
  ASSERT_TRUE(first.ok());
  auto parsed = EntityService::parse_document(urn(1), *first);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, get(urn(1)));
  clock.micros = kStart + 1'000'000;
  ASSERT_TRUE(service.patch_attribute("", urn(1), iri("n"), property(2)).ok());
  auto second = service.get_document("", urn(1));
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*first, *second);
  EXPECT_EQ(service.get_document("", urn(9)).error().kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(EntityService::parse_document(urn(1), "[1]").error().kind, ErrorKind::kInternalError);
}

TEST_F(EntityServiceTest, CreateTwiceIsAlreadyExists) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"})).ok());
  auto again = service.create("", entity(urn(1), {"B"}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kAlreadyExists);
  EXPECT_EQ(get(urn(1)).at(form::kType).as_array().front().as_string(), iri("A"));
}

TEST_F(EntityServiceTest, MissingEntityIsResourceNotFoundEverywhere) {
  auto kind = [](const Status& status) {
    return status.ok() ? ErrorKind::kInternalError : status.error().kind;
  };
  EXPECT_EQ(service.get("", urn(9)).error().kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(kind(service.remove("", urn(9))), ErrorKind::kResourceNotFound);
  EXPECT_EQ(kind(service.replace("", urn(9), entity(urn(9), {"A"}))), ErrorKind::kResourceNotFound);
  EXPECT_EQ(service.merge("", urn(9), json::object{}).error().kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(service.append_attributes("", urn(9), attrs_of({{"n", 1}}), false).error().kind,
            ErrorKind::kResourceNotFound);
  EXPECT_EQ(service.update_attributes("", urn(9), attrs_of({{"n", 1}})).error().kind,
            ErrorKind::kResourceNotFound);
  EXPECT_EQ(kind(service.patch_attribute("", urn(9), iri("n"), property(1))),
            ErrorKind::kResourceNotFound);
  EXPECT_EQ(kind(service.delete_attribute("", urn(9), iri("n"), std::nullopt, false)),
            ErrorKind::kResourceNotFound);
}

TEST_F(EntityServiceTest, ReplaceKeepsCreatedAtAndDropsOldAttributes) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}, {"m", 2}})).ok());
  clock.micros += 1'000'000;
  ASSERT_TRUE(service.replace("", urn(1), entity(urn(1), {"B"}, {{"n", 5}})).ok());
  auto stored = get(urn(1));
  EXPECT_EQ(stored.at(form::kCreatedAt).as_string(), format_date_time(Instant{kStart}));
  EXPECT_EQ(stored.at(form::kModifiedAt).as_string(), format_date_time(Instant{clock.micros}));
  EXPECT_EQ(value_of(urn(1), "n"), 5);
  EXPECT_EQ(attr_value(stored, "m"), nullptr);
  EXPECT_EQ(stored.at(form::kType).as_array().front().as_string(), iri("B"));
}

TEST_F(EntityServiceTest, MergeAddsAndReplacesAttributes) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}, {"m", 2}})).ok());
  json::object fragment{{"attrs", attrs_of({{"n", 7}, {"k", 3}})}};
  auto outcome = service.merge("", urn(1), fragment);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->merged.size(), 2u);
  EXPECT_EQ(value_of(urn(1), "n"), 7);
  EXPECT_EQ(value_of(urn(1), "m"), 2);
  EXPECT_EQ(value_of(urn(1), "k"), 3);
}

TEST_F(EntityServiceTest, AppendWithNoOverwriteLeavesExistingAttributes) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}})).ok());
  auto outcome = service.append_attributes("", urn(1), attrs_of({{"n", 9}, {"m", 2}}), true);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->updated, std::vector<std::string>{iri("m")});
  ASSERT_EQ(outcome->not_updated.size(), 1u);
  EXPECT_EQ(outcome->not_updated.front().name, iri("n"));
  EXPECT_EQ(value_of(urn(1), "n"), 1);
  EXPECT_EQ(value_of(urn(1), "m"), 2);

  ASSERT_TRUE(service.append_attributes("", urn(1), attrs_of({{"n", 9}}), false).ok());
  EXPECT_EQ(value_of(urn(1), "n"), 9);
}

TEST_F(EntityServiceTest, UpdateChangesOnlyExistingAttributes) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}})).ok());
  auto outcome = service.update_attributes("", urn(1), attrs_of({{"n", 4}, {"absent", 1}}));
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->updated, std::vector<std::string>{iri("n")});
  ASSERT_EQ(outcome->not_updated.size(), 1u);
  EXPECT_EQ(value_of(urn(1), "n"), 4);
  EXPECT_EQ(attr_value(get(urn(1)), "absent"), nullptr);
}

TEST_F(EntityServiceTest, PatchReplaceAndDeleteAttribute) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}, {"m", 2}})).ok());
  ASSERT_TRUE(service.patch_attribute("", urn(1), iri("n"), json::object{{"value", 10}}).ok());
  EXPECT_EQ(value_of(urn(1), "n"), 10);
  auto missing = service.patch_attribute("", urn(1), iri("zzz"), json::object{{"value", 1}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kResourceNotFound);

  ASSERT_TRUE(service.replace_attribute("", urn(1), iri("m"), json::array{property(20)}).ok());
  EXPECT_EQ(value_of(urn(1), "m"), 20);

  ASSERT_TRUE(service.delete_attribute("", urn(1), iri("m"), std::nullopt, false).ok());
  EXPECT_EQ(attr_value(get(urn(1)), "m"), nullptr);
  auto again = service.delete_attribute("", urn(1), iri("m"), std::nullopt, false);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kResourceNotFound);
}

TEST_F(EntityServiceTest, RemoveDeletesTheEntity) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"})).ok());
  ASSERT_TRUE(service.remove("", urn(1)).ok());
  EXPECT_EQ(service.get("", urn(1)).error().kind, ErrorKind::kResourceNotFound);
}

TEST_F(EntityServiceTest, TenantsAreSeparateAndUnknownTenantsAreReported) {
  EXPECT_EQ(service.get("t1", urn(1)).error().kind, ErrorKind::kNonexistentTenant);
  EXPECT_FALSE(service.tenant_exists("t1"));
  ASSERT_TRUE(service.create("t1", entity(urn(1), {"A"})).ok());
  EXPECT_TRUE(service.tenant_exists("t1"));
  EXPECT_TRUE(service.get("t1", urn(1)).ok());
  EXPECT_EQ(service.get("", urn(1)).error().kind, ErrorKind::kResourceNotFound);
  EntityQuery query;
  query.selectors.push_back(EntitySelector{{urn(1)}, std::nullopt, {}});
  EXPECT_EQ(service.query("t2", query).error().kind, ErrorKind::kNonexistentTenant);
}

// --- batch operations --------------------------------------------------------------------

std::vector<BatchItem> items(std::vector<json::object> entities) {
  std::vector<BatchItem> out;
  for (auto& e : entities) {
    std::string id(e.at("id").as_string());
    out.push_back(BatchItem{id, std::move(e)});
  }
  return out;
}

std::vector<bool> succeeded(const BatchOutcome& outcome) {
  std::vector<bool> out;
  for (const auto& item : outcome.items) out.push_back(!item.error.has_value());
  return out;
}

TEST_F(EntityServiceTest, BatchCreateAllSucceed) {
  auto outcome =
      service.batch("", BatchKind::kCreate,
                    items({entity(urn(1), {"A"}), entity(urn(2), {"A"}), entity(urn(3), {"B"})}));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(outcome.created, 3u);
  for (const auto& item : outcome.items) EXPECT_TRUE(item.created);
  for (int i = 1; i <= 3; ++i) EXPECT_TRUE(service.get("", urn(i)).ok());
}

TEST_F(EntityServiceTest, BatchCreateDuplicateIdsInOneBatchFirstWins) {
  auto outcome = service.batch("", BatchKind::kCreate,
                               items({entity(urn(1), {"A"}, {{"n", 1}}), entity(urn(2), {"A"}),
                                      entity(urn(1), {"A"}, {{"n", 2}})}));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(outcome.items[2].id, urn(1));
  EXPECT_EQ(outcome.items[2].error->kind, ErrorKind::kAlreadyExists);
  EXPECT_EQ(outcome.created, 2u);
  EXPECT_EQ(value_of(urn(1), "n"), 1);
}

TEST_F(EntityServiceTest, BatchCreateSomeFail) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}})).ok());
  auto outcome = service.batch("", BatchKind::kCreate,
                               items({entity(urn(1), {"A"}, {{"n", 5}}), entity(urn(2), {"A"})}));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{false, true}));
  EXPECT_EQ(outcome.items[0].error->kind, ErrorKind::kAlreadyExists);
  EXPECT_FALSE(outcome.items[0].created);
  EXPECT_EQ(value_of(urn(1), "n"), 1);
  EXPECT_TRUE(service.get("", urn(2)).ok());
}

TEST_F(EntityServiceTest, BatchUpsertReplaceReportsWhichWereCreated) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}, {"m", 1}})).ok());
  auto outcome =
      service.batch("", BatchKind::kUpsertReplace,
                    items({entity(urn(1), {"A"}, {{"n", 2}}), entity(urn(2), {"A"}, {{"n", 3}}),
                           entity(urn(2), {"A"}, {{"n", 4}})}));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(outcome.created, 1u);
  EXPECT_FALSE(outcome.items[0].created);
  EXPECT_TRUE(outcome.items[1].created);
  EXPECT_FALSE(outcome.items[2].created);  // the second item replaced what the first created
  EXPECT_EQ(value_of(urn(1), "n"), 2);
  EXPECT_EQ(attr_value(get(urn(1)), "m"), nullptr);
  EXPECT_EQ(value_of(urn(2), "n"), 4);
}

TEST_F(EntityServiceTest, BatchUpsertUpdateKeepsOtherAttributesAndAddsTypes) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}, {"m", 1}})).ok());
  auto outcome =
      service.batch("", BatchKind::kUpsertUpdate, items({entity(urn(1), {"B"}, {{"n", 2}})}));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{true}));
  EXPECT_EQ(outcome.created, 0u);
  EXPECT_EQ(value_of(urn(1), "n"), 2);
  EXPECT_EQ(value_of(urn(1), "m"), 1);
  EXPECT_EQ(get(urn(1)).at(form::kType).as_array().size(), 2u);
}

TEST_F(EntityServiceTest, BatchUpdateMissingEntityFailsAlone) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}})).ok());
  auto outcome =
      service.batch("", BatchKind::kUpdate,
                    items({entity(urn(2), {"A"}, {{"n", 2}}), entity(urn(1), {"A"}, {{"n", 3}})}));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{false, true}));
  EXPECT_EQ(outcome.items[0].error->kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(value_of(urn(1), "n"), 3);
  EXPECT_EQ(service.get("", urn(2)).error().kind, ErrorKind::kResourceNotFound);
}

TEST_F(EntityServiceTest, BatchUpdateNoOverwrite) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}})).ok());
  auto outcome = service.batch("", BatchKind::kUpdateNoOverwrite,
                               items({entity(urn(1), {"A"}, {{"n", 9}, {"m", 2}})}));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{true}));
  EXPECT_EQ(value_of(urn(1), "n"), 1);
  EXPECT_EQ(value_of(urn(1), "m"), 2);
}

TEST_F(EntityServiceTest, BatchMerge) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}, {"m", 1}})).ok());
  auto outcome = service.batch("", BatchKind::kMerge,
                               items({entity(urn(1), {"A"}, {{"n", 5}}), entity(urn(2), {"A"})}));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{true, false}));
  EXPECT_EQ(outcome.items[1].error->kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(value_of(urn(1), "n"), 5);
  EXPECT_EQ(value_of(urn(1), "m"), 1);
}

TEST_F(EntityServiceTest, BatchDeleteDuplicateAndUnknownIds) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"})).ok());
  ASSERT_TRUE(service.create("", entity(urn(2), {"A"})).ok());
  std::vector<BatchItem> ids{{urn(1), {}}, {urn(1), {}}, {urn(3), {}}, {urn(2), {}}};
  auto outcome = service.batch("", BatchKind::kDelete, std::move(ids));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(outcome.items[1].error->kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(service.get("", urn(1)).error().kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(service.get("", urn(2)).error().kind, ErrorKind::kResourceNotFound);
}

TEST_F(EntityServiceTest, BatchInvalidItemChangesNothingOfThatEntity) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}})).ok());
  // A lone instance instead of an array of instances: append refuses the whole item.
  json::object bad = entity(urn(1), {"A"});
  bad["attrs"].as_object()[iri("n")] = json::array{property(2)};
  bad["attrs"].as_object()[iri("m")] =
      json::array{json::object{{"type", "Property"}, {"value", 1}, {"datasetId", 5}}};
  auto outcome =
      service.batch("", BatchKind::kUpdate, items({bad, entity(urn(1), {"A"}, {{"k", 1}})}));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{false, true}));
  EXPECT_EQ(value_of(urn(1), "n"), 1);
  EXPECT_EQ(attr_value(get(urn(1)), "m"), nullptr);
  EXPECT_EQ(value_of(urn(1), "k"), 1);
}

// Items of several entities, interleaved: each entity is written once with every item
// applied in order, and each item is a history sample of its own.
TEST_F(EntityServiceTest, BatchInterleavedItemsOfSeveralEntities) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}})).ok());
  clock.micros += 1'000'000;
  std::vector<BatchItem> batch;
  for (int round = 0; round < 3; ++round) {
    for (int i : {1, 2, 3}) {
      batch.push_back(BatchItem{urn(i), entity(urn(i), {"A"}, {{"n", 10 * round + i}})});
    }
  }
  auto outcome = service.batch("", BatchKind::kUpsertUpdate, std::move(batch));
  EXPECT_EQ(succeeded(outcome), std::vector<bool>(9, true));
  EXPECT_EQ(outcome.created, 2u);
  for (int i : {1, 2, 3}) {
    EXPECT_EQ(value_of(urn(i), "n"), 20 + i);
    auto history = store->history("", urn(i), iri("n"), {}, 100);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), i == 1 ? 4u : 3u) << urn(i);
    EXPECT_EQ(json::parse(history->back().instance).at("value").to_number<int>(), 20 + i);
  }
}

// An all-or-none unit that fails is dropped and the rest applied again from the entities as
// loaded: nothing of the failed unit's earlier items survives, even on an entity that a later
// unit changes too.
TEST_F(EntityServiceTest, BatchFailedUnitLeavesNoTraceOnSharedEntity) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"}, {{"n", 1}})).ok());
  ASSERT_TRUE(service.create("", entity(urn(2), {"A"}, {{"n", 2}})).ok());
  json::object bad = entity(urn(2), {"A"});  // a datasetId that is not a URI: refused
  bad["attrs"].as_object()[iri("m")] =
      json::array{json::object{{"type", "Property"}, {"value", 1}, {"datasetId", 5}}};
  std::vector<BatchItem> batch;
  batch.push_back(BatchItem{urn(1), entity(urn(1), {"A"}, {{"n", 5}}), std::nullopt, 1});
  batch.push_back(BatchItem{urn(2), std::move(bad), std::nullopt, 1});
  batch.push_back(BatchItem{urn(1), entity(urn(1), {"A"}, {{"m", 7}}), std::nullopt, 2});
  auto outcome = service.batch("", BatchKind::kUpsertUpdate, std::move(batch));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(value_of(urn(1), "n"), 1);
  EXPECT_EQ(value_of(urn(1), "m"), 7);
  EXPECT_EQ(attr_value(get(urn(2)), "m"), nullptr);
  auto n = store->history("", urn(1), iri("n"), {}, 100);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->size(), 1u);  // the creation only
}

// A store whose writes fail: nothing of a batch may be reported as applied.
class FailingWrites final : public store::EntityStore {
 public:
  explicit FailingWrites(store::EntityStore& inner) : inner_(inner) {}
  Result<std::optional<std::string>> get(std::string_view t, std::string_view id) const override {
    return inner_.get(t, id);
  }
  Result<std::vector<std::optional<std::string>>> multi_get(
      std::string_view t, std::span<const std::string> ids) const override {
    return inner_.multi_get(t, ids);
  }
  Status apply(std::string_view, std::span<const store::Change>) override {
    return make_error(ErrorKind::kServiceUnavailable, "disk full");
  }
  std::unique_ptr<store::IdCursor> scan(std::string_view t,
                                        const store::IndexSelector& s) const override {
    return inner_.scan(t, s);
  }
  Result<std::uint64_t> count(std::string_view t, const store::IndexSelector& s) const override {
    return inner_.count(t, s);
  }
  Result<std::vector<std::string>> ids_in_box(std::string_view t,
                                              const store::BoxQuery& q) const override {
    return inner_.ids_in_box(t, q);
  }
  Result<std::vector<store::HistorySample>> history(std::string_view t, std::string_view e,
                                                    std::string_view a,
                                                    const store::HistoryRange& r,
                                                    std::size_t limit) const override {
    return inner_.history(t, e, a, r, limit);
  }
  bool has_tenant(std::string_view t) const override { return inner_.has_tenant(t); }
  std::vector<std::string> tenants() const override { return inner_.tenants(); }
  Result<std::vector<store::TermCount>> type_counts(std::string_view t) const override {
    return inner_.type_counts(t);
  }
  Result<std::vector<store::TermCount>> attribute_counts(std::string_view t) const override {
    return inner_.attribute_counts(t);
  }
  Result<std::vector<std::string>> history_types(std::string_view t) const override {
    return inner_.history_types(t);
  }
  store::StoreStats stats() const override { return inner_.stats(); }
  Status put_document(std::string_view, std::string_view, std::string_view) override {
    return make_error(ErrorKind::kServiceUnavailable, "disk full");
  }
  Status delete_document(std::string_view, std::string_view) override {
    return make_error(ErrorKind::kServiceUnavailable, "disk full");
  }
  Result<std::optional<std::string>> get_document(std::string_view ns,
                                                  std::string_view key) const override {
    return inner_.get_document(ns, key);
  }
  Result<std::vector<std::pair<std::string, std::string>>> list_documents(
      std::string_view ns) const override {
    return inner_.list_documents(ns);
  }

 private:
  store::EntityStore& inner_;
};

TEST_F(EntityServiceTest, BatchWriteFailureFailsEveryApplicableItem) {
  ASSERT_TRUE(service.create("", entity(urn(1), {"A"})).ok());
  FailingWrites failing(*store);
  EntityService broken(failing, clock);
  auto outcome = broken.batch("", BatchKind::kUpsertReplace,
                              items({entity(urn(1), {"A"}), entity(urn(2), {"A"})}));
  EXPECT_EQ(succeeded(outcome), (std::vector<bool>{false, false}));
  EXPECT_EQ(outcome.created, 0u);
  EXPECT_FALSE(outcome.items[1].created);
  EXPECT_EQ(outcome.items[1].error->kind, ErrorKind::kServiceUnavailable);
  EXPECT_EQ(service.get("", urn(2)).error().kind, ErrorKind::kResourceNotFound);
}

// --- query candidate selection -----------------------------------------------------------

// 60 entities: type A (even), B (odd), both for multiples of 5; n = i; points along the
// equator 0.01 degree apart (about 1.11 km); scopes /s/<i % 3>; "odd" only on odd ones.
class QueryTest : public EntityServiceTest {
 protected:
  void SetUp() override {
    std::vector<BatchItem> batch;
    for (int i = 0; i < 60; ++i) {
      std::vector<std::string> types{i % 2 == 0 ? "A" : "B"};
      if (i % 5 == 0) types = {"A", "B"};
      json::object e = entity(urn(i), types, {{"n", i}});
      auto& attrs = e["attrs"].as_object();
      if (i % 2 == 1) attrs[iri("odd")] = json::array{property(true)};
      json::object location{
          {"type", "GeoProperty"},
          {"value", json::object{{"type", "Point"}, {"coordinates", json::array{i * 0.01, 0.0}}}}};
      attrs[std::string(form::kLocationIri)] = json::array{location};
      e["scope"] = json::array{"/s/" + std::to_string(i % 3)};
      std::string id = urn(i);
      batch.push_back(BatchItem{id, std::move(e)});
    }
    auto outcome = service.batch("", BatchKind::kCreate, std::move(batch));
    ASSERT_EQ(outcome.created, 60u);
  }

  static EntityQuery by_types(std::string_view expression) {
    EntityQuery query;
    EntitySelector selector;
    selector.types = parse_type_expression(expression, ExampleTerms()).value();
    query.selectors.push_back(std::move(selector));
    query.limit = 1000;
    return query;
  }

  std::vector<std::string> run(const EntityQuery& query) {
    auto result = service.query("", query);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().detail);
    std::vector<std::string> ids;
    if (!result.ok()) return ids;
    for (const auto& e : result->entities) ids.emplace_back(e.at("id").as_string());
    return ids;
  }

  template <class Predicate>
  static std::vector<std::string> expected(Predicate predicate) {
    std::vector<std::string> ids;
    for (int i = 0; i < 60; ++i) {
      if (predicate(i)) ids.push_back(urn(i));
    }
    return ids;
  }
};

TEST_F(QueryTest, ByIdsInAscendingOrderSkippingMissing) {
  EntityQuery query;
  query.selectors.push_back(
      EntitySelector{{urn(7), urn(3), "urn:ngsi-ld:T:missing"}, std::nullopt, {}});
  EXPECT_EQ(run(query), (std::vector<std::string>{urn(3), urn(7)}));
}

TEST_F(QueryTest, ByTypeExpressions) {
  EXPECT_EQ(run(by_types("A")), expected([](int i) { return i % 2 == 0 || i % 5 == 0; }));
  EXPECT_EQ(run(by_types("A;B")), expected([](int i) { return i % 5 == 0; }));
  EXPECT_EQ(run(by_types("A|B")), expected([](int) { return true; }));
  EXPECT_EQ(run(by_types("C")), std::vector<std::string>{});
  EXPECT_EQ(run(by_types("C|B;A")), expected([](int i) { return i % 5 == 0; }));
}

TEST_F(QueryTest, SeveralSelectorsAreAlternatives) {
  EntityQuery query = by_types("A;B");
  EntitySelector pattern;
  pattern.id_pattern = "T:01[0-3]$";
  pattern.types = parse_type_expression("B", ExampleTerms()).value();
  query.selectors.push_back(std::move(pattern));
  EXPECT_EQ(run(query), expected([](int i) { return i % 5 == 0 || (i == 11 || i == 13); }));
}

TEST_F(QueryTest, IdTakesPrecedenceOverIdPattern) {
  EntityQuery query;
  query.selectors.push_back(EntitySelector{{urn(4)}, std::string("^nothing$"), {}});
  EXPECT_EQ(run(query), std::vector<std::string>{urn(4)});
}

TEST_F(QueryTest, IdPatternAloneWalksEverything) {
  EntityQuery query;
  EntitySelector selector;
  selector.id_pattern = "T:0[0-9]5";
  query.selectors.push_back(std::move(selector));
  query.limit = 1000;
  EXPECT_EQ(run(query), expected([](int i) { return i % 10 == 5; }));
}

TEST_F(QueryTest, InvalidIdPatternIsBadRequestData) {
  EntityQuery query;
  EntitySelector selector;
  selector.id_pattern = "[unclosed";
  query.selectors.push_back(std::move(selector));
  auto result = service.query("", query);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kBadRequestData);
}

TEST_F(QueryTest, IdPatternCannotBacktrackExponentially) {
  // With a backtracking engine this takes 2^40 steps; the polynomial engine answers at once.
  ASSERT_TRUE(service.create("", entity("urn:x:" + std::string(40, 'a'), {"A"})).ok());
  EntityQuery query;
  EntitySelector selector;
  selector.id_pattern = "^urn:x:(a|aa)*b$";
  query.selectors.push_back(std::move(selector));
  EXPECT_TRUE(run(query).empty());
  query.selectors.front().id_pattern = "^urn:x:(a|aa)*$";
  EXPECT_EQ(run(query).size(), 1u);
}

TEST_F(QueryTest, ByAttrs) {
  EntityQuery query;
  query.attrs = {iri("odd")};
  query.limit = 1000;
  EXPECT_EQ(run(query), expected([](int i) { return i % 2 == 1; }));
  query.attrs = {iri("odd"), iri("n")};
  EXPECT_EQ(run(query).size(), 60u);
  query.attrs = {iri("nothing")};
  EXPECT_TRUE(run(query).empty());
}

TEST_F(QueryTest, ByQ) {
  EntityQuery query;
  query.limit = 1000;
  query.q = query::QueryFilter::parse("n>40;odd", ExampleTerms()).value();
  EXPECT_EQ(run(query), expected([](int i) { return i > 40 && i % 2 == 1; }));
  query.q = query::QueryFilter::parse("!odd;n<10", ExampleTerms()).value();
  EXPECT_EQ(run(query), expected([](int i) { return i < 10 && i % 2 == 0; }));
  query.q = query::QueryFilter::parse("n==3|n==50..52", ExampleTerms()).value();
  EXPECT_EQ(run(query), expected([](int i) { return i == 3 || (i >= 50 && i <= 52); }));
}

TEST_F(QueryTest, QCombinesWithTypes) {
  EntityQuery query = by_types("B");
  query.q = query::QueryFilter::parse("n<=20", ExampleTerms()).value();
  EXPECT_EQ(run(query), expected([](int i) { return i <= 20 && (i % 2 == 1 || i % 5 == 0); }));
}

TEST_F(QueryTest, ByGeo) {
  EntityQuery query;
  query.limit = 1000;
  query.geo =
      geo::GeoQuery::from_parameters("near;maxDistance==5000", "Point", "[0,0]", "").value();
  query.geoproperty_iri = std::string(form::kLocationIri);
  EXPECT_EQ(run(query), expected([](int i) { return i <= 4; }));  // 4.45 km; 5th at 5.56 km
  query.geo =
      geo::GeoQuery::from_parameters("near;minDistance==60000", "Point", "[0,0]", "").value();
  EXPECT_EQ(run(query), expected([](int i) { return i >= 54; }));  // 54 * 1.112 km = 60.04 km
  query.geo =
      geo::GeoQuery::from_parameters("within", "Polygon",
                                     "[[[0.095,-1],[0.205,-1],[0.205,1],[0.095,1],[0.095,-1]]]", "")
          .value();
  EXPECT_EQ(run(query), expected([](int i) { return i >= 10 && i <= 20; }));
}

TEST_F(QueryTest, GeoOnAnAttributeNobodyHasFindsNothing) {
  EntityQuery query;
  query.geo =
      geo::GeoQuery::from_parameters("near;maxDistance==5000", "Point", "[0,0]", "").value();
  query.geoproperty_iri = iri("elsewhere");
  EXPECT_TRUE(run(query).empty());
}

TEST_F(QueryTest, GeoCombinesWithTypes) {
  EntityQuery query = by_types("B");
  query.geo =
      geo::GeoQuery::from_parameters("near;maxDistance==12000", "Point", "[0,0]", "").value();
  query.geoproperty_iri = std::string(form::kLocationIri);
  EXPECT_EQ(run(query), expected([](int i) { return i <= 10 && (i % 2 == 1 || i % 5 == 0); }));
}

TEST_F(QueryTest, ByScope) {
  EntityQuery query;
  query.limit = 1000;
  query.scope = query::ScopeFilter::parse("/s/1").value();
  EXPECT_EQ(run(query), expected([](int i) { return i % 3 == 1; }));
  query.scope = query::ScopeFilter::parse("/s/1,/s/2").value();
  EXPECT_EQ(run(query), expected([](int i) { return i % 3 != 0; }));
  query.scope = query::ScopeFilter::parse("/s/#").value();
  EXPECT_EQ(run(query).size(), 60u);
}

TEST_F(QueryTest, PagesAreDisjointAndCoverEverythingOnce) {
  EntityQuery query = by_types("A|B");
  query.limit = 7;
  query.count = true;
  std::vector<std::string> all;
  for (query.offset = 0; query.offset < 70; query.offset += 7) {
    auto result = service.query("", query);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->total, 60u);
    for (const auto& e : result->entities) all.emplace_back(e.at("id").as_string());
  }
  EXPECT_EQ(all, expected([](int) { return true; }));
}

// `more` drives the rel="next" pagination link (clause 6.3.10): set exactly when a match
// follows the page, with or without count, also when the page ends on a batch boundary.
TEST_F(QueryTest, PagesFlagWhetherMoreMatchesFollow) {
  EntityQuery query = by_types("A|B");
  for (bool count : {false, true}) {
    query.count = count;
    for (std::size_t limit : {7u, 20u, 60u}) {
      query.limit = limit;
      for (query.offset = 0; query.offset <= 60; query.offset += limit) {
        auto result = service.query("", query);
        ASSERT_TRUE(result.ok());
        EXPECT_EQ(result->more, query.offset + limit < 60)
            << "count " << count << " limit " << limit << " offset " << query.offset;
      }
    }
  }
}

TEST_F(QueryTest, CountWithoutResultsAndWithoutCount) {
  EntityQuery query = by_types("A;B");
  query.limit = 0;
  query.count = true;
  auto result = service.query("", query);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->entities.empty());
  EXPECT_EQ(result->total, 12u);
  query.count = false;
  query.limit = 3;
  result = service.query("", query);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->entities.size(), 3u);
  EXPECT_FALSE(result->total.has_value());
}

TEST_F(QueryTest, CountAppliesEveryFilter) {
  EntityQuery query = by_types("A");
  query.q = query::QueryFilter::parse("n>=30", ExampleTerms()).value();
  query.scope = query::ScopeFilter::parse("/s/0").value();
  query.limit = 2;
  query.offset = 1;
  query.count = true;
  auto result = service.query("", query);
  ASSERT_TRUE(result.ok());
  auto matches =
      expected([](int i) { return (i % 2 == 0 || i % 5 == 0) && i >= 30 && i % 3 == 0; });
  EXPECT_EQ(result->total, matches.size());
  ASSERT_EQ(result->entities.size(), 2u);
  EXPECT_EQ(result->entities[0].at("id").as_string(), matches[1]);
}

TEST_F(QueryTest, DeletedEntitiesLeaveEveryIndex) {
  ASSERT_TRUE(service.remove("", urn(5)).ok());
  EntityQuery query = by_types("A;B");
  EXPECT_EQ(run(query), expected([](int i) { return i % 5 == 0 && i != 5; }));
  query = EntityQuery{};
  query.geo =
      geo::GeoQuery::from_parameters("near;maxDistance==6000", "Point", "[0,0]", "").value();
  query.geoproperty_iri = std::string(form::kLocationIri);
  EXPECT_EQ(run(query), expected([](int i) { return i <= 4; }));
}

}  // namespace
}  // namespace citytwin::core
