// The RocksDB EntityStore.
//
// Layout (one column family per concept; "|" joins key parts, see key_codec.hpp for the
// escaping that keeps arbitrary bytes in names unambiguous):
//   entities     tenant|id                -> document (stored-form JSON)
//   entity_meta  tenant|id                -> the record's types, attributes and geo entries
//                                            (meta_codec.hpp), read by apply() to find the
//                                            index keys to remove without parsing documents
//   type_index   tenant|type|id           -> ""
//   attr_index   tenant|attribute|id      -> ""
//   geo          tenant|attribute|id|n    -> box as 4 doubles (source of the R-trees)
//   counts       tenant|kind|term         -> int64 counter updated by a merge operator
//   tenants      tenant                   -> ""
//   documents    namespace|key            -> value
//   value_index  tenant|attribute|value key|id -> "" (value keys are opaque, order-preserving
//                                            bytes computed by core)
//   history      tenant|entity|attribute|dataset|modified_at|sequence -> one raw sample
//   history_chunks  the same key, of a chunk's first sample -> compressed samples of one
//                                            attribute instance (history_chunk_codec.hpp)
//
// History compaction: a background thread (HistoryCompactionOptions) moves old raw samples
// into chunks, one instance at a time, in one atomic batch (delete the raw rows, put the
// chunks) queued through the CommitQueue like every other write. It holds the entity's lock
// and first waits until every submitted write is durable, so what it reads is current and no
// pending erase or overwrite can be undone by it. Reads merge both families from one
// snapshot; an edit of one compacted sample turns its chunk back into raw rows in the edit's
// own batch (history_chunk_store.hpp). Crash safety is RocksDB's: a batch is applied whole or
// not at all after a crash, so a sample is always either raw or in a chunk, never both or
// neither.
//
// Writes: apply() locks the touched entities (striped), reads their old metas (the newest,
// including writes not yet durable), and adds ONE all-or-nothing set of writes (documents,
// metas, every index key added or removed, counter deltas and the tenant marker) to the
// open group of the CommitQueue (commit_queue.hpp). The commit thread writes each group with
// one DB::Write, WriteOptions::sync = sync_writes: one WAL append and fsync for every write
// that arrived during the previous one. apply() waits for its group; apply_deferred()
// returns at once and the caller waits with when_durable() before acknowledging. Either way
// an acknowledged write survives kill -9 and power loss. Only after a group is durable is
// the in-memory spatial index updated (under its per-tenant writer lock, so queries see a
// write wholly or not at all).
//
// Counts: a merge operator adds +1/-1 deltas in the same batch (count_merge_operator.hpp).
// Chosen over in-memory counters rebuilt at open because it keeps open time independent of
// the number of index keys (a rebuild would scan every type and attribute key: tens of
// millions for 1M entities) and counts stay exact and atomic with the data.
//
// Open: DB::Open replays the WAL (point-in-time recovery), then the tenant set is read from
// `tenants` and the R-trees are bulk-loaded from `geo`. Nothing else is cached. A clean
// shutdown (the destructor) flushes the memtables, so a normal restart replays no WAL.
#include "citytwin/store/rocksdb_store.hpp"

#include "citytwin/common/thread_name.hpp"
#include "citytwin/store/history_chunk_stats.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/transaction_log.h>
#include <rocksdb/write_batch.h>

#include "citytwin/store/change_validation.hpp"
#include "citytwin/store/spatial_index.hpp"
#include "column_families.hpp"
#include "commit_queue.hpp"
#include "db_options.hpp"
#include "entity_locks.hpp"
#include "entity_read_cache.hpp"
#include "history_bulk_chunks.hpp"
#include "history_chunk_store.hpp"
#include "history_codec.hpp"
#include "key_codec.hpp"
#include "meta_codec.hpp"
#include "newest_sample_cache.hpp"
#include "rocksdb_cursor.hpp"
#include "status_mapping.hpp"
#include "write_plan.hpp"

namespace citytwin::store {
namespace {

using kv::CountKind;
using kv::Family;

// Writes queued beyond this wait for the disk to catch up.
constexpr std::size_t kMaxGroupBytes = std::size_t{64} << 20;

std::string_view view(const rocksdb::Slice& slice) {
  return std::string_view(slice.data(), slice.size());
}

Error corruption(std::string what) {
  return make_error(ErrorKind::kInternalError, "storage: corrupt " + std::move(what));
}

// Summarized walks of many entities from one snapshot, with the same iterators, bounded by
// the history of the last entity the reader was made for.
class SummarizedReader final : public SummarizedHistoryReader {
 public:
  SummarizedReader(const kv::HistoryFamilies& families, std::string_view tenant,
                   std::string_view last_entity)
      : families_(families),
        iterators_(families, kv::prefix_successor(kv::history_entity_prefix(tenant, last_entity))) {
  }

  Status visit(std::string_view tenant, std::string_view entity, std::string_view attribute,
               const HistoryRange& range, const HistoryColumnsVisitor& visit,
               const HistoryChunkFilter& filter, const ObservedDecimalsVisitor& decimals) override {
    std::string entity_prefix = kv::history_entity_prefix(tenant, entity);
    std::string prefix = entity_prefix;
    if (!attribute.empty()) kv::append_history_attribute(prefix, attribute);
    const kv::HistoryWalkVisitors visitors{visit, filter, decimals};
    if (prefix >= iterators_.upper_bound()) {  // past the reader's entities: a walk of its own
      return kv::visit_history_columns(families_, entity_prefix, prefix, range, visitors);
    }
    return kv::visit_history_columns(iterators_, entity_prefix, prefix, range, visitors);
  }

