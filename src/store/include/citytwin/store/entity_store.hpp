#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/store/history.hpp"
#include "citytwin/store/history_columns.hpp"

namespace citytwin::store {

// An axis-aligned box in WGS84 degrees (x = longitude, y = latitude).
struct Box {
  double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
};

// The bounding box of one GeoProperty instance, for the spatial index.
struct GeoEntry {
  std::string attribute;  // expanded attribute name, e.g. https://uri.etsi.org/ngsi-ld/location
  Box box;
};

// A spatial candidate search (EntityStore::ids_in_box).
struct BoxQuery {
  BoxQuery(std::string_view attribute_name, const Box& search_box,
           std::span<const std::string> any_of_types = {},
           std::function<bool(const Box&)> keep_filter = {})
      : attribute(attribute_name),
        box(search_box),
        types(any_of_types),
        keep(std::move(keep_filter)) {}

  std::string_view attribute;  // expanded GeoProperty name
  Box box;
  // Entities of any one of these expanded types; empty: of any type. Only narrows the
  // candidates, so a caller passes a superset of the types its query admits.
  std::span<const std::string> types;
  // When given, each hit's own box must pass it: a finer test such as the exact distance of a
  // point (a PostGIS backend would use ST_DWithin).
  std::function<bool(const Box&)> keep;
};

// One entry of the attribute value index: an entity has `attribute` with a value whose
// order-preserving encoding is `key`. The store treats the key as opaque bytes and only relies
// on byte order; core defines the encoding (citytwin/core/value_key.hpp).
struct ValueEntry {
  std::string attribute;  // expanded attribute name
  std::string key;        // order-preserving value key (any bytes)

  friend auto operator<=>(const ValueEntry&, const ValueEntry&) = default;
};

// What the store persists for an entity: its stored-form document plus the index terms
// core derived from it. The store never parses the document.
struct EntityRecord {
  std::string id;
  std::vector<std::string> types;       // expanded type IRIs
  std::vector<std::string> attributes;  // expanded attribute names
  std::vector<GeoEntry> geo;            // one per GeoProperty instance
  std::vector<ValueEntry> values;       // value index entries; duplicates count once
  std::string document;                 // serialized stored form (JSON)
};

// A small document (see EntityStore::put_document) written together with an entity change.
struct DocumentWrite {
  std::string ns;
  std::string key;
  std::string value;
};

// One change of EntityStore::write_documents(): a put of `value`, or a delete without one.
struct DocumentChange {
  std::string ns;
  std::string key;
  std::optional<std::string> value;
};

// One change in an atomic write: create-or-replace an entity, or delete it.
struct Change {
  // kHistory leaves the current state alone and only edits the history (temporal API).
  enum class Kind { kPut, kDelete, kHistory };
  Kind kind = Kind::kPut;
  EntityRecord record;  // kPut: the full new record
  std::string id;       // kDelete: the entity to remove (absent ids are ignored)
  // Appended to the entity's history in the same atomic write (kept when the entity is
  // deleted: the history of a deleted entity stays queryable).
  std::vector<HistorySample> history;
  // Removed from the entity's history in the same write, before `history` is appended.
  std::vector<HistoryErase> erase_history;
  // Types the entity's history now records (expanded IRIs), indexed so that temporal
  // queries find entities by type even without a current state (IndexSelector::history_type);
  // an entry stays until erase_history_types removes it (the whole history is erased).
  std::vector<std::string> history_types;
  std::vector<std::string> erase_history_types;
  // Put in the document family in the same atomic write (core's notification outbox: a
  // record of the change that survives a crash exactly when the change does).
  std::vector<DocumentWrite> documents;

  static Change put(EntityRecord record) {
    Change change;
    change.kind = Kind::kPut;
    change.id = record.id;
    change.record = std::move(record);
    return change;
  }
  static Change history_only(std::string id) {
    Change change;
    change.kind = Kind::kHistory;
    change.id = std::move(id);
    return change;
  }
  static Change remove(std::string id) {
    Change change;
    change.kind = Kind::kDelete;
    change.id = std::move(id);
    return change;
  }
};

// Which index a scan walks.
struct IndexSelector {
  // kHistoryType: entities whose history records the type (Change::history_types).
  enum class Kind { kAll, kType, kAttribute, kHistoryType };
  Kind kind = Kind::kAll;
  std::string term;  // the expanded type or attribute IRI for kType / kAttribute

