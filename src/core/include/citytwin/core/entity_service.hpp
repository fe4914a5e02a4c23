#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/change_listener.hpp"
#include "citytwin/core/entity_query.hpp"
#include "citytwin/core/entity_write_hook.hpp"
#include "citytwin/core/history_rollups.hpp"
#include "citytwin/model/mutation/attribute_outcome.hpp"
#include "citytwin/model/mutation/merge.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

class EntityLocks;

// Outcome of one entity in a batch operation (clause 5.6.7-5.6.10, 5.6.21).
struct BatchItemResult {
  std::string id;
  std::optional<Error> error;  // nullopt: succeeded
  bool created = false;        // succeeded and the entity did not exist before this item
};

enum class BatchKind {
  kCreate,
  kUpsertReplace,
  kUpsertUpdate,
  kUpdate,
  kUpdateNoOverwrite,
  kMerge,
  kDelete
};

// One entity of a batch: the parsed stored-form entity (or, for delete, only the id).
struct BatchItem {
  BatchItem() = default;
  BatchItem(std::string item_id, boost::json::object item_entity,
            std::optional<Instant> item_at = std::nullopt, std::size_t item_unit = 0)
      : id(std::move(item_id)), entity(std::move(item_entity)), at(item_at), unit(item_unit) {}

  std::string id;
  boost::json::object entity;
  // When the change happened (its modifiedAt and the history sample's instant); nullopt: the
  // batch's own time. Device ingestion coalesces measures received at different times.
  std::optional<Instant> at;
  // Items sharing a non-zero unit apply all or none (the entities one device measure
  // writes); 0: the item stands alone, as in the NGSI-LD batch operations.
  std::size_t unit = 0;
};

struct BatchOutcome {
  std::vector<BatchItemResult> items;  // in request order
  std::size_t created = 0;             // how many entities did not exist before (upsert: 201)
};

// The entity service: every change to the twin's current state goes through here, whichever
// front door (NGSI-LD API, batch operations, device ingestion) it came by. Inputs and outputs
// are in the stored form (model/entity_form.hpp); JSON-LD and representations stay at the edge.
//
// Each operation reads (the newest state, including writes not yet durable), changes and
// writes an entity under that entity's lock. When a write returns depends on Durability.
class EntityService {
 public:
  enum class Durability {
    // A write returns once the store has made it durable.
    kWaitForDisk,
    // A write returns once it is ordered (EntityStore::apply_deferred); the caller must wait
    // for EntityStore::when_durable(write_mark()) before acknowledging it. Lets an event loop
    // keep serving while the disk works; used by the HTTP server.
    kDeferToCaller,
  };

  // `listener` (may be null) is told about every write once it is durable; it must outlive
  // the service.
  EntityService(store::EntityStore& store, const Clock& clock,
                Durability durability = Durability::kWaitForDisk,
                ChangeListener* listener = nullptr);
  ~EntityService();

  Status create(std::string_view tenant, boost::json::object entity);
  // With a `restriction` (anonymous open-data reads), an entity it does not admit is
  // ResourceNotFound, exactly as a missing one, and hidden attributes are removed.
  Result<boost::json::object> get(std::string_view tenant, std::string_view id,
                                  const ReadRestriction* restriction = nullptr) const;
  // The durable document get() would parse, unparsed and unrestricted (the same errors): for
  // readers that cache what they derive from an entity keyed on these exact bytes, which
  // change with every write of it (the rendered-entity cache, docs/storage.md).
  Result<std::string> get_document(std::string_view tenant, std::string_view id) const;
  // An entity from a document of get_document().
  static Result<boost::json::object> parse_document(std::string_view id, std::string_view document,
                                                    boost::json::storage_ptr storage = {});
  Status remove(std::string_view tenant, std::string_view id);
  Status replace(std::string_view tenant, std::string_view id, boost::json::object entity);
  Result<mutation::MergeOutcome> merge(std::string_view tenant, std::string_view id,
                                       const boost::json::object& fragment);
  Result<mutation::AttributeOutcome> append_attributes(std::string_view tenant, std::string_view id,
                                                       const boost::json::object& attrs,
                                                       bool no_overwrite);
  Result<mutation::AttributeOutcome> update_attributes(std::string_view tenant, std::string_view id,
                                                       const boost::json::object& attrs);
  Status patch_attribute(std::string_view tenant, std::string_view id, std::string_view name,
                         const boost::json::object& fragment);
  Status replace_attribute(std::string_view tenant, std::string_view id, std::string_view name,
                           const boost::json::array& instances);
  Status delete_attribute(std::string_view tenant, std::string_view id, std::string_view name,
                          const std::optional<std::string>& dataset_id, bool delete_all);

  // Applies every item that can be applied in one durable write; reports each item.
  BatchOutcome batch(std::string_view tenant, BatchKind kind, std::vector<BatchItem> items);

  Result<QueryResult> query(std::string_view tenant, const EntityQuery& query) const;

  // Whether reads on this tenant can succeed ("" always exists).
  bool tenant_exists(std::string_view tenant) const;
  Status require_tenant(std::string_view tenant) const;

  store::EntityStore& store() const { return store_; }

  // Every later write that keeps its entity passes through `hook` (null: none) before it is
  // written; the hook must outlive the service.
  void set_write_hook(EntityWriteHook* hook) { hook_.store(hook); }
  // Every later write's history changes are marked for the rollups (docs/timeseries.md,
  // "Rollups") in the same store write; null: none. Must outlive the service.
  void set_rollups(const HistoryRollups* rollups) { rollups_.store(rollups); }

 private:
  template <class Fn>
  auto modify(std::string_view tenant, std::string_view id, Fn&& change)
      -> decltype(change(std::declval<boost::json::object&>()));
  enum class View { kDurable, kNewest };
  Result<std::optional<boost::json::object>> load(std::string_view tenant, std::string_view id,
                                                  View view,
                                                  boost::json::storage_ptr storage = {}) const;
  // Writes `entity` with the history of what changed since `before` (null: new entity).
  Status save(std::string_view tenant, const boost::json::object* before,
              boost::json::object& entity);
  // Lets the write hook amend `entity` before `change` is made of it; collects its callback.
  Status amend(std::string_view tenant, const boost::json::object* before,
               boost::json::object& entity, store::Change* change,
               std::vector<std::function<void(bool)>>& afters);
  // Applies `changes`; once they are durable, `events` (empty when nobody listens) go to the
  // listener and `afters` (the write hook's callbacks) are called.
  Status commit(std::string_view tenant, std::vector<store::Change> changes,
                std::vector<EntityChange> events = {},
                std::vector<std::function<void(bool)>> afters = {});
  Status commit_and_notify(std::string_view tenant, std::vector<store::Change> changes,
                           std::vector<EntityChange> events);
  bool observed(std::string_view tenant) const;

  store::EntityStore& store_;
  const Clock& clock_;
  Durability durability_;
  ChangeListener* listener_;
  std::unique_ptr<EntityLocks> locks_;
  std::atomic<EntityWriteHook*> hook_{nullptr};
  std::atomic<const HistoryRollups*> rollups_{nullptr};
};

}  // namespace citytwin::core