 private:
  kv::HistoryFamilies families_;
  kv::HistoryWalkIterators iterators_;
};

class RocksDbStore final : public EntityStore, public SummarizedHistory {
 public:
  RocksDbStore(const RocksDbOptions& options, std::unique_ptr<rocksdb::DB> db,
               std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : db_(std::move(db)),
        handles_(std::move(handles)),
        entity_cache_(options.entity_cache_bytes - 2 * meta_cache_bytes(options)),
        meta_cache_(meta_cache_bytes(options)),
        newest_cache_(meta_cache_bytes(options)),
        compaction_(options.history_compaction) {
    write_options_.sync = options.sync_writes;
    queue_ = std::make_unique<kv::CommitQueue>(*db_, write_options_, kMaxGroupBytes);
  }

  // Started after load(): the compactor must not race the open-time migrations.
  void start_compactor() {
    if (compaction_.background) compactor_ = std::thread([this] { run_compactor(); });
  }

  // A clean shutdown flushes the memtables so that the next open has no WAL to replay
  // (seconds for a full write buffer). Failures are ignored: every acknowledged write is in
  // the WAL already and will be replayed instead.
  ~RocksDbStore() override {
    stop_compactor();
    queue_.reset();  // commits what is queued
    rocksdb::FlushOptions flush;
    flush.wait = true;
    db_->Flush(flush, handles_).PermitUncheckedError();
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
  }

  Status load() {
    CT_RETURN_IF_ERROR(load_tenants());
    CT_RETURN_IF_ERROR(migrate_value_index());
    CT_RETURN_IF_ERROR(kv::fill_missing_chunk_spans(history_families(), write_options_));
    return load_spatial_index();
  }

  Result<std::optional<std::string>> get(std::string_view tenant,
                                         std::string_view id) const override {
    const std::string key = kv::entity_key(tenant, id);
    kv::EntityReadCache::Lookup cached = entity_cache_.find(key);
    if (cached.value) return std::move(cached.value);
    std::string document;
    rocksdb::Status status =
        db_->Get(rocksdb::ReadOptions(), family(Family::kEntities), key, &document);
    if (status.IsNotFound()) return std::optional<std::string>();
    if (!status.ok()) return kv::to_error(status, "get");
    entity_cache_.fill(key, document, cached.ticket);
    return std::optional<std::string>(std::move(document));
  }

  Result<std::vector<std::optional<std::string>>> multi_get(
      std::string_view tenant, std::span<const std::string> ids) const override {
    return read_many(Family::kEntities, entity_keys(tenant, ids), "multi_get");
  }

  Result<std::optional<std::string>> get_latest(std::string_view tenant,
                                                std::string_view id) const override {
    if (auto pending = queue_->pending(Family::kEntities, kv::entity_key(tenant, id))) {
      return std::move(*pending);
    }
    return get(tenant, id);
  }

  // Not one snapshot (whole = false): the reads of a read-modify-write come from a writer
  // that holds the entity locks of `ids` (core::EntityService::batch), so none of these keys
  // can change during the read, and a mix of cached, pending and stored values is the state
  // of one moment. Taking a snapshot whenever another entity's write was under way - always,
  // under a steady write load - re-read every cached document from RocksDB (7 % of the
  // server's CPU per MQTT measure at 2,000 measures/s, docs/performance.md).
  Result<std::vector<std::optional<std::string>>> multi_get_latest(
      std::string_view tenant, std::span<const std::string> ids) const override {
    return read_many_latest(Family::kEntities, entity_keys(tenant, ids), "multi_get",
                            /*whole=*/false);
  }

  Status apply(std::string_view tenant, std::span<const Change> changes) override {
    auto sequence = submit(tenant, changes);
    if (!sequence.ok()) return std::move(sequence).error();
    return *sequence == 0 ? ok_status() : queue_->wait_durable(*sequence);
  }

  Status apply_deferred(std::string_view tenant, std::span<const Change> changes) override {
    auto sequence = submit(tenant, changes);
    return sequence.ok() ? ok_status() : Status(std::move(sequence).error());
  }

  std::uint64_t write_mark() const override { return queue_->last_submitted(); }

  Status write_health() const override { return queue_->failure(); }

  void when_durable(std::uint64_t mark, std::function<void(Status)> done) override {
    queue_->when_durable(mark, std::move(done));
  }

  std::unique_ptr<IdCursor> scan(std::string_view tenant,
                                 const IndexSelector& selector) const override {
    auto cursor = selector.kind == IndexSelector::Kind::kAll
                      ? std::make_unique<kv::RocksDbCursor>(*db_, family(Family::kEntities),
                                                            kv::tenant_prefix(tenant))
                      : std::make_unique<kv::RocksDbCursor>(*db_, family(index_family(selector)),
                                                            kv::term_prefix(tenant, selector.term));
    cursor->seek({});
    return cursor;
  }

  Result<std::uint64_t> count(std::string_view tenant,
                              const IndexSelector& selector) const override {
    switch (selector.kind) {
      case IndexSelector::Kind::kAll:
        return read_counter(kv::count_key(tenant, CountKind::kEntities, {}));
      case IndexSelector::Kind::kType:
        return read_counter(kv::count_key(tenant, CountKind::kType, selector.term));
      case IndexSelector::Kind::kAttribute:
        return read_counter(kv::count_key(tenant, CountKind::kAttribute, selector.term));
      case IndexSelector::Kind::kHistoryType:
        return make_error(ErrorKind::kOperationNotSupported, "history types are not counted");
    }
    return std::uint64_t{0};
  }

  Result<std::vector<std::string>> ids_in_box(std::string_view tenant,
                                              const BoxQuery& query) const override {
    return spatial_->query(tenant, query);
  }

  Result<ValueScan> scan_values(std::string_view tenant, std::string_view attribute,
                                const ValueRange& range, std::size_t max_ids) const override {
    ValueScan scan;
    auto legacy = read_counter(kv::count_key(tenant, CountKind::kLegacy, {}));
    if (!legacy.ok()) return std::move(legacy).error();
    if (*legacy > 0) {  // some entities have no value keys: the index would miss them
      scan.truncated = true;
      return scan;
    }
    std::string prefix = kv::term_prefix(tenant, attribute);
    auto [begin, end] = value_key_bounds(prefix, range);
    if (begin >= end) return scan;
    rocksdb::Slice end_slice(end);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &end_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, family(Family::kValueIndex)));
    // An entity appears once per matching value (several instances or dataset ids), so the
    // list is deduplicated whenever it outgrows the next check (twice what it held after the
    // last one, so sorting stays linear overall), and is truncated only if it still holds
    // more than max_ids. A sorted vector costs a third of a std::set here (profile of q).
    auto deduplicate = [&scan] {
      std::sort(scan.ids.begin(), scan.ids.end());
      scan.ids.erase(std::unique(scan.ids.begin(), scan.ids.end()), scan.ids.end());
    };
    std::size_t next_check = max_ids;
    for (it->Seek(begin); it->Valid(); it->Next()) {
      auto id = kv::value_index_id(view(it->key()).substr(prefix.size()));
      if (!id) return corruption("value index entry");
      scan.ids.emplace_back(*id);
      if (scan.ids.size() <= next_check) continue;
      deduplicate();
      if (scan.ids.size() > max_ids) break;
      next_check = std::max(max_ids, 2 * scan.ids.size());
    }
    CT_RETURN_IF_ERROR(kv::to_status(it->status(), "scanning value_index"));
    deduplicate();
    if (scan.ids.size() > max_ids) {
      scan.truncated = true;
      scan.ids.resize(max_ids);
    }
    return scan;
  }

  // Raw rows and chunks merged (history_chunk_store.hpp).
  Result<std::vector<HistorySample>> history(std::string_view tenant, std::string_view entity,
                                             std::string_view attribute, const HistoryRange& range,
                                             std::size_t limit) const override {
    std::string entity_prefix = kv::history_entity_prefix(tenant, entity);
    std::string prefix = entity_prefix;
    if (!attribute.empty()) kv::append_history_attribute(prefix, attribute);
    return kv::read_history(history_families(), entity_prefix, prefix, range, limit);
  }

  Status visit_history(std::string_view tenant, std::string_view entity, std::string_view attribute,
                       const HistoryRange& range, const HistoryVisitor& visit) const override {
    std::string entity_prefix = kv::history_entity_prefix(tenant, entity);
    std::string prefix = entity_prefix;
    if (!attribute.empty()) kv::append_history_attribute(prefix, attribute);
    return kv::visit_history(history_families(), entity_prefix, prefix, range, visit);
  }

  Status visit_history_columns(std::string_view tenant, std::string_view entity,
                               std::string_view attribute, const HistoryRange& range,
                               const HistoryColumnsVisitor& visit) const override {
    return visit_history_summarized(tenant, entity, attribute, range, visit, nullptr, nullptr);
  }

  NewestLookup find_newest(std::string_view tenant, std::string_view entity,
                           std::string_view attribute, NewestOrder order) const override {
    return newest_cache_.find(kv::NewestSampleCache::entity_key(tenant, entity), attribute, order);
  }

  void fill_newest(std::string_view tenant, std::string_view entity, std::string_view attribute,
                   NewestOrder order, const std::optional<HistorySample>& newest,
                   std::uint64_t ticket) const override {
    newest_cache_.fill(kv::NewestSampleCache::entity_key(tenant, entity), attribute, order, newest,
                       ticket);
  }

  Status visit_history_summarized(std::string_view tenant, std::string_view entity,
                                  std::string_view attribute, const HistoryRange& range,
                                  const HistoryColumnsVisitor& visit,
                                  const HistoryChunkFilter& filter,
                                  const ObservedDecimalsVisitor& decimals) const override {
    std::string entity_prefix = kv::history_entity_prefix(tenant, entity);
    std::string prefix = entity_prefix;
    if (!attribute.empty()) kv::append_history_attribute(prefix, attribute);
    return kv::visit_history_columns(history_families(), entity_prefix, prefix, range,
                                     kv::HistoryWalkVisitors{visit, filter, decimals});
  }