  static IndexSelector all() { return {}; }
  static IndexSelector type(std::string iri) { return {Kind::kType, std::move(iri)}; }
  static IndexSelector attribute(std::string iri) { return {Kind::kAttribute, std::move(iri)}; }
  static IndexSelector history_type(std::string iri) {
    return {Kind::kHistoryType, std::move(iri)};
  }
};

// Walks entity ids of one index in ascending byte order.
class IdCursor {
 public:
  virtual ~IdCursor() = default;
  // Positions at the first id >= `id` (or the first id when `id` is empty).
  virtual void seek(std::string_view id) = 0;
  virtual bool valid() const = 0;
  virtual std::string_view id() const = 0;  // only while valid()
  virtual void next() = 0;
  virtual Status status() const = 0;  // an I/O error ends the walk (valid() turns false)
};

// A range of value keys for scan_values(). Bounds compare as bytes.
struct ValueRange {
  std::string lower;  // "" = from the first key
  bool lower_inclusive = true;
  std::optional<std::string> upper;  // nullopt = to the last key
  bool upper_inclusive = true;

  // The single key `key` (equality).
  static ValueRange exactly(std::string key) {
    ValueRange range;
    range.lower = key;
    range.upper = std::move(key);
    return range;
  }

  friend bool operator==(const ValueRange&, const ValueRange&) = default;
};

// The answer of scan_values().
struct ValueScan {
  std::vector<std::string> ids;  // ascending, unique
  // More than max_ids distinct ids are in the range, or the index cannot answer for this
  // tenant (see scan_values); `ids` is then incomplete and must not be used as the candidates.
  bool truncated = false;
};

struct TermCount {
  std::string term;
  std::uint64_t count = 0;
};

// Memory the storage engine holds, by component (0 where an implementation has none). These
// are bounded by configuration (docs/storage.md): they are exported so a soak run can tell
// caches filling up from a leak.
struct StoreMemory {
  std::uint64_t memtables = 0;         // write buffers not yet flushed, all families
  std::uint64_t pinned_memtables = 0;  // flushed write buffers still held by a reader
  std::uint64_t block_cache = 0;       // data, index and filter blocks in the shared cache
  std::uint64_t pinned_blocks = 0;     // the part of block_cache that cannot be evicted now
  std::uint64_t table_readers = 0;     // open SST readers outside the cache
  std::uint64_t entity_cache = 0;      // documents of recently read entities (RocksDB store)
};

// The orders in which lastN=1 picks an attribute's newest sample (core's temporal queries,
// GS CIM 009 clause 4.11): by observedAt (modifiedAt for an instance without it), or by
// modifiedAt; equal instants go to the later datasetId, modifiedAt and sequence.
enum class NewestOrder { kObservedAt, kModifiedAt };

// What EntityStore::find_newest() knows: `newest` when cached (itself empty when the
// attribute has no sample the order can pick), else the ticket for fill_newest().
struct NewestLookup {
  std::optional<std::optional<HistorySample>> newest;
  std::uint64_t ticket = 0;
};

struct StoreStats {
  std::uint64_t entities = 0;         // over all tenants
  std::uint64_t bytes_on_disk = 0;    // live SST + WAL files
  std::vector<TermCount> per_tenant;  // entity count per tenant ("" is the default tenant)
  // History compaction passes completed since the store opened (0 where history is not
  // compacted): one that starts after a write has compacted what that write left eligible.
  std::uint64_t history_compaction_passes = 0;
  // Of those, the passes that walked the raw history: a pass after one that found nothing to
  // compact or to wait for, with no raw sample written since, skips the walk.
  std::uint64_t history_compaction_walks = 0;
  // Compactions of the raw history family once enough of its rows were packed into chunks
  // (RocksDbOptions::history_compaction.reclaim_after_rows).
  std::uint64_t history_raw_reclaims = 0;
  StoreMemory memory;
};

// The narrow storage boundary below core. Implementations: rocksdb/ (production) and
// memory/ (tests). A PostgreSQL/PostGIS backend will implement the same interface.
//
// Tenants: "" is the default tenant. A tenant exists once any write has been applied to it.
// Durability: when apply() returns OK, the change survives a process kill (kill -9) and
// an OS crash of a machine whose disk honours fsync.
// Thread safety: every method may be called concurrently. apply() is atomic: readers see
// all of its changes or none.
class EntityStore {
 public:
  virtual ~EntityStore() = default;

