// Batch entity operations (GS CIM 009 clauses 5.6.7 create, 5.6.8 upsert, 5.6.9 update,
// 5.6.10 delete, 5.6.21 merge). Every item is validated and applied in memory under the
// locks of all entities involved; the successful ones are then written in ONE atomic,
// durable store write, so a batch costs one fsync and no item is ever half applied.
#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/core/entity_record.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/mutation.hpp"
#include "entity_locks.hpp"
#include "history_capture.hpp"

namespace citytwin::core {
namespace form = model::form;

namespace {

using State = std::optional<boost::json::object>;

struct ItemChange {
  State next;  // the entity after the item; nullopt = deleted
  bool created = false;
};

Error missing(const std::string& id) {
  return make_error(ErrorKind::kResourceNotFound, "entity " + id + " not found");
}

const boost::json::object& attrs_of(const boost::json::object& entity) {
  static const boost::json::object kEmpty;
  const auto* attrs = entity.if_contains(form::kAttrs);
  return attrs != nullptr && attrs->is_object() ? attrs->as_object() : kEmpty;
}

Result<ItemChange> create_new(boost::json::object entity, Instant now) {
  mutation::stamp_new_entity(entity, now);
  return ItemChange{std::move(entity), true};
}

// Upsert with options=update and batch update: Append Entity Attributes (clause 5.6.3) plus
// the item's types added to the entity.
Result<ItemChange> append_to(boost::json::object current, const BatchItem& item, bool no_overwrite,
                             Instant now) {
  if (const auto* types = item.entity.if_contains(form::kType)) {
    auto added = mutation::add_entity_types(current, *types);
    if (!added) return std::move(added).error();
  }
  auto outcome = mutation::append_attributes(current, attrs_of(item.entity), no_overwrite, now);
  if (!outcome) return std::move(outcome).error();
  return ItemChange{std::move(current), false};
}

// `storage`: where the copy of the current entity that the item changes is made.
Result<ItemChange> apply_item(BatchKind kind, const State& current, const BatchItem& item,
                              Instant now, const boost::json::storage_ptr& storage) {
  switch (kind) {
    case BatchKind::kCreate:
      if (current) {
        return make_error(ErrorKind::kAlreadyExists, "entity " + item.id + " already exists");
      }
      return create_new(item.entity, now);
    case BatchKind::kUpsertReplace:
      if (!current) return create_new(item.entity, now);
      return ItemChange{mutation::replace_entity(*current, item.entity, now), false};
    case BatchKind::kUpsertUpdate:
      if (!current) return create_new(item.entity, now);
      return append_to(boost::json::object(*current, storage), item, false, now);
    case BatchKind::kUpdate:
    case BatchKind::kUpdateNoOverwrite:
      if (!current) return missing(item.id);
      return append_to(boost::json::object(*current, storage), item,
                       kind == BatchKind::kUpdateNoOverwrite, now);
    case BatchKind::kMerge: {
      if (!current) return missing(item.id);
      boost::json::object merged(*current, storage);
      auto outcome = mutation::merge_entity(merged, item.entity, now);
      if (!outcome) return std::move(outcome).error();
      return ItemChange{std::move(merged), false};
    }
    case BatchKind::kDelete:
      if (!current) return missing(item.id);
      return ItemChange{std::nullopt, false};
  }
  return make_error(ErrorKind::kInternalError, "unknown batch operation");
}

// The items that applied are not written after all: each reports `error`.
void fail_applied(BatchOutcome& outcome, const std::vector<std::size_t>& applied,
                  const Error& error) {
  for (std::size_t i : applied) {
    outcome.items[i].error = error;
    outcome.items[i].created = false;
  }
  outcome.created = 0;
}

// Per-id state of one batch. Hashed, not ordered: a batch of measures holds thousands of ids
// sharing a long prefix ("urn:ngsi-ld:Thing:dev"), and each tree lookup compared that prefix
// a dozen times. Nothing iterates these in key order (`dirty` keeps the write order).
template <class T>
using ById = std::unordered_map<std::string, T>;

// The items applied in memory, in order, over the loaded entities.
struct Applied {
  // The entities the applied items touched, after them; the others are as loaded.
  ById<State> states;
  // Each item's own history step (GS CIM 009 clause 4.5.7: every modification is a sample),
  // so an entity updated by several items of one batch keeps all of them.
  ById<std::vector<store::HistorySample>> history;
  std::vector<std::string> dirty;           // ids written, in first-touch order
  std::unordered_set<std::string> written;  // the ids in `dirty`
  ById<Instant> last_at;                    // the instant of each id's latest item
  std::vector<std::size_t> succeeded;
  std::optional<std::size_t> failed_unit;  // set: an all-or-none unit failed, start again
};

// Applies every item not in a dropped unit. An item of a unit that fails fails its whole
// unit: the caller drops it and applies again from the loaded entities, so no half of a
// unit is ever written (failures are rare, so the retry costs nothing in the common case).
Applied apply_items(BatchKind kind, const std::vector<BatchItem>& items, const ById<State>& loaded,
                    const std::set<std::size_t>& dropped_units, Instant now,
                    const boost::json::storage_ptr& storage, BatchOutcome& outcome) {
  Applied applied;
  applied.states.reserve(loaded.size());
  applied.history.reserve(loaded.size());
  applied.written.reserve(loaded.size());
  applied.last_at.reserve(loaded.size());
  outcome.created = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const BatchItem& item = items[i];
    if (item.unit != 0 && dropped_units.contains(item.unit)) continue;
    outcome.items[i].created = false;
    outcome.items[i].error.reset();
    // An item applies to the loaded entity (first touch) or to the previous item's result;
    // apply_item() makes the one copy it mutates (copying every loaded entity up front was a
    // second deep copy of each).
    auto [touched, first_touch] = applied.states.try_emplace(item.id);
    const State& state = first_touch ? loaded.at(item.id) : touched->second;
    // A history sample is identified by its instant within one write: several items of one
    // entity get increasing instants so that each stays a sample of its own.
    Instant at = item.at.value_or(now);
    auto [last, first] = applied.last_at.try_emplace(item.id, at);
    if (!first) {
      at.micros = std::max(at.micros, last->second.micros + 1);
      last->second = at;
    }
    auto change = apply_item(kind, state, item, at, storage);
    if (!change) {
      if (first_touch) applied.states.erase(touched);  // untouched after all: as loaded
      outcome.items[i].error = std::move(change).error();
      if (item.unit == 0) continue;
      for (std::size_t j = 0; j < items.size(); ++j) {
        if (items[j].unit == item.unit) outcome.items[j].error = outcome.items[i].error;
      }
      applied.failed_unit = item.unit;
      return applied;
    }
    if (change->created) ++outcome.created;
    outcome.items[i].created = change->created;
    auto step =
        history_between(state ? &*state : nullptr, change->next ? &*change->next : nullptr, at);
    auto& history = applied.history[item.id];
    history.insert(history.end(), std::make_move_iterator(step.begin()),
                   std::make_move_iterator(step.end()));
    touched->second = std::move(change->next);
    // A set, not a search of `dirty`: a batch of thousands of measures made that quadratic
    // (8 % of the server's CPU in the MQTT devices benchmark).
    if (applied.written.insert(item.id).second) applied.dirty.push_back(item.id);
    applied.succeeded.push_back(i);
  }
  return applied;
}

// First block of a batch's arena: the parsed entities take about three times their text, and
// each touched one is copied once more. Capped, so that a large batch grows the arena block by
// block (each twice the last) from the allocator's cached pages, not by one fresh mapping.
std::size_t arena_bytes(std::size_t loaded_bytes) {
  return std::clamp<std::size_t>(loaded_bytes * 6, 16 * 1024, 256 * 1024);
}

const std::string& id_of(const store::Change& change) {
  return change.kind == store::Change::Kind::kPut ? change.record.id : change.id;
}

// The changes in id order. Their ids are distinct, so the order means nothing to the store,
// but it writes each change's history rows in this order, and RocksDB inserts the keys of a
// write into its skip list from the previous insert's position: in first-touch order a batch
// of thousands of measures scattered them over the whole memtable, and each insert searched
// from the top.
void sort_by_id(std::vector<store::Change>& changes) {
  std::vector<std::size_t> order(changes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return id_of(changes[a]) < id_of(changes[b]); });
  std::vector<store::Change> sorted;
  sorted.reserve(changes.size());
  for (std::size_t i : order) sorted.push_back(std::move(changes[i]));
  changes = std::move(sorted);
}

}  // namespace