  std::unique_ptr<SummarizedHistoryReader> summarized_reader(
      std::string_view tenant, std::string_view last_entity) const override {
    return std::make_unique<SummarizedReader>(history_families(), tenant, last_entity);
  }

  Status compact_history() override {
    CT_RETURN_IF_ERROR(compaction_pass());
    return queue_->wait_durable(queue_->last_submitted());
  }

  bool has_tenant(std::string_view tenant) const override {
    std::shared_lock lock(tenants_mutex_);
    return tenants_.contains(tenant);
  }

  std::vector<std::string> tenants() const override {
    std::shared_lock lock(tenants_mutex_);
    return std::vector<std::string>(tenants_.begin(), tenants_.end());
  }

  Result<std::vector<TermCount>> type_counts(std::string_view tenant) const override {
    return read_counts(kv::count_prefix(tenant, CountKind::kType));
  }

  Result<std::vector<TermCount>> attribute_counts(std::string_view tenant) const override {
    return read_counts(kv::count_prefix(tenant, CountKind::kAttribute));
  }

  // Walks the index's terms, jumping from one to the next over their ids.
  Result<std::vector<std::string>> history_types(std::string_view tenant) const override {
    std::vector<std::string> types;
    std::string prefix = kv::tenant_prefix(tenant);
    std::string end = kv::prefix_successor(prefix);
    rocksdb::Slice end_slice(end);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &end_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, family(Family::kHistoryTypes)));
    for (it->Seek(prefix); it->Valid();) {
      std::string_view rest(it->key().data() + prefix.size(), it->key().size() - prefix.size());
      auto type = kv::read_component(rest);
      if (!type) return corruption("history type key");
      it->Seek(kv::prefix_successor(kv::term_prefix(tenant, *type)));
      types.push_back(std::move(*type));
    }
    CT_RETURN_IF_ERROR(kv::to_status(it->status(), "reading history types"));
    return types;
  }

  // Best effort: a counter that cannot be read counts as 0 (stats() cannot fail).
  StoreStats stats() const override {
    StoreStats stats;
    stats.history_compaction_passes = compaction_passes_.load(std::memory_order_relaxed);
    stats.history_compaction_walks = compaction_walks_.load(std::memory_order_relaxed);
    stats.history_raw_reclaims = raw_reclaims_.load(std::memory_order_relaxed);
    for (const std::string& tenant : tenants()) {
      auto entities = read_counter(kv::count_key(tenant, CountKind::kEntities, {}));
      std::uint64_t count = entities.ok() ? *entities : 0;
      stats.entities += count;
      stats.per_tenant.push_back(TermCount{tenant, count});
    }
    stats.bytes_on_disk = sst_bytes() + live_wal_bytes();
    stats.memory = memory();
    return stats;
  }

  Status put_document(std::string_view ns, std::string_view key, std::string_view value) override {
    return kv::to_status(
        db_->Put(write_options_, family(Family::kDocuments), kv::document_key(ns, key), value),
        "put_document");
  }

  Status delete_document(std::string_view ns, std::string_view key) override {
    return kv::to_status(
        db_->Delete(write_options_, family(Family::kDocuments), kv::document_key(ns, key)),
        "delete_document");
  }

  Status delete_documents(std::string_view ns, std::span<const std::string> keys) override {
    if (keys.empty()) return ok_status();
    rocksdb::WriteBatch batch;
    for (const auto& key : keys) {
      CT_RETURN_IF_ERROR(kv::to_status(
          batch.Delete(family(Family::kDocuments), kv::document_key(ns, key)), "delete_documents"));
    }
    return kv::to_status(db_->Write(write_options_, &batch), "delete_documents");
  }

  Status write_documents(std::span<const DocumentChange> changes) override {
    if (changes.empty()) return ok_status();
    rocksdb::WriteBatch batch;
    for (const auto& change : changes) {
      std::string key = kv::document_key(change.ns, change.key);
      auto added = change.value ? batch.Put(family(Family::kDocuments), key, *change.value)
                                : batch.Delete(family(Family::kDocuments), key);
      CT_RETURN_IF_ERROR(kv::to_status(added, "write_documents"));
    }
    return kv::to_status(db_->Write(write_options_, &batch), "write_documents");
  }

  Result<std::optional<std::string>> get_document(std::string_view ns,
                                                  std::string_view key) const override {
    std::string value;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), family(Family::kDocuments),
                                      kv::document_key(ns, key), &value);
    if (status.IsNotFound()) return std::optional<std::string>();
    if (!status.ok()) return kv::to_error(status, "get_document");
    return std::optional<std::string>(std::move(value));
  }

  Result<std::vector<std::pair<std::string, std::string>>> list_documents(
      std::string_view ns) const override {
    std::vector<std::pair<std::string, std::string>> documents;
    Status status =
        for_each_with_prefix(Family::kDocuments, kv::document_prefix(ns),
                             [&](std::string_view key, std::string_view value) -> Status {
                               documents.emplace_back(std::string(key), std::string(value));
                               return ok_status();
                             });
    if (!status.ok()) return std::move(status).error();
    return documents;
  }

  Result<std::vector<std::pair<std::string, std::string>>> documents_between(
      std::string_view ns, std::string_view lower, std::string_view upper) const override {
    std::string prefix = kv::document_prefix(ns);
    std::string last = kv::document_key(ns, upper);
    rocksdb::Slice upper_slice(last);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, family(Family::kDocuments)));
    std::vector<std::pair<std::string, std::string>> documents;
    for (it->Seek(kv::document_key(ns, lower)); it->Valid(); it->Next()) {
      documents.emplace_back(std::string(view(it->key()).substr(prefix.size())),
                             std::string(view(it->value())));
    }
    CT_RETURN_IF_ERROR(kv::to_status(it->status(), "documents_between"));
    return documents;
  }

 private:
  rocksdb::ColumnFamilyHandle* family(Family which) const { return handles_[kv::index_of(which)]; }

  static Family index_family(const IndexSelector& selector) {
    switch (selector.kind) {
      case IndexSelector::Kind::kType:
        return Family::kTypeIndex;
      case IndexSelector::Kind::kHistoryType:
        return Family::kHistoryTypes;
      default:
        return Family::kAttrIndex;
    }
  }

  // The [begin, end) keys of value_index that hold the value keys of `range` under `prefix`
  // (tenant|attribute). Value keys are components, which keep byte order, and every key of
  // one value key starts with prefix|component(value key): so a bound that includes a value
  // key extends to the successor of that key's prefix.
  static std::pair<std::string, std::string> value_key_bounds(const std::string& prefix,
                                                              const ValueRange& range) {
    auto value_prefix = [&](std::string_view value_key) {
      std::string key = prefix;
      kv::append_component(key, value_key);
      return key;
    };
    std::string begin = value_prefix(range.lower);
    if (!range.lower_inclusive) begin = kv::prefix_successor(begin);
    std::string end = kv::prefix_successor(prefix);
    if (range.upper) {
      end = value_prefix(*range.upper);
      if (range.upper_inclusive) end = kv::prefix_successor(end);
    }
    return {std::move(begin), std::move(end)};
  }

  // Values of `keys` in one family; nullopt where a key is absent. Entity documents come from the
  // entity read cache where it has them and the rest from one database snapshot, provided no entity
  // write overlapped the whole read; otherwise all come from the snapshot, so that a batch is seen
  // whole or not at all. The lookups (and their tickets) precede the snapshot: a write between the
  // two then makes the fill a no-op (entity_read_cache.hpp). `whole`: the values must be of one
  // moment. A single key always is; so are keys whose writers the caller has locked out (the
  // store's entity locks, read_metas()), which may then mix cached values with read ones even
  // while other entities are being written, as they always are under a write load.
  Result<std::vector<std::optional<std::string>>> read_many(Family which,
                                                            const std::vector<std::string>& keys,
                                                            std::string_view what,
                                                            bool whole = true) const {
    kv::EntityReadCache* cache = cache_of(which);
    if (cache == nullptr || !cache->enabled()) return read_many_uncached(which, keys, what);
    const kv::EntityReadCache::Epoch epoch = cache->since();
    std::vector<std::optional<std::string>> result(keys.size());
    std::vector<std::string> missed_keys;
    std::vector<std::size_t> missed_positions;
    std::vector<std::uint64_t> tickets;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      kv::EntityReadCache::Lookup cached = cache->find(keys[i]);
      if (cached.value) {
        result[i] = std::move(cached.value);
        continue;
      }
      missed_keys.push_back(keys[i]);
      missed_positions.push_back(i);
      tickets.push_back(cached.ticket);
    }
    const bool mixed = whole && keys.size() > 1 && missed_keys.size() < keys.size();
    if (mixed && !missed_keys.empty() && !cache->quiet(epoch)) {
      return read_many_uncached(which, keys, what);  // a write under way: one snapshot
    }
    std::vector<std::optional<std::string>> read;
    if (!missed_keys.empty()) {
      auto documents = read_many_uncached(which, missed_keys, what);
      if (!documents) return std::move(documents).error();
      read = std::move(*documents);
    }
    if (mixed && !cache->quiet(epoch)) return read_many_uncached(which, keys, what);
    for (std::size_t j = 0; j < missed_keys.size(); ++j) {
      if (read[j]) cache->fill(missed_keys[j], *read[j], tickets[j]);
      result[missed_positions[j]] = std::move(read[j]);
    }
    return result;
  }

  // The read cache in front of a family's point lookups, if any.
  kv::EntityReadCache* cache_of(Family which) const {
    if (which == Family::kEntities) return &entity_cache_;
    if (which == Family::kEntityMeta) return &meta_cache_;
    return nullptr;
  }

  // The meta cache's share of the entity cache budget (metas are a fraction of a document's
  // size, and a write needs both), and the newest-sample cache's.
  static std::size_t meta_cache_bytes(const RocksDbOptions& options) {
    return options.entity_cache_bytes / 8;
  }

  // Values of `keys` in one family from one snapshot; nullopt where a key is absent.
  Result<std::vector<std::optional<std::string>>> read_many_uncached(
      Family which, const std::vector<std::string>& keys, std::string_view what) const {
    rocksdb::ManagedSnapshot snapshot(db_.get());
    rocksdb::ReadOptions read;
    read.snapshot = snapshot.snapshot();
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    // The batched form: it looks the keys up file by file (one filter and index probe per
    // file for the whole batch). The vector-of-families overload is a loop of single Gets,
    // which made lookups 41% of a geo query's CPU with every block cached.
    db_->MultiGet(read, family(which), keys.size(), slices.data(), values.data(), statuses.data());
    std::vector<std::optional<std::string>> result(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].IsNotFound()) continue;
      if (!statuses[i].ok()) return kv::to_error(statuses[i], what);
      result[i].emplace(values[i].data(), values[i].size());
    }
    return result;
  }

  // The sequence number of the write in the commit queue (0: nothing to write). The entity
  // locks make the metas read here, the newest ones, stay the newest until the plan is queued.
  Result<std::uint64_t> submit(std::string_view tenant, std::span<const Change> changes) {
    if (changes.empty()) return std::uint64_t{0};
    CT_RETURN_IF_ERROR(validate_changes(changes));
    std::vector<std::string> ids = kv::touched_ids(changes);
    kv::EntityLocks::Guard guard = locks_.lock(tenant, ids);
    auto before = read_metas(tenant, ids);
    if (!before.ok()) return std::move(before).error();
    auto explode = chunks_to_explode(tenant, changes);
    if (!explode.ok()) return std::move(explode).error();
    auto trims = history_trims(tenant, changes);
    if (!trims.ok()) return std::move(trims).error();
    auto bulk = bulk_chunks(tenant, changes);
    if (!bulk.ok()) return std::move(bulk).error();
    // A known tenant's marker is in the database already: has_tenant() learns a tenant only
    // from the database at open or from a committed batch that put the marker.
    kv::WritePlan plan = kv::plan_apply(tenant, changes, *before, !has_tenant(tenant));
    // Entity documents and metas this plan writes: out of the read caches until the batch is
    // in the database, then the values written (entity_read_cache.hpp).
    auto writing = std::make_shared<const std::vector<CachedWrite>>(cached_writes(plan));
    for (const CachedWrite& write : *writing) write.cache->begin_write(write.key);
    // The write's sequence numbers its new history samples; fill() learns it.
    auto newest =
        std::make_shared<NewestWrite>(NewestWrite{newest_cache_.plan(tenant, changes), 0});
    auto after_commit = [this, tenant = std::string(tenant), geo = std::move(plan.geo),
                         written = writing, newest] {
      for (const CachedWrite& write : *written) write.cache->end_write(write.key, write.value);
      for (const kv::NewestUpdate& update : newest->updates) {
        newest_cache_.apply(update, newest->sequence);
      }
      spatial_->update(tenant, geo);
      remember_tenant(tenant);
    };
    auto fill = [&](rocksdb::WriteBatch& batch, std::uint64_t sequence) -> Status {
      newest->sequence = sequence;
      CT_RETURN_IF_ERROR(fill_batch(plan, batch));
      // Exploded chunks first: the edits below then apply to their raw rows.
      for (const auto& [instance, chunk] : *explode) {
        CT_RETURN_IF_ERROR(kv::fill_explode(history_families(), instance, chunk, batch));
      }
      for (const auto& [cutoff, trim] : *trims) {
        CT_RETURN_IF_ERROR(kv::fill_trim(history_families(), trim, cutoff, batch));
      }
      CT_RETURN_IF_ERROR(fill_documents(changes, batch));
      CT_RETURN_IF_ERROR(kv::fill_bulk_chunks(history_families(), *bulk, sequence, batch));
      return fill_history(tenant, changes, *bulk, sequence, batch);
    };
    auto sequence = queue_->submit(plan, fill, std::move(after_commit));
    if (!sequence) {  // not queued: after_commit will never run
      for (const CachedWrite& write : *writing) write.cache->end_write(write.key);
    }
    return sequence;
  }

  struct NewestWrite {
    std::vector<kv::NewestUpdate> updates;
    std::uint64_t sequence = 0;
  };

  // A write of a key that a read cache holds, and the value it puts (none: a delete).
  struct CachedWrite {
    kv::EntityReadCache* cache = nullptr;
    std::string key;
    std::optional<std::string> value;
  };

  std::vector<CachedWrite> cached_writes(const kv::WritePlan& plan) const {
    std::vector<CachedWrite> writes;
    for (const kv::KvWrite& write : plan.writes) {
      kv::EntityReadCache* cache = cache_of(write.family);
      if (cache == nullptr) continue;
      CachedWrite cached{cache, write.key, std::nullopt};
      if (write.op == kv::KvWrite::Op::kPut && cache->enabled()) cached.value = write.value;
      writes.push_back(std::move(cached));
    }
    return writes;
  }

  static std::vector<std::string> entity_keys(std::string_view tenant,
                                              std::span<const std::string> ids) {
    std::vector<std::string> keys;
    keys.reserve(ids.size());
    for (const std::string& id : ids) keys.push_back(kv::entity_key(tenant, id));
    return keys;
  }

  // read_many() seeing the pending writes of the commit queue too. The overlay is consulted
  // first: a key it does not hold is durable already (or untouched), so the database has it.
  Result<std::vector<std::optional<std::string>>> read_many_latest(
      Family which, const std::vector<std::string>& keys, std::string_view what,
      bool whole = true) const {
    std::vector<std::optional<std::string>> result(keys.size());
    std::vector<std::string> durable_keys;
    std::vector<std::size_t> durable_positions;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (auto pending = queue_->pending(which, keys[i])) {
        result[i] = std::move(*pending);
      } else {
        durable_keys.push_back(keys[i]);
        durable_positions.push_back(i);
      }
    }
    if (durable_keys.empty()) return result;
    auto values = read_many(which, durable_keys, what, whole);
    if (!values.ok()) return std::move(values).error();
    for (std::size_t i = 0; i < durable_keys.size(); ++i) {
      result[durable_positions[i]] = std::move((*values)[i]);
    }
    return result;
  }

  Result<kv::MetasBefore> read_metas(std::string_view tenant,
                                     const std::vector<std::string>& ids) const {
    // Called under the store's locks of `ids`: no write of them can begin meanwhile.
    auto values = read_many_latest(Family::kEntityMeta, entity_keys(tenant, ids),
                                   "reading entity metadata", /*whole=*/false);
    if (!values.ok()) return std::move(values).error();
    kv::MetasBefore metas;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      std::optional<kv::EntityMeta> meta;
      if ((*values)[i]) {
        meta = kv::decode_meta(*(*values)[i]);
        if (!meta) return corruption("metadata of entity " + ids[i]);
      }
      metas.emplace(ids[i], std::move(meta));
    }
    return metas;
  }

  Status fill_documents(std::span<const Change> changes, rocksdb::WriteBatch& batch) const {
    for (const Change& change : changes) {
      for (const DocumentWrite& document : change.documents) {
        CT_RETURN_IF_ERROR(
            kv::to_status(batch.Put(family(Family::kDocuments),
                                    kv::document_key(document.ns, document.key), document.value),
                          "building the write batch"));
      }
    }
    return ok_status();
  }

  // History samples are keyed by the write's sequence number too: two samples of one
  // instance stamped in the same microsecond by different writes stay apart.
  Status fill_history(std::string_view tenant, std::span<const Change> changes,
                      const kv::BulkChunkPlan& packed, std::uint64_t sequence,
                      rocksdb::WriteBatch& batch) const {
    for (std::size_t c = 0; c < changes.size(); ++c) {
      const Change& change = changes[c];
      for (const HistoryErase& erase : change.erase_history) {
        CT_RETURN_IF_ERROR(fill_history_erase(tenant, change.id, erase, batch));
      }
      for (const std::string& type : change.erase_history_types) {
        CT_RETURN_IF_ERROR(kv::to_status(
            batch.Delete(family(Family::kHistoryTypes), kv::term_key(tenant, type, change.id)),
            "building the write batch"));
      }
      for (const std::string& type : change.history_types) {
        CT_RETURN_IF_ERROR(kv::to_status(
            batch.Put(family(Family::kHistoryTypes), kv::term_key(tenant, type, change.id), ""),
            "building the write batch"));
      }
      for (std::size_t i = 0; i < change.history.size(); ++i) {
        if (packed.is_packed(c, i)) continue;  // in a chunk of fill_bulk_chunks()
        const HistorySample& sample = change.history[i];
        // Before the row is visible: a compaction pass that read the count before it cannot
        // take the database without it for the one it saw.
        raw_history_puts_.fetch_add(1, std::memory_order_release);
        std::uint64_t key_sequence = sample.sequence != 0 ? sample.sequence : sequence;
        CT_RETURN_IF_ERROR(
            kv::to_status(batch.Put(family(Family::kHistory),
                                    kv::history_key(tenant, change.id, sample, key_sequence),
                                    kv::encode_history_value(sample)),
                          "building the write batch"));
      }
    }
    return ok_status();
  }

  // A range deletion per erased prefix: one tombstone however long the history is.
  Status fill_history_erase(std::string_view tenant, std::string_view entity,
                            const HistoryErase& erase, rocksdb::WriteBatch& batch) const {
    rocksdb::Status status;
    if (erase.before) return ok_status();  // planned by history_trims()
    if (erase.sample) {
      HistorySample key_of;
      key_of.attribute = erase.attribute;
      key_of.dataset_id = *erase.dataset_id;
      key_of.modified_at = erase.sample->modified_at;
      status = batch.Delete(family(Family::kHistory),
                            kv::history_key(tenant, entity, key_of, erase.sample->sequence));
    } else {
      std::string prefix = kv::history_entity_prefix(tenant, entity);
      if (!erase.attribute.empty()) kv::append_history_attribute(prefix, erase.attribute);
      if (erase.dataset_id) kv::append_history_dataset(prefix, *erase.dataset_id);
      std::string end = kv::prefix_successor(prefix);
      status = batch.DeleteRange(family(Family::kHistory), prefix, end);
      if (status.ok()) return kv::delete_chunk_range(history_families(), prefix, end, batch);
    }
    return kv::to_status(status, "building the write batch");
  }

  kv::HistoryFamilies history_families() const {
    return kv::HistoryFamilies{db_.get(), family(Family::kHistory), family(Family::kHistoryChunks),
                               family(Family::kHistoryChunkSpans)};
  }

  // The erasures of samples older than a cutoff (retention) in `changes`, per instance with
  // the cutoff. Planned like chunks_to_explode(), from the current database.
  Result<std::vector<std::pair<std::int64_t, kv::InstanceTrim>>> history_trims(
      std::string_view tenant, std::span<const Change> changes) {
    std::vector<std::pair<std::int64_t, kv::InstanceTrim>> trims;
    bool waited = false;
    for (const Change& change : changes) {
      for (const HistoryErase& erase : change.erase_history) {
        if (!erase.before) continue;
        if (!waited) {
          CT_RETURN_IF_ERROR(queue_->wait_durable(queue_->last_submitted()));
          waited = true;
        }
        std::string entity_prefix = kv::history_entity_prefix(tenant, change.id);
        std::string prefix = entity_prefix;
        if (!erase.attribute.empty()) kv::append_history_attribute(prefix, erase.attribute);
        if (erase.dataset_id) kv::append_history_dataset(prefix, *erase.dataset_id);
        auto planned = kv::plan_trims(history_families(), entity_prefix, prefix, *erase.before);
        if (!planned.ok()) return std::move(planned).error();
        for (auto& trim : *planned) trims.emplace_back(*erase.before, std::move(trim));
      }
    }
    return trims;
  }

  // The chunks holding a sample that `changes` erase or overwrite one by one (instance
  // prefix, chunk). Such an edit must replace the sample where it lives: its chunk is
  // turned back into raw rows in the same batch ("explode"), and the compactor packs them
  // again later. Called under the entities' locks; waiting for every submitted write to be
  // durable first makes the chunks read here current (an earlier edit of this entity may
  // still be queued), and the locks keep them so until this write is queued.
  // Bulk appends packed into chunks by the write itself (history_bulk_chunks.hpp). Waits for
  // every submitted write to be durable first, as chunks_to_explode() does: the entity locks
  // keep new writes of these entities out, so the database then shows all their history.
  Result<kv::BulkChunkPlan> bulk_chunks(std::string_view tenant, std::span<const Change> changes) {
    const std::size_t chunk_samples = std::max<std::size_t>(compaction_.chunk_samples, 1);
    if (!compaction_.pack_bulk_appends || !kv::has_bulk_candidates(changes, chunk_samples)) {
      return kv::BulkChunkPlan{};
    }
    CT_RETURN_IF_ERROR(queue_->wait_durable(queue_->last_submitted()));
    return kv::plan_bulk_chunks(history_families(), tenant, changes, chunk_samples);
  }

  Result<std::vector<std::pair<std::string, kv::ChunkToExplode>>> chunks_to_explode(
      std::string_view tenant, std::span<const Change> changes) {
    std::vector<std::pair<std::string, kv::ChunkToExplode>> chunks;
    struct Target {
      std::string instance;
      kv::HistoryPoint point;
    };
    std::vector<Target> targets;
    for (const Change& change : changes) {
      auto instance_of = [&](std::string_view attribute, std::string_view dataset) {
        std::string prefix = kv::history_entity_prefix(tenant, change.id);
        kv::append_history_attribute(prefix, attribute);
        kv::append_history_dataset(prefix, dataset);
        return prefix;
      };
      for (const HistoryErase& erase : change.erase_history) {
        if (!erase.sample || !erase.dataset_id) continue;
        targets.push_back(Target{instance_of(erase.attribute, *erase.dataset_id),
                                 {erase.sample->modified_at, erase.sample->sequence}});
      }
      for (const HistorySample& sample : change.history) {
        if (sample.sequence == 0) continue;  // a new sample: nothing to replace
        targets.push_back(Target{instance_of(sample.attribute, sample.dataset_id),
                                 {sample.modified_at, sample.sequence}});
      }
    }
    if (targets.empty()) return chunks;
    CT_RETURN_IF_ERROR(queue_->wait_durable(queue_->last_submitted()));
    for (const Target& target : targets) {
      bool done = std::any_of(chunks.begin(), chunks.end(), [&](const auto& entry) {
        return entry.first == target.instance &&
               std::any_of(entry.second.samples.begin(), entry.second.samples.end(),
                           [&](const HistorySample& s) {
                             return kv::HistoryPoint{s.modified_at, s.sequence} == target.point;
                           });
      });
      if (done) continue;
      auto chunk = kv::find_chunk_holding(history_families(), target.instance,
                                          target.point.modified_at, target.point.sequence);
      if (!chunk.ok()) return std::move(chunk).error();
      if (*chunk) chunks.emplace_back(target.instance, std::move(**chunk));
    }
    return chunks;
  }

  // One pass of history compaction: walks the raw samples instance by instance and compacts
  // every instance with at least min_samples samples older than min_age. Passes do not
  // overlap (compaction_mutex_); a writer waits at most for one step of one instance.
  Status compaction_pass() {
    std::lock_guard pass(compaction_mutex_);
    // A pass that found nothing to compact and no row too young to be, with no raw row put
    // since, would find the same again: skip its walk, a seek per instance (34 ms every pass
    // for 10,000 sensors whose last rows wait for history_compact_min_samples).
    const std::uint64_t puts = raw_history_puts_.load(std::memory_order_acquire);
    if (idle_at_puts_ == puts) {
      Status settled =
          compaction_.settle_chunks_after_bursts ? settle_chunks_after_burst() : ok_status();
      compaction_passes_.fetch_add(1, std::memory_order_relaxed);
      return settled;
    }
    compaction_walks_.fetch_add(1, std::memory_order_relaxed);
    bool waiting = false;  // rows too young, or an instance compacted (a remainder may wait)
    std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    std::int64_t cutoff =
        now - std::chrono::duration_cast<std::chrono::microseconds>(compaction_.min_age).count();
    rocksdb::ReadOptions read;
    read.fill_cache = false;  // one pass over the raw rows: do not evict the hot set
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, family(Family::kHistory)));
    const std::size_t needed = std::max<std::size_t>(compaction_.min_samples, 1);
    Status first_error = ok_status();
    std::size_t packed_rows = 0;
    it->SeekToFirst();
    while (it->Valid() && !compactor_stopping()) {
      std::string_view key = view(it->key());
      std::string_view rest = key;
      auto tenant = kv::read_component(rest);
      auto entity = tenant ? kv::read_component(rest) : std::nullopt;
      auto suffix = entity ? kv::decode_history_suffix(rest) : std::nullopt;
      if (!suffix) return corruption("history key");
      std::string instance(key.substr(0, key.size() - 16));
      std::size_t old = 0;
      for (; it->Valid() && view(it->key()).starts_with(instance) && old < needed; it->Next()) {
        auto point = kv::decode_history_point(view(it->key()), instance.size());
        if (!point) return corruption("history key");
        if (point->modified_at >= cutoff) {
          waiting = true;
          break;
        }
        ++old;
      }
      if (old >= needed) {
        waiting = true;
        // One instance's failure (a corrupt chunk) must not starve the others: carry on and
        // report the first error. A failed commit fails every later write, so stop then.
        Status compacted = compact_instance(*tenant, *entity, instance, cutoff, packed_rows);
        if (!compacted.ok() && first_error.ok()) first_error = compacted;
        if (!queue_->failure().ok()) return queue_->failure();
      }
      it->Seek(kv::prefix_successor(instance));
    }
    CT_RETURN_IF_ERROR(kv::to_status(it->status(), "scanning history for compaction"));
    waiting = waiting || compactor_stopping();  // the walk did not reach the end
    it.reset();
    packed_since_reclaim_ += packed_rows;
    if (first_error.ok() && reclaim_is_due()) first_error = reclaim_raw_history();
    if (compaction_.settle_chunks_after_bursts && first_error.ok()) {
      first_error = settle_chunks_after_burst();
    }
    idle_at_puts_ = waiting || !first_error.ok() ? std::nullopt : std::optional(puts);
    compaction_passes_.fetch_add(1, std::memory_order_relaxed);
    return first_error;
  }

  // The chunk families' writes so far, as their memtables count them (a flush starts them
  // again at 0): a pass that finds the same count as the previous one saw no chunk written.
  std::uint64_t chunk_family_memtable_entries() const {
    std::uint64_t entries = 0;
    for (Family chunk_family : {Family::kHistoryChunks, Family::kHistoryChunkSpans}) {
      for (const auto& property : {rocksdb::DB::Properties::kNumEntriesActiveMemTable,
                                   rocksdb::DB::Properties::kNumEntriesImmMemTables}) {
        std::uint64_t value = 0;
        if (db_->GetIntProperty(family(chunk_family), property, &value)) entries += value;
      }
    }
    return entries;
  }

  // Whether `chunk_family`'s memtables and level-0 files, which overlap one another and are
  // merged by every read, hold at least a tenth of its bytes (and are more than one file):
  // compacting them down then rewrites at most about ten times what they hold, as RocksDB's
  // leveling would on its way.
  bool newest_level_is_heavy(Family chunk_family) const {
    rocksdb::ColumnFamilyMetaData meta;
    db_->GetColumnFamilyMetaData(family(chunk_family), &meta);
    std::uint64_t memtable_bytes = 0;
    db_->GetIntProperty(family(chunk_family), rocksdb::DB::Properties::kCurSizeAllMemTables,
                        &memtable_bytes);
    std::uint64_t memtable_entries = 0;
    db_->GetIntProperty(family(chunk_family), rocksdb::DB::Properties::kNumEntriesActiveMemTable,
                        &memtable_entries);
    const std::uint64_t level0_bytes = meta.levels.empty() ? 0 : meta.levels.front().size;
    const std::size_t level0_files = meta.levels.empty() ? 0 : meta.levels.front().files.size();
    const std::size_t overlapping = level0_files + (memtable_entries > 0 ? 1 : 0);
    const std::uint64_t newest = level0_bytes + memtable_bytes;
    return overlapping >= 2 && newest * 10 >= meta.size + memtable_bytes;
  }

  // After a burst of chunk writes has ended, compacts the chunk families' newest level down
  // (settle_chunks_after_bursts). Chunk reads of a query after a history import then merge
  // fewer sorted runs, and the chunks get the bottom level's dictionary compression: 4-5 %
  // less CPU for the hourly maximum of 10,000 sensors read just after their import, 88.0 ->
  // 83.5 MB of chunks (docs/storage.md, "Chunk families settled after a burst").
  Status settle_chunks_after_burst() {
    const std::uint64_t entries = chunk_family_memtable_entries();
    const bool quiet = chunk_entries_at_last_pass_ == entries;
    chunk_entries_at_last_pass_ = entries;
    if (!quiet) return ok_status();
    for (Family chunk_family : {Family::kHistoryChunks, Family::kHistoryChunkSpans}) {
      if (!newest_level_is_heavy(chunk_family)) continue;
      rocksdb::CompactRangeOptions options;  // flushes the memtable first; bottom files stay
      CT_RETURN_IF_ERROR(
          kv::to_status(db_->CompactRange(options, family(chunk_family), nullptr, nullptr),
                        "settling history chunks"));
    }
    chunk_entries_at_last_pass_ = chunk_family_memtable_entries();
    return ok_status();
  }

  // The family's entry count includes the rows under range tombstones, so the packed rows
  // are at least half of it when they outnumber the live ones.
  bool reclaim_is_due() const {
    if (compaction_.reclaim_after_rows == 0 ||
        packed_since_reclaim_ < compaction_.reclaim_after_rows) {
      return false;
    }
    std::uint64_t entries = 0;
    if (!db_->GetIntProperty(family(Family::kHistory), rocksdb::DB::Properties::kEstimateNumKeys,
                             &entries)) {
      return true;
    }
    return packed_since_reclaim_ * 2 >= entries;
  }

  // Rewrites the raw history family's files without the rows a pass moved into chunks: after a
  // bulk load it frees most of the disk the load took (docs/performance.md, "Decimal number
  // column"); under sustained ingestion, once the dead rows are half of the family.
  Status reclaim_raw_history() {
    // The pass's last batches first, so that their range tombstones are in the database.
    CT_RETURN_IF_ERROR(queue_->wait_durable(queue_->last_submitted()));
    rocksdb::CompactRangeOptions options;
    // Files already at the bottom level hold replaced rows too: rewrite them as well.
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    CT_RETURN_IF_ERROR(
        kv::to_status(db_->CompactRange(options, family(Family::kHistory), nullptr, nullptr),
                      "compacting raw history"));
    packed_since_reclaim_ = 0;
    raw_reclaims_.fetch_add(1, std::memory_order_relaxed);
    return ok_status();
  }

  // Compacts one instance in steps of at most 16 chunks of raw samples (bounded memory
  // and batch size), holding the entity's lock only during a step.
  Status compact_instance(std::string_view tenant, const std::string& entity,
                          std::string_view instance, std::int64_t cutoff,
                          std::size_t& packed_rows) {
    const std::size_t per_step = std::max<std::size_t>(compaction_.chunk_samples, 1) * 16;
    for (;;) {
      kv::EntityLocks::Guard guard = locks_.lock(tenant, std::span<const std::string>(&entity, 1));
      CT_RETURN_IF_ERROR(queue_->wait_durable(queue_->last_submitted()));
      auto compaction = kv::plan_instance_compaction(history_families(), instance, cutoff,
                                                     compaction_.min_samples,
                                                     compaction_.chunk_samples, per_step);
      if (!compaction.ok()) return std::move(compaction).error();
      if (!*compaction) return ok_status();
      kv::WritePlan none;
      auto fill = [&](rocksdb::WriteBatch& batch, std::uint64_t) {
        return kv::fill_compaction(history_families(), **compaction, batch);
      };
      auto sequence = queue_->submit(none, fill, [] {});
      if (!sequence.ok()) return std::move(sequence).error();
      packed_rows += (*compaction)->raw_count;
      if (!(*compaction)->more || compactor_stopping()) return ok_status();
    }
  }

  void run_compactor() {
    name_this_thread("ct-hist-compact");
    std::unique_lock lock(compactor_mutex_);
    for (;;) {
      compactor_wake_.wait_for(lock, compaction_.interval, [&] { return compactor_stop_; });
      if (compactor_stop_) return;
      lock.unlock();
      // A failed pass (a corrupt chunk, a failed commit) is retried at the next interval; the
      // sticky commit failure is reported by write_health() already.
      (void)compaction_pass();
      lock.lock();
    }
  }

  bool compactor_stopping() const {
    std::lock_guard lock(compactor_mutex_);
    return compactor_stop_;
  }

  void stop_compactor() {
    {
      std::lock_guard lock(compactor_mutex_);
      compactor_stop_ = true;
    }
    compactor_wake_.notify_all();
    if (compactor_.joinable()) compactor_.join();
  }

  Status fill_batch(const kv::WritePlan& plan, rocksdb::WriteBatch& batch) const {
    for (const kv::KvWrite& write : plan.writes) {
      rocksdb::ColumnFamilyHandle* target = family(write.family);
      rocksdb::Status status;
      switch (write.op) {
        case kv::KvWrite::Op::kPut:
          status = batch.Put(target, write.key, write.value);
          break;
        case kv::KvWrite::Op::kDelete:
          status = batch.Delete(target, write.key);
          break;
        case kv::KvWrite::Op::kMerge:
          status = batch.Merge(target, write.key, write.value);
          break;
      }
      CT_RETURN_IF_ERROR(kv::to_status(status, "building the write batch"));
    }
    return ok_status();
  }

  Result<std::uint64_t> read_counter(const std::string& key) const {
    std::string value;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), family(Family::kCounts), key, &value);
    if (status.IsNotFound()) return std::uint64_t{0};
    if (!status.ok()) return kv::to_error(status, "reading a counter");
    auto counter = kv::decode_counter(value);
    if (!counter) return corruption("counter");
    return static_cast<std::uint64_t>(std::max<std::int64_t>(*counter, 0));
  }

  // Terms with a positive counter under `prefix`, ascending.
  Result<std::vector<TermCount>> read_counts(const std::string& prefix) const {
    std::vector<TermCount> counts;
    Status status = for_each_with_prefix(
        Family::kCounts, prefix, [&](std::string_view term, std::string_view value) -> Status {
          auto counter = kv::decode_counter(value);
          if (!counter) return corruption("counter");
          if (*counter > 0) counts.push_back(TermCount{std::string(term), std::uint64_t(*counter)});
          return ok_status();
        });
    if (!status.ok()) return std::move(status).error();
    return counts;
  }

  // Calls visit(key without prefix, value) for each key of `which` under `prefix`, ascending;
  // stops at the first error visit() returns.
  enum class ScanKind {
    kShort,  // a few keys: cache them
    kBulk,   // one pass over a whole family at open: read ahead, do not evict the hot set
  };

  template <class Visit>
  Status for_each_with_prefix(Family which, const std::string& prefix, Visit visit,
                              ScanKind kind = ScanKind::kShort) const {
    std::string upper = kv::prefix_successor(prefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = upper.empty() ? nullptr : &upper_slice;
    if (kind == ScanKind::kBulk) {
      read.fill_cache = false;
      read.readahead_size = 2 << 20;
    }
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, family(which)));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      CT_RETURN_IF_ERROR(visit(view(it->key()).substr(prefix.size()), view(it->value())));
    }
    return kv::to_status(it->status(),
                         "scanning " + std::string(kv::kFamilyNames[kv::index_of(which)]));
  }

  Status load_tenants() {
    std::set<std::string, std::less<>> loaded;
    CT_RETURN_IF_ERROR(
        for_each_with_prefix(Family::kTenants, {}, [&](std::string_view tenant, std::string_view) {
          loaded.emplace(tenant);
          return ok_status();
        }));
    std::unique_lock lock(tenants_mutex_);
    tenants_ = std::move(loaded);
    return ok_status();
  }

  // Databases written before the value index existed hold entities without value keys
  // (their metas are format 1). The first open after the upgrade counts them per tenant in
  // the kLegacy counters, which replacing or deleting such an entity decrements; scan_values
  // refuses to answer for a tenant while its counter is positive. The counters and the marker
  // are one batch, so a crash here just repeats the migration at the next open. A new
  // database has no tenants and gets only the marker.
  Status migrate_value_index() {
    std::string marker;
    rocksdb::Status found = db_->Get(rocksdb::ReadOptions(), family(Family::kValueIndex),
                                     kv::kValueIndexMigratedKey, &marker);
    if (found.ok()) return ok_status();
    if (!found.IsNotFound()) return kv::to_error(found, "reading the value index marker");
    rocksdb::WriteBatch batch;
    for (const std::string& tenant : tenants()) {
      auto entities = read_counter(kv::count_key(tenant, CountKind::kEntities, {}));
      if (!entities.ok()) return std::move(entities).error();
      if (*entities == 0) continue;
      CT_RETURN_IF_ERROR(kv::to_status(
          batch.Put(family(Family::kCounts), kv::count_key(tenant, CountKind::kLegacy, {}),
                    kv::encode_counter(static_cast<std::int64_t>(*entities))),
          "building the value index migration"));
    }
    CT_RETURN_IF_ERROR(
        kv::to_status(batch.Put(family(Family::kValueIndex), kv::kValueIndexMigratedKey, "1"),
                      "building the value index migration"));
    return kv::to_status(db_->Write(write_options_, &batch), "migrating to the value index");
  }

  // One sequential pass over `geo` (not cached: it is read once) feeding the bulk loader.
  // Keys arrive sorted, so tenant|attribute is decoded once per run of equal prefixes.
  Status load_spatial_index() {
    SpatialIndexBuilder builder;
    std::string prefix;  // encoded tenant|attribute of the current run
    std::string tenant;
    std::string attribute;
    CT_RETURN_IF_ERROR(for_each_with_prefix(
        Family::kGeo, {},
        [&](std::string_view key, std::string_view value) -> Status {
          auto box = kv::decode_box(value);
          if (prefix.empty() || !key.starts_with(prefix)) {
            auto decoded = kv::decode_geo_key(key);
            if (!decoded || !box) return corruption("geo index entry");
            prefix = key.substr(0, decoded->term_prefix_size);
            tenant = std::move(decoded->tenant);
            attribute = std::move(decoded->attribute);
          }
          auto suffix = kv::decode_geo_key_suffix(key.substr(prefix.size()));
          if (!suffix || !box) return corruption("geo index entry");
          builder.add(tenant, attribute, suffix->id, *box);
          return ok_status();
        },
        ScanKind::kBulk));
    // Then every entity's types (the index keeps a tree per type), decoding tenant|type once
    // per run of equal prefixes as above.
    prefix.clear();
    std::string type;
    CT_RETURN_IF_ERROR(for_each_with_prefix(
        Family::kTypeIndex, {},
        [&](std::string_view key, std::string_view) -> Status {
          if (prefix.empty() || !key.starts_with(prefix)) {
            auto decoded = kv::decode_term_key(key);
            if (!decoded) return corruption("type index entry");
            prefix = key.substr(0, decoded->term_prefix_size);
            tenant = std::move(decoded->tenant);
            type = std::move(decoded->term);
          }
          builder.add_type(tenant, type, key.substr(prefix.size()));
          return ok_status();
        },
        ScanKind::kBulk));
    spatial_ = std::move(builder).build();
    return ok_status();
  }

  void remember_tenant(std::string_view tenant) {
    {
      std::shared_lock lock(tenants_mutex_);
      if (tenants_.contains(tenant)) return;
    }
    std::unique_lock lock(tenants_mutex_);
    tenants_.emplace(tenant);
  }

  std::uint64_t sst_bytes() const {
    return summed_property(rocksdb::DB::Properties::kTotalSstFilesSize);
  }

  std::uint64_t summed_property(const std::string& property) const {
    std::uint64_t total = 0;
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      std::uint64_t bytes = 0;
      if (db_->GetIntProperty(handle, property, &bytes)) total += bytes;
    }
    return total;
  }

  StoreMemory memory() const {
    StoreMemory memory;
    memory.memtables = summed_property(rocksdb::DB::Properties::kCurSizeAllMemTables);
    const std::uint64_t all_memtables = summed_property(rocksdb::DB::Properties::kSizeAllMemTables);
    memory.pinned_memtables =
        all_memtables > memory.memtables ? all_memtables - memory.memtables : 0;
    memory.table_readers = summed_property(rocksdb::DB::Properties::kEstimateTableReadersMem);
    // Every CityTwin family shares one block cache: ask one of them once. Not the "default"
    // family (what GetIntProperty without a handle asks): it has a small cache of its own, so
    // the figure read 96 bytes while the shared cache held its full 64 MiB.
    std::uint64_t bytes = 0;
    rocksdb::ColumnFamilyHandle* shared = handles_.front();
    if (db_->GetIntProperty(shared, rocksdb::DB::Properties::kBlockCacheUsage, &bytes)) {
      memory.block_cache = bytes;
    }
    if (db_->GetIntProperty(shared, rocksdb::DB::Properties::kBlockCachePinnedUsage, &bytes)) {
      memory.pinned_blocks = bytes;
    }
    memory.entity_cache = entity_cache_.bytes() + meta_cache_.bytes() + newest_cache_.bytes();
    return memory;
  }

  std::uint64_t live_wal_bytes() const {
    rocksdb::VectorLogPtr files;
    if (!db_->GetSortedWalFiles(files).ok()) return 0;
    std::uint64_t total = 0;
    for (const auto& file : files) {
      if (file->Type() == rocksdb::kAliveLogFile) total += file->SizeFileBytes();
    }
    return total;
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // kFamilyNames order, then "default"
  rocksdb::WriteOptions write_options_;
  std::unique_ptr<SpatialIndex> spatial_;
  mutable kv::EntityReadCache entity_cache_;
  // The metas of recently written entities, by entity key (the same rules as entity_cache_):
  // every write reads its entities' old metas, and a meta that RocksDB finds in a large
  // memtable costs a skip-list walk (about 5 % of a PATCH's CPU, 2026-12-06).
  mutable kv::EntityReadCache meta_cache_;
  // Each recently asked attribute's newest sample (lastN=1), kept exact by every write.
  mutable kv::NewestSampleCache newest_cache_;
  kv::EntityLocks locks_;
  mutable std::shared_mutex tenants_mutex_;
  std::set<std::string, std::less<>> tenants_;
  const HistoryCompactionOptions compaction_;
  std::mutex compaction_mutex_;  // one compaction pass at a time
  std::atomic<std::uint64_t> compaction_passes_{0};
  std::atomic<std::uint64_t> compaction_walks_{0};
  std::atomic<std::uint64_t> raw_reclaims_{0};
  // Raw rows packed into chunks since the last compaction of the raw family (under
  // compaction_mutex_).
  std::uint64_t packed_since_reclaim_ = 0;
  // settle_chunks_after_burst(): the chunk families' memtable entries at the previous pass
  // (none before the first pass).
  std::optional<std::uint64_t> chunk_entries_at_last_pass_;
  // Raw history rows put (counted before they are visible), and that count when the last
  // pass found nothing to compact and nothing that would become so in time.
  mutable std::atomic<std::uint64_t> raw_history_puts_{0};
  std::optional<std::uint64_t> idle_at_puts_;
  mutable std::mutex compactor_mutex_;
  std::condition_variable compactor_wake_;
  bool compactor_stop_ = false;
  std::unique_ptr<kv::CommitQueue> queue_;  // its thread uses the members above
  std::thread compactor_;                   // last: started by start_compactor(), stopped first
};

}  // namespace

Result<std::unique_ptr<EntityStore>> open_rocksdb_store(const RocksDbOptions& options) {
  if (options.path.empty()) {
    return make_error(ErrorKind::kInternalError, "storage: RocksDbOptions.path is empty");
  }
  kv::DbConfig config = kv::make_db_config(options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status =
      rocksdb::DB::Open(config.db, options.path, config.families, &handles, &raw);
  if (!status.ok()) return kv::to_error(status, "opening the database at " + options.path);
  auto store = std::make_unique<RocksDbStore>(options, std::unique_ptr<rocksdb::DB>(raw),
                                              std::move(handles));
  CT_RETURN_IF_ERROR(store->load());
  store->start_compactor();
  return std::unique_ptr<EntityStore>(std::move(store));
}

}  // namespace citytwin::store