  virtual Result<std::optional<std::string>> get(std::string_view tenant,
                                                 std::string_view id) const = 0;
  // Documents in the order of `ids`; nullopt where an entity does not exist.
  virtual Result<std::vector<std::optional<std::string>>> multi_get(
      std::string_view tenant, std::span<const std::string> ids) const = 0;

  // Applies every change atomically and durably, maintaining all indexes.
  virtual Status apply(std::string_view tenant, std::span<const Change> changes) = 0;

  // The history of `entity` in the tenant: samples of `attribute` (every attribute when
  // empty) in `range`, ordered by attribute, dataset id, then modified_at; at most `limit`.
  virtual Result<std::vector<HistorySample>> history(std::string_view tenant,
                                                     std::string_view entity,
                                                     std::string_view attribute,
                                                     const HistoryRange& range,
                                                     std::size_t limit) const = 0;
  // The samples history() would return, in the same order, handed one at a time to `visit`
  // (false stops the walk) instead of collected, so that a selective reader holds only what
  // it keeps. Default: history() without a limit; stores override it to stream.
  using HistoryVisitor = std::function<bool(const HistorySample&)>;
  virtual Status visit_history(std::string_view tenant, std::string_view entity,
                               std::string_view attribute, const HistoryRange& range,
                               const HistoryVisitor& visit) const;

  // The samples visit_history() would walk, in the same order, as columns: batches of one
  // instance's consecutive samples (an instance may come in several batches). Batches hold
  // only samples in `range`. Default: visit_history() with each instance's value classified
  // from its text; stores that keep chunks override it to hand over decoded columns.
  virtual Status visit_history_columns(std::string_view tenant, std::string_view entity,
                                       std::string_view attribute, const HistoryRange& range,
                                       const HistoryColumnsVisitor& visit) const;

  // A cache of each attribute's newest sample for lastN=1 (docs/storage.md, "Newest-sample
  // cache"), kept exact by the store's own writes: find_newest() answers from it or gives a
  // ticket; a reader that then found the newest sample by walking the history hands it back
  // with fill_newest(), which keeps it only if no write of the entity may have ended since
  // the ticket. Defaults: no cache (always a miss; fill_newest() does nothing).
  virtual NewestLookup find_newest(std::string_view tenant, std::string_view entity,
                                   std::string_view attribute, NewestOrder order) const;
  virtual void fill_newest(std::string_view tenant, std::string_view entity,
                           std::string_view attribute, NewestOrder order,
                           const std::optional<HistorySample>& newest, std::uint64_t ticket) const;

  // Deferred durability, for a caller that acknowledges many writes asynchronously (the HTTP
  // server): apply_deferred() orders the changes after every earlier write and returns once
  // they are visible to get_latest()/multi_get_latest() (the reads of a read-modify-write),
  // without waiting for the disk. Plain reads see them once they are durable. They are
  // durable when when_durable(write_mark() read after the call) reports OK; until then a
  // crash may lose them, so nothing may be acknowledged before. A failed group commit fails
  // every deferred write not yet durable, and every later one (the store needs a restart).
  // Defaults: stores whose apply() is cheap just apply synchronously.
  virtual Status apply_deferred(std::string_view tenant, std::span<const Change> changes);
  // Whether writes can succeed: after a failed group commit the store refuses every write
  // until restarted (the error says why). Default: always OK.
  virtual Status write_health() const;
  // The sequence number of the newest deferred write (0 when there is none).
  virtual std::uint64_t write_mark() const;
  // Calls `done` once every deferred write up to `mark` is durable (OK) or lost (the error);
  // at once, on the calling thread, when that is already known; otherwise on the store's
  // commit thread, so `done` must be quick (post elsewhere for real work).
  virtual void when_durable(std::uint64_t mark, std::function<void(Status)> done);
  // Like get()/multi_get() but also seeing deferred writes not yet durable.
  virtual Result<std::optional<std::string>> get_latest(std::string_view tenant,
                                                        std::string_view id) const;
  virtual Result<std::vector<std::optional<std::string>>> multi_get_latest(
      std::string_view tenant, std::span<const std::string> ids) const;