BatchOutcome EntityService::batch(std::string_view tenant, BatchKind kind,
                                  std::vector<BatchItem> items) {
  BatchOutcome outcome;
  outcome.items.resize(items.size());
  std::vector<std::size_t> stripes;
  std::vector<std::string> ids;
  ById<State> before;  // the entities as loaded, for history and events
  before.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    outcome.items[i].id = items[i].id;
    stripes.push_back(locks_->stripe(tenant, items[i].id));
    if (before.emplace(items[i].id, State{}).second) ids.push_back(items[i].id);
  }
  auto held = locks_->lock_all(std::move(stripes));

  auto documents = store_.multi_get_latest(tenant, ids);
  if (!documents) {
    for (auto& item : outcome.items) item.error = documents.error();
    return outcome;
  }
  // With changes observed, the stored texts are kept for the change record (EntityChange).
  bool recorded = observed(tenant);
  // Unobserved, the entities loaded and every state made of them live only for this call, so
  // they are built in one arena (as in modify()): no allocation per string, array and object,
  // and no destructor walk at the end. Observed, the events take the states over, so they
  // keep the default storage (a moved-from arena object would still point into the arena).
  std::size_t loaded_bytes = 0;
  for (const auto& document : *documents) loaded_bytes += document ? document->size() : 0;
  std::optional<boost::json::monotonic_resource> arena;
  boost::json::storage_ptr storage;
  if (!recorded) storage = boost::json::storage_ptr(&arena.emplace(arena_bytes(loaded_bytes)));
  ById<std::string> before_texts;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto& document = (*documents)[i];
    if (!document) continue;
    boost::system::error_code ec;
    auto parsed = citytwin::parse_json(*document, ec, storage);
    if (ec || !parsed.is_object()) continue;
    before[ids[i]] = std::move(parsed.as_object());
    if (recorded) before_texts.emplace(ids[i], std::move(*document));
  }

  Instant now = clock_.now();
  std::set<std::size_t> dropped_units;
  Applied applied = apply_items(kind, items, before, dropped_units, now, storage, outcome);
  while (applied.failed_unit) {
    dropped_units.insert(*applied.failed_unit);
    // Again from the loaded entities, with copies in the default storage: an arena frees
    // nothing before the batch ends, and a batch whose units fail one after another would
    // otherwise keep a copy of every entity per attempt.
    applied =
        apply_items(kind, items, before, dropped_units, now, boost::json::storage_ptr(), outcome);
  }

  std::vector<store::Change> changes;
  changes.reserve(applied.dirty.size());
  std::vector<std::function<void(bool)>> afters;
  std::vector<std::string> after_texts;  // in the order of applied.dirty, when recorded
  for (const auto& id : applied.dirty) {
    State& state = applied.states[id];
    const State& old = before.at(id);
    store::Change amended;
    if (state) {
      auto status = amend(tenant, old ? &*old : nullptr, *state, &amended, afters);
      if (!status.ok()) {
        fail_applied(outcome, applied.succeeded, status.error());
        return outcome;
      }
    }
    changes.push_back(state ? store::Change::put(make_record(*state)) : store::Change::remove(id));
    store::Change& change = changes.back();
    change.documents = std::move(amended.documents);
    change.history = std::move(applied.history[id]);
    change.history_types = recorded_types(change.history);
    if (recorded) after_texts.push_back(state ? change.record.document : std::string());
  }
  if (changes.empty()) return outcome;
  sort_by_id(changes);
  std::vector<EntityChange> events;
  if (recorded) {
    // Moved, not copied: the store's changes are built, so neither is read again.
    events.reserve(applied.dirty.size());
    for (std::size_t i = 0; i < applied.dirty.size(); ++i) {
      const std::string& id = applied.dirty[i];
      EntityChange& event = events.emplace_back();
      event.before = std::move(before.at(id));
      event.after = std::move(applied.states[id]);
      if (event.before) {
        if (auto text = before_texts.find(id); text != before_texts.end()) {
          event.before_text = std::move(text->second);
        }
      }
      event.after_text = std::move(after_texts[i]);
    }
  }
  auto status = commit(tenant, std::move(changes), std::move(events), std::move(afters));
  if (!status.ok()) fail_applied(outcome, applied.succeeded, status.error());
  return outcome;
}

}  // namespace citytwin::core
