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

#include <algorithm>
#include <mutex>
#include <set>
#include <shared_mutex>

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
#include "history_codec.hpp"
#include "key_codec.hpp"
#include "meta_codec.hpp"
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

class RocksDbStore final : public EntityStore {
 public:
  RocksDbStore(const RocksDbOptions& options, std::unique_ptr<rocksdb::DB> db,
               std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : db_(std::move(db)), handles_(std::move(handles)) {
    write_options_.sync = options.sync_writes;
    queue_ = std::make_unique<kv::CommitQueue>(*db_, write_options_, kMaxGroupBytes);
  }

  // A clean shutdown flushes the memtables so that the next open has no WAL to replay
  // (seconds for a full write buffer). Failures are ignored: every acknowledged write is in
  // the WAL already and will be replayed instead.
  ~RocksDbStore() override {
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
    return load_spatial_index();
  }

  Result<std::optional<std::string>> get(std::string_view tenant,
                                         std::string_view id) const override {
    std::string document;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), family(Family::kEntities),
                                      kv::entity_key(tenant, id), &document);
    if (status.IsNotFound()) return std::optional<std::string>();
    if (!status.ok()) return kv::to_error(status, "get");
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

  Result<std::vector<std::optional<std::string>>> multi_get_latest(
      std::string_view tenant, std::span<const std::string> ids) const override {
    return read_many_latest(Family::kEntities, entity_keys(tenant, ids), "multi_get");
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
    }
    return std::uint64_t{0};
  }

  Result<std::vector<std::string>> ids_in_box(std::string_view tenant, std::string_view attribute,
                                              const Box& box) const override {
    return spatial_->query(tenant, attribute, box);
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
    std::set<std::string, std::less<>> ids;
    for (it->Seek(begin); it->Valid(); it->Next()) {
      auto id = kv::value_index_id(view(it->key()).substr(prefix.size()));
      if (!id) return corruption("value index entry");
      if (ids.size() == max_ids && !ids.contains(*id)) {
        scan.truncated = true;
        break;
      }
      ids.emplace(*id);
    }
    CT_RETURN_IF_ERROR(kv::to_status(it->status(), "scanning value_index"));
    scan.ids.assign(ids.begin(), ids.end());
    return scan;
  }

  // Walks the entity's (or attribute's) prefix in key order. Inside one instance samples are
  // in time order, so the walk seeks past samples before range.from and skips the rest of
  // the instance once it reaches range.to.
  Result<std::vector<HistorySample>> history(std::string_view tenant, std::string_view entity,
                                             std::string_view attribute, const HistoryRange& range,
                                             std::size_t limit) const override {
    std::vector<HistorySample> samples;
    std::string entity_prefix = kv::history_entity_prefix(tenant, entity);
    std::string prefix = entity_prefix;
    if (!attribute.empty()) kv::append_history_attribute(prefix, attribute);
    std::string end = kv::prefix_successor(prefix);
    rocksdb::Slice end_slice(end);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &end_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, family(Family::kHistory)));
    it->Seek(prefix);
    while (it->Valid() && samples.size() < limit) {
      std::string_view key = view(it->key());
      auto suffix = kv::decode_history_suffix(key.substr(entity_prefix.size()));
      if (!suffix) return corruption("history key");
      std::string instance_prefix(
          key.substr(0, entity_prefix.size() + suffix->instance_prefix_size));
      if (suffix->modified_at < range.from) {
        kv::append_history_instant(instance_prefix, range.from);
        it->Seek(instance_prefix);
        continue;
      }
      if (suffix->modified_at >= range.to) {
        it->Seek(kv::prefix_successor(instance_prefix));
        continue;
      }
      HistorySample sample;
      sample.attribute = std::move(suffix->attribute);
      sample.dataset_id = std::move(suffix->dataset_id);
      sample.modified_at = suffix->modified_at;
      if (!kv::decode_history_value(view(it->value()), sample)) return corruption("history value");
      samples.push_back(std::move(sample));
      it->Next();
    }
    CT_RETURN_IF_ERROR(kv::to_status(it->status(), "reading history"));
    return samples;
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

  // Best effort: a counter that cannot be read counts as 0 (stats() cannot fail).
  StoreStats stats() const override {
    StoreStats stats;
    for (const std::string& tenant : tenants()) {
      auto entities = read_counter(kv::count_key(tenant, CountKind::kEntities, {}));
      std::uint64_t count = entities.ok() ? *entities : 0;
      stats.entities += count;
      stats.per_tenant.push_back(TermCount{tenant, count});
    }
    stats.bytes_on_disk = sst_bytes() + live_wal_bytes();
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

 private:
  rocksdb::ColumnFamilyHandle* family(Family which) const { return handles_[kv::index_of(which)]; }

  static Family index_family(const IndexSelector& selector) {
    return selector.kind == IndexSelector::Kind::kType ? Family::kTypeIndex : Family::kAttrIndex;
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

  // Values of `keys` in one family from one snapshot; nullopt where a key is absent.
  Result<std::vector<std::optional<std::string>>> read_many(Family which,
                                                            const std::vector<std::string>& keys,
                                                            std::string_view what) const {
    rocksdb::ManagedSnapshot snapshot(db_.get());
    rocksdb::ReadOptions read;
    read.snapshot = snapshot.snapshot();
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::ColumnFamilyHandle*> families(keys.size(), family(which));
    std::vector<std::string> values;
    std::vector<rocksdb::Status> statuses = db_->MultiGet(read, families, slices, &values);
    std::vector<std::optional<std::string>> result(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].IsNotFound()) continue;
      if (!statuses[i].ok()) return kv::to_error(statuses[i], what);
      result[i] = std::move(values[i]);
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
    kv::WritePlan plan = kv::plan_apply(tenant, changes, *before);
    auto after_commit = [this, tenant = std::string(tenant), geo = std::move(plan.geo)] {
      spatial_->update(tenant, geo);
      remember_tenant(tenant);
    };
    auto fill = [&](rocksdb::WriteBatch& batch, std::uint64_t sequence) -> Status {
      CT_RETURN_IF_ERROR(fill_batch(plan, batch));
      CT_RETURN_IF_ERROR(fill_documents(changes, batch));
      return fill_history(tenant, changes, sequence, batch);
    };
    return queue_->submit(plan, fill, std::move(after_commit));
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
      Family which, const std::vector<std::string>& keys, std::string_view what) const {
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
    auto values = read_many(which, durable_keys, what);
    if (!values.ok()) return std::move(values).error();
    for (std::size_t i = 0; i < durable_keys.size(); ++i) {
      result[durable_positions[i]] = std::move((*values)[i]);
    }
    return result;
  }

  Result<kv::MetasBefore> read_metas(std::string_view tenant,
                                     const std::vector<std::string>& ids) const {
    auto values =
        read_many_latest(Family::kEntityMeta, entity_keys(tenant, ids), "reading entity metadata");
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
                      std::uint64_t sequence, rocksdb::WriteBatch& batch) const {
    for (const Change& change : changes) {
      for (const HistorySample& sample : change.history) {
        CT_RETURN_IF_ERROR(
            kv::to_status(batch.Put(family(Family::kHistory),
                                    kv::history_key(tenant, change.id, sample, sequence),
                                    kv::encode_history_value(sample)),
                          "building the write batch"));
      }
    }
    return ok_status();
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
    std::uint64_t total = 0;
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      std::uint64_t bytes = 0;
      if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kTotalSstFilesSize, &bytes)) {
        total += bytes;
      }
    }
    return total;
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
  kv::EntityLocks locks_;
  mutable std::shared_mutex tenants_mutex_;
  std::set<std::string, std::less<>> tenants_;
  std::unique_ptr<kv::CommitQueue> queue_;  // last: its thread uses the members above
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
  return std::unique_ptr<EntityStore>(std::move(store));
}

}  // namespace citytwin::store