  virtual std::unique_ptr<IdCursor> scan(std::string_view tenant,
                                         const IndexSelector& selector) const = 0;
  virtual Result<std::uint64_t> count(std::string_view tenant,
                                      const IndexSelector& selector) const = 0;
  // Ids (ascending, unique) of entities with an instance of `query.attribute` whose box
  // intersects `query.box`, of one of `query.types` when some are given, and passing
  // `query.keep` when given (see BoxQuery).
  virtual Result<std::vector<std::string>> ids_in_box(std::string_view tenant,
                                                      const BoxQuery& query) const = 0;

  // Ids (ascending, unique) of entities of the tenant with a ValueEntry of `attribute` whose
  // key lies in `range`, at most `max_ids` of them. truncated = true when more than max_ids
  // distinct ids would be returned, and also when the index is incomplete for the tenant
  // (entities written before the index existed and not rewritten since): the caller must
  // then use another plan. The default implementation always answers truncated, so a store
  // without a value index stays correct.
  virtual Result<ValueScan> scan_values(std::string_view tenant, std::string_view attribute,
                                        const ValueRange& range, std::size_t max_ids) const;

  virtual bool has_tenant(std::string_view tenant) const = 0;
  virtual std::vector<std::string> tenants() const = 0;
  // Every type / attribute IRI in use in the tenant with its number of entities.
  virtual Result<std::vector<TermCount>> type_counts(std::string_view tenant) const = 0;
  virtual Result<std::vector<TermCount>> attribute_counts(std::string_view tenant) const = 0;
  // Every type IRI of the tenant's history-types index (the types of entities with a
  // recorded history, deleted ones included), ascending: with scan(history_type(t)) it
  // reaches every entity that has history.
  virtual Result<std::vector<std::string>> history_types(std::string_view tenant) const = 0;

  virtual StoreStats stats() const = 0;

  // Runs one pass of history compaction now and waits for it to be durable: a store that
  // keeps history compressed (RocksDB) moves eligible old samples into chunks. history()
  // returns the same before and after. Default: nothing to do (history stays raw).
  virtual Status compact_history();

  // Small durable documents that are not entities (cached @contexts, subscriptions, ...),
  // grouped by namespace. Not tenant-scoped: callers put the tenant in the key if needed.
  virtual Status put_document(std::string_view ns, std::string_view key,
                              std::string_view value) = 0;
  virtual Status delete_document(std::string_view ns, std::string_view key) = 0;
  // Deletes several documents in one write (one fsync where the store syncs). Default: one
  // delete_document() each.
  virtual Status delete_documents(std::string_view ns, std::span<const std::string> keys);
  // Puts and deletes documents of any namespaces in one atomic write (one fsync where the
  // store syncs), durable when it returns OK; each key at most once. Default: one
  // put_document()/delete_document() each (not atomic).
  virtual Status write_documents(std::span<const DocumentChange> changes);
  virtual Result<std::optional<std::string>> get_document(std::string_view ns,
                                                          std::string_view key) const = 0;
  virtual Result<std::vector<std::pair<std::string, std::string>>> list_documents(
      std::string_view ns) const = 0;
  // The documents of `ns` with lower <= key < upper (byte order), ascending: a range of a
  // namespace whose keys sort by what is looked up (the rollup rows, docs/timeseries.md).
  // Default: list_documents() filtered.
  virtual Result<std::vector<std::pair<std::string, std::string>>> documents_between(
      std::string_view ns, std::string_view lower, std::string_view upper) const;
};

}  // namespace citytwin::store
