#include "citytwin/core/entity_service.hpp"

#include <boost/json.hpp>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/core/entity_record.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/mutation.hpp"
#include "entity_locks.hpp"
#include "history_capture.hpp"

namespace citytwin::core {
namespace form = model::form;

namespace {

Error not_found(std::string_view id) {
  return make_error(ErrorKind::kResourceNotFound, "entity " + std::string(id) + " not found");
}

// First block of a write's arena: room for a typical entity twice (before and after) without
// a second allocation; larger entities take more blocks.
constexpr std::size_t kWriteArenaBytes = 16 * 1024;

std::string id_of(const boost::json::object& entity) {
  const auto* id = entity.if_contains(form::kId);
  return id != nullptr && id->is_string() ? std::string(id->as_string()) : std::string();
}

}  // namespace

EntityService::EntityService(store::EntityStore& store, const Clock& clock, Durability durability,
                             ChangeListener* listener)
    : store_(store),
      clock_(clock),
      durability_(durability),
      listener_(listener),
      locks_(std::make_unique<EntityLocks>()) {}

EntityService::~EntityService() = default;

Result<std::optional<boost::json::object>> EntityService::load(
    std::string_view tenant, std::string_view id, View view,
    boost::json::storage_ptr storage) const {
  auto document = view == View::kNewest ? store_.get_latest(tenant, id) : store_.get(tenant, id);
  if (!document) return std::move(document).error();
  if (!document->has_value()) return std::optional<boost::json::object>{};
  auto parsed = parse_document(id, **document, std::move(storage));
  if (!parsed) return std::move(parsed).error();
  return std::optional<boost::json::object>(std::move(*parsed));
}

Result<boost::json::object> EntityService::parse_document(std::string_view id,
                                                          std::string_view document,
                                                          boost::json::storage_ptr storage) {
  boost::system::error_code ec;
  auto parsed = citytwin::parse_json(document, ec, std::move(storage));
  if (ec || !parsed.is_object()) {
    return make_error(ErrorKind::kInternalError,
                      "stored entity " + std::string(id) + " is unreadable");
  }
  return std::move(parsed.as_object());
}

Status EntityService::amend(std::string_view tenant, const boost::json::object* before,
                            boost::json::object& entity, store::Change* change,
                            std::vector<std::function<void(bool)>>& afters) {
  EntityWriteHook* hook = hook_.load();
  if (hook == nullptr) return ok_status();
  auto amendment = hook->amend(tenant, before, entity, clock_.now());
  if (!amendment) return std::move(amendment).error();
  if (change != nullptr) {
    for (auto& document : amendment->documents) change->documents.push_back(std::move(document));
  }
  if (amendment->after) afters.push_back(std::move(amendment->after));
  return ok_status();
}

Status EntityService::save(std::string_view tenant, const boost::json::object* before,
                           boost::json::object& entity) {
  std::vector<std::function<void(bool)>> afters;
  store::Change amended;
  CT_RETURN_IF_ERROR(amend(tenant, before, entity, &amended, afters));
  store::Change change = store::Change::put(make_record(entity));
  change.documents = std::move(amended.documents);
  record_history(change, before, &entity, clock_.now());
  std::vector<EntityChange> events;
  if (observed(tenant)) {
    // Copied into the default storage: `before` and `entity` may live in a write's arena
    // (modify()), and the event outlives the write (a copy-constructed object would share
    // the arena).
    EntityChange& event = events.emplace_back();
    if (before != nullptr) event.before.emplace(*before, boost::json::storage_ptr());
    event.after.emplace(entity, boost::json::storage_ptr());
    event.after_text = change.record.document;
  }
  std::vector<store::Change> changes;
  changes.push_back(std::move(change));
  return commit(tenant, std::move(changes), std::move(events), std::move(afters));
}

bool EntityService::observed(std::string_view tenant) const {
  return listener_ != nullptr && listener_->wants(tenant);
}

Status EntityService::commit(std::string_view tenant, std::vector<store::Change> changes,
                             std::vector<EntityChange> events,
                             std::vector<std::function<void(bool)>> afters) {
  Status status = commit_and_notify(tenant, std::move(changes), std::move(events));
  if (afters.empty()) return status;
  auto call = [afters = std::move(afters)](bool durable) {
    for (const auto& after : afters) after(durable);
  };
  if (!status.ok() || durability_ == Durability::kWaitForDisk) {
    call(status.ok());
  } else {
    store_.when_durable(store_.write_mark(),
                        [call = std::move(call)](Status durable) { call(durable.ok()); });
  }
  return status;
}

Status EntityService::commit_and_notify(std::string_view tenant, std::vector<store::Change> changes,
                                        std::vector<EntityChange> events) {
  bool notify = !events.empty() && listener_ != nullptr && !changes.empty();
  std::uint64_t sequence = 0;
  Instant at = clock_.now();
  if (notify) {
    // Called under the entity locks, so one entity's sequence numbers follow its writes. The
    // listener's record of the change goes into the same atomic write: it survives a crash
    // exactly when the change does (the notification outbox).
    sequence = listener_->next_sequence();
    if (auto record = listener_->record(sequence, tenant, events, at)) {
      changes.front().documents.push_back(std::move(*record));
    }
  }
  if (const HistoryRollups* rollups = rollups_.load()) {
    for (auto& change : changes) rollups->mark(tenant, change);
  }
  Status status = durability_ == Durability::kDeferToCaller ? store_.apply_deferred(tenant, changes)
                                                            : store_.apply(tenant, changes);
  if (!notify) return status;
  if (!status.ok() || durability_ == Durability::kWaitForDisk) {
    // Every sequence number is reported, a lost write's too, so the listener never waits.
    listener_->committed(sequence, std::string(tenant), std::move(events), at, status.ok());
    return status;
  }
  // Deferred: tell the listener only once the write is durable (or lost), never before.
  auto shared = std::make_shared<std::vector<EntityChange>>(std::move(events));
  store_.when_durable(
      store_.write_mark(),
      [listener = listener_, sequence, tenant = std::string(tenant), shared, at](Status durable) {
        listener->committed(sequence, tenant, std::move(*shared), at, durable.ok());
      });
  return status;
}

template <class Fn>
auto EntityService::modify(std::string_view tenant, std::string_view id, Fn&& change)
    -> decltype(change(std::declval<boost::json::object&>())) {
  auto guard = locks_->lock(tenant, id);
  // The entity before and after the change live only for this write, so both are built in one
  // arena: no allocation per string, array and object, and nothing to free one by one (with a
  // monotonic resource Boost.JSON skips the destructors). Nothing made here may keep a value
  // of theirs beyond the write: Boost.JSON copies a value into the storage of the container it
  // is assigned to, but a copy-constructed value shares the source's storage.
  boost::json::monotonic_resource arena(kWriteArenaBytes);
  boost::json::storage_ptr storage(&arena);
  auto current = load(tenant, id, View::kNewest, storage);
  if (!current) return std::move(current).error();
  if (!current->has_value()) return not_found(id);
  const boost::json::object& before = **current;
  boost::json::object entity(before, storage);
  auto outcome = change(entity);
  if (!outcome.ok()) return outcome;
  CT_RETURN_IF_ERROR(save(tenant, &before, entity));
  return outcome;
}

Status EntityService::create(std::string_view tenant, boost::json::object entity) {
  std::string id = id_of(entity);
  auto guard = locks_->lock(tenant, id);
  auto existing = store_.get_latest(tenant, id);
  if (!existing) return std::move(existing).error();
  if (existing->has_value()) {
    return make_error(ErrorKind::kAlreadyExists, "entity " + id + " already exists");
  }
  mutation::stamp_new_entity(entity, clock_.now());
  return save(tenant, nullptr, entity);
}

Result<boost::json::object> EntityService::get(std::string_view tenant, std::string_view id,
                                               const ReadRestriction* restriction) const {
  CT_RETURN_IF_ERROR(require_tenant(tenant));
  auto entity = load(tenant, id, View::kDurable);
  if (!entity) return std::move(entity).error();
  if (!entity->has_value()) return not_found(id);
  if (restriction != nullptr) {
    if (!restriction->admits(**entity)) return not_found(id);
    restriction->redact(**entity);
  }
  return std::move(**entity);
}

Result<std::string> EntityService::get_document(std::string_view tenant,
                                                std::string_view id) const {
  CT_RETURN_IF_ERROR(require_tenant(tenant));
  auto document = store_.get(tenant, id);  // View::kDurable, as get()
  if (!document) return std::move(document).error();
  if (!document->has_value()) return not_found(id);
  return std::move(**document);
}

Status EntityService::remove(std::string_view tenant, std::string_view id) {
  CT_RETURN_IF_ERROR(require_tenant(tenant));
  auto guard = locks_->lock(tenant, id);
  auto existing = load(tenant, id, View::kNewest);
  if (!existing) return std::move(existing).error();
  if (!existing->has_value()) return not_found(id);
  store::Change change = store::Change::remove(std::string(id));
  record_history(change, &**existing, nullptr, clock_.now());
  std::vector<EntityChange> events;
  if (observed(tenant)) events.emplace_back().before = std::move(**existing);
  std::vector<store::Change> changes;
  changes.push_back(std::move(change));
  return commit(tenant, std::move(changes), std::move(events));
}

Status EntityService::replace(std::string_view tenant, std::string_view id,
                              boost::json::object entity) {
  CT_RETURN_IF_ERROR(require_tenant(tenant));
  Instant now = clock_.now();
  return modify(tenant, id, [&](boost::json::object& current) -> Status {
    current = mutation::replace_entity(current, std::move(entity), now);
    return ok_status();
  });
}

Result<mutation::MergeOutcome> EntityService::merge(std::string_view tenant, std::string_view id,
                                                    const boost::json::object& fragment) {
  CT_RETURN_IF_ERROR(require_tenant(tenant));
  Instant now = clock_.now();
  return modify(tenant, id, [&](boost::json::object& current) {
    return mutation::merge_entity(current, fragment, now);
  });
}

Result<mutation::AttributeOutcome> EntityService::append_attributes(
    std::string_view tenant, std::string_view id, const boost::json::object& attrs,
    bool no_overwrite) {
  CT_RETURN_IF_ERROR(require_tenant(tenant));
  Instant now = clock_.now();
  return modify(tenant, id, [&](boost::json::object& current) {
    return mutation::append_attributes(current, attrs, no_overwrite, now);
  });
}

Result<mutation::AttributeOutcome> EntityService::update_attributes(
    std::string_view tenant, std::string_view id, const boost::json::object& attrs) {
  CT_RETURN_IF_ERROR(require_tenant(tenant));
  Instant now = clock_.now();
  return modify(tenant, id, [&](boost::json::object& current) {
    return mutation::update_attributes(current, attrs, now);
  });
}

Status EntityService::patch_attribute(std::string_view tenant, std::string_view id,
                                      std::string_view name, const boost::json::object& fragment) {
  CT_RETURN_IF_ERROR(require_tenant(tenant));
  Instant now = clock_.now();
  return modify(tenant, id, [&](boost::json::object& current) {
    return mutation::partial_update_attribute(current, name, fragment, now);
  });
}

Status EntityService::replace_attribute(std::string_view tenant, std::string_view id,
                                        std::string_view name,
                                        const boost::json::array& instances) {
  CT_RETURN_IF_ERROR(require_tenant(tenant));
  Instant now = clock_.now();
  return modify(tenant, id, [&](boost::json::object& current) {
    return mutation::replace_attribute(current, name, instances, now);
  });
}

Status EntityService::delete_attribute(std::string_view tenant, std::string_view id,
                                       std::string_view name,
                                       const std::optional<std::string>& dataset_id,
                                       bool delete_all) {
  CT_RETURN_IF_ERROR(require_tenant(tenant));
  Instant now = clock_.now();
  return modify(tenant, id, [&](boost::json::object& current) {
    return mutation::delete_attribute(current, name, dataset_id, delete_all, now);
  });
}

bool EntityService::tenant_exists(std::string_view tenant) const {
  return tenant.empty() || store_.has_tenant(tenant);
}

Status EntityService::require_tenant(std::string_view tenant) const {
  if (tenant_exists(tenant)) return ok_status();
  return make_error(ErrorKind::kNonexistentTenant,
                    "tenant '" + std::string(tenant) + "' does not exist");
}

}  // namespace citytwin::core
