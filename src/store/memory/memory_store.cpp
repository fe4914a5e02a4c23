#include "citytwin/store/memory_store.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <tuple>

#include "citytwin/store/change_validation.hpp"

namespace citytwin::store {
namespace {

using IdSet = std::set<std::string, std::less<>>;
using TermIndex = std::map<std::string, IdSet, std::less<>>;
// attribute -> value key -> ids; no empty maps or sets.
using ValueIndex = std::map<std::string, TermIndex, std::less<>>;

struct TenantData {
  std::map<std::string, EntityRecord, std::less<>> entities;  // terms and values sorted, unique
  TermIndex by_type;                                          // no empty sets
  TermIndex by_attribute;
  ValueIndex by_value;
  std::map<std::string, std::vector<HistorySample>, std::less<>> history;  // by entity, appended
  TermIndex by_history_type;
};

const TermIndex& index_of(const TenantData& data, IndexSelector::Kind kind) {
  switch (kind) {
    case IndexSelector::Kind::kType:
      return data.by_type;
    case IndexSelector::Kind::kHistoryType:
      return data.by_history_type;
    default:
      return data.by_attribute;
  }
}

struct State {
  mutable std::shared_mutex mutex;
  std::map<std::string, TenantData, std::less<>> tenants;
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> documents;
  std::uint64_t sequence = 0;  // numbers the writes, as the RocksDB store's commit queue does
};

bool same_key(const HistorySample& a, const HistorySample& b) {
  return a.attribute == b.attribute && a.dataset_id == b.dataset_id &&
         a.modified_at == b.modified_at && a.sequence == b.sequence;
}

bool erases(const HistoryErase& erase, const HistorySample& sample) {
  if (erase.before && sample.modified_at >= *erase.before) return false;
  if (erase.attribute.empty()) return true;
  if (sample.attribute != erase.attribute) return false;
  if (!erase.dataset_id) return true;
  if (sample.dataset_id != *erase.dataset_id) return false;
  return !erase.sample || (sample.modified_at == erase.sample->modified_at &&
                           sample.sequence == erase.sample->sequence);
}

template <class T>
std::vector<T> sorted_unique(std::vector<T> terms) {
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

bool intersects(const Box& a, const Box& b) {
  return a.min_x <= b.max_x && b.min_x <= a.max_x && a.min_y <= b.max_y && b.min_y <= a.max_y;
}

// Any record passes an empty type list (BoxQuery::types).
bool of_any_type(const EntityRecord& record, std::span<const std::string> types) {
  if (types.empty()) return true;
  return std::any_of(types.begin(), types.end(), [&](const std::string& type) {
    return std::find(record.types.begin(), record.types.end(), type) != record.types.end();
  });
}

void index_terms(TermIndex& index, const std::vector<std::string>& terms, const std::string& id) {
  for (const std::string& term : terms) index[term].insert(id);
}

void unindex_terms(TermIndex& index, const std::vector<std::string>& terms, const std::string& id) {
  for (const std::string& term : terms) {
    auto found = index.find(term);
    if (found == index.end()) continue;
    found->second.erase(id);
    if (found->second.empty()) index.erase(found);
  }
}

void index_values(ValueIndex& index, const std::vector<ValueEntry>& values, const std::string& id) {
  for (const ValueEntry& entry : values) index[entry.attribute][entry.key].insert(id);
}

void unindex_values(ValueIndex& index, const std::vector<ValueEntry>& values,
                    const std::string& id) {
  for (const ValueEntry& entry : values) {
    auto attribute = index.find(entry.attribute);
    if (attribute == index.end()) continue;
    unindex_terms(attribute->second, {entry.key}, id);
    if (attribute->second.empty()) index.erase(attribute);
  }
}

void remove_entity(TenantData& tenant, std::string_view id) {
  auto found = tenant.entities.find(id);
  if (found == tenant.entities.end()) return;
  unindex_terms(tenant.by_type, found->second.types, found->first);
  unindex_terms(tenant.by_attribute, found->second.attributes, found->first);
  unindex_values(tenant.by_value, found->second.values, found->first);
  tenant.entities.erase(found);
}

void put_entity(TenantData& tenant, EntityRecord record) {
  remove_entity(tenant, record.id);
  record.types = sorted_unique(std::move(record.types));
  record.attributes = sorted_unique(std::move(record.attributes));
  record.values = sorted_unique(std::move(record.values));
  index_terms(tenant.by_type, record.types, record.id);
  index_terms(tenant.by_attribute, record.attributes, record.id);
  index_values(tenant.by_value, record.values, record.id);
  std::string id = record.id;
  tenant.entities.emplace(std::move(id), std::move(record));
}

// True when `key` lies beyond the upper bound of `range`.
bool past_upper(std::string_view key, const ValueRange& range) {
  if (!range.upper) return false;
  return range.upper_inclusive ? key > *range.upper : key >= *range.upper;
}

std::vector<TermCount> term_counts(const TermIndex& index) {
  std::vector<TermCount> counts;
  for (const auto& [term, ids] : index) counts.push_back(TermCount{term, ids.size()});
  return counts;
}

// Walks live containers: each step looks the next id up again under the reader lock, so the
// cursor never holds a lock or an iterator across calls.
class MemoryCursor final : public IdCursor {
 public:
  MemoryCursor(std::shared_ptr<const State> state, std::string tenant, IndexSelector selector)
      : state_(std::move(state)), tenant_(std::move(tenant)), selector_(std::move(selector)) {}

  void seek(std::string_view id) override { position(id, /*after=*/false); }
  bool valid() const override { return current_.has_value(); }
  std::string_view id() const override { return *current_; }
  void next() override { position(*current_, /*after=*/true); }
  Status status() const override { return ok_status(); }

 private:
  template <class Sorted>
  static std::optional<std::string> first(const Sorted& sorted, std::string_view id, bool after) {
    auto it = after ? sorted.upper_bound(id) : sorted.lower_bound(id);
    if (it == sorted.end()) return std::nullopt;
    if constexpr (std::is_same_v<Sorted, IdSet>) {
      return *it;
    } else {
      return it->first;
    }
  }

  void position(std::string_view id, bool after) {
    std::string from(id);  // `id` may view current_, which is about to change
    std::shared_lock lock(state_->mutex);
    current_.reset();
    auto tenant = state_->tenants.find(tenant_);
    if (tenant == state_->tenants.end()) return;
    if (selector_.kind == IndexSelector::Kind::kAll) {
      current_ = first(tenant->second.entities, from, after);
      return;
    }
    const TermIndex& index = index_of(tenant->second, selector_.kind);
    auto ids = index.find(selector_.term);
    if (ids != index.end()) current_ = first(ids->second, from, after);
  }

  std::shared_ptr<const State> state_;
  std::string tenant_;
  IndexSelector selector_;
  std::optional<std::string> current_;
};

class MemoryStore final : public EntityStore {
 public:
  Result<std::optional<std::string>> get(std::string_view tenant,
                                         std::string_view id) const override {
    std::shared_lock lock(state_->mutex);
    const EntityRecord* record = find(tenant, id);
    if (record == nullptr) return std::optional<std::string>();
    return std::optional<std::string>(record->document);
  }

  Result<std::vector<std::optional<std::string>>> multi_get(
      std::string_view tenant, std::span<const std::string> ids) const override {
    std::shared_lock lock(state_->mutex);
    std::vector<std::optional<std::string>> documents;
    for (const std::string& id : ids) {
      const EntityRecord* record = find(tenant, id);
      documents.push_back(record ? std::optional<std::string>(record->document) : std::nullopt);
    }
    return documents;
  }

  Status apply(std::string_view tenant, std::span<const Change> changes) override {
    if (changes.empty()) return ok_status();
    CT_RETURN_IF_ERROR(validate_changes(changes));
    std::unique_lock lock(state_->mutex);
    TenantData& data = state_->tenants[std::string(tenant)];
    const std::uint64_t sequence = ++state_->sequence;
    for (const Change& change : changes) {
      if (change.kind == Change::Kind::kPut) {
        put_entity(data, change.record);
      } else if (change.kind == Change::Kind::kDelete) {
        remove_entity(data, change.id);
      }
      auto& history = data.history[change.id];
      for (const HistoryErase& erase : change.erase_history) {
        std::erase_if(history, [&](const HistorySample& sample) { return erases(erase, sample); });
      }
      for (const std::string& type : change.erase_history_types) {
        if (auto found = data.by_history_type.find(type); found != data.by_history_type.end()) {
          found->second.erase(change.id);
          if (found->second.empty()) data.by_history_type.erase(found);
        }
      }
      for (const std::string& type : change.history_types) {
        data.by_history_type[type].insert(change.id);
      }
      for (HistorySample sample : change.history) {
        if (sample.sequence != 0) {
          std::erase_if(history, [&](const HistorySample& old) { return same_key(old, sample); });
        } else {
          sample.sequence = sequence;
        }
        history.push_back(std::move(sample));
      }
      for (const DocumentWrite& document : change.documents) {
        state_->documents[document.ns][document.key] = document.value;
      }
    }
    return ok_status();
  }

  Result<std::vector<HistorySample>> history(std::string_view tenant, std::string_view entity,
                                             std::string_view attribute, const HistoryRange& range,
                                             std::size_t limit) const override {
    std::shared_lock lock(state_->mutex);
    std::vector<HistorySample> samples;
    const TenantData* data = find_tenant(tenant);
    if (data == nullptr) return samples;
    auto found = data->history.find(entity);
    if (found == data->history.end()) return samples;
    for (const HistorySample& sample : found->second) {
      if (!attribute.empty() && sample.attribute != attribute) continue;
      if (sample.modified_at < range.from || sample.modified_at >= range.to) continue;
      samples.push_back(sample);
    }
    std::sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) {
      return std::tie(a.attribute, a.dataset_id, a.modified_at, a.sequence) <
             std::tie(b.attribute, b.dataset_id, b.modified_at, b.sequence);
    });
    if (samples.size() > limit) samples.resize(limit);
    return samples;
  }

  std::unique_ptr<IdCursor> scan(std::string_view tenant,
                                 const IndexSelector& selector) const override {
    auto cursor = std::make_unique<MemoryCursor>(state_, std::string(tenant), selector);
    cursor->seek({});
    return cursor;
  }

  Result<std::uint64_t> count(std::string_view tenant,
                              const IndexSelector& selector) const override {
    std::shared_lock lock(state_->mutex);
    const TenantData* data = find_tenant(tenant);
    if (data == nullptr) return std::uint64_t{0};
    if (selector.kind == IndexSelector::Kind::kAll) return std::uint64_t{data->entities.size()};
    if (selector.kind == IndexSelector::Kind::kHistoryType) {
      return make_error(ErrorKind::kOperationNotSupported, "history types are not counted");
    }
    const TermIndex& index = index_of(*data, selector.kind);
    auto ids = index.find(selector.term);
    return std::uint64_t{ids == index.end() ? 0 : ids->second.size()};
  }

  Result<std::vector<std::string>> ids_in_box(std::string_view tenant,
                                              const BoxQuery& query) const override {
    std::shared_lock lock(state_->mutex);
    std::vector<std::string> ids;
    const TenantData* data = find_tenant(tenant);
    if (data == nullptr) return ids;
    for (const auto& [id, record] : data->entities) {  // ascending, so ids come out sorted
      if (!of_any_type(record, query.types)) continue;
      bool hit = std::any_of(record.geo.begin(), record.geo.end(), [&](const GeoEntry& entry) {
        return entry.attribute == query.attribute && intersects(entry.box, query.box) &&
               (!query.keep || query.keep(entry.box));
      });
      if (hit) ids.push_back(id);
    }
    return ids;
  }

  Result<ValueScan> scan_values(std::string_view tenant, std::string_view attribute,
                                const ValueRange& range, std::size_t max_ids) const override {
    std::shared_lock lock(state_->mutex);
    ValueScan scan;
    const TenantData* data = find_tenant(tenant);
    if (data == nullptr) return scan;
    auto keys = data->by_value.find(attribute);
    if (keys == data->by_value.end()) return scan;
    IdSet ids;
    const TermIndex& by_key = keys->second;
    auto it =
        range.lower_inclusive ? by_key.lower_bound(range.lower) : by_key.upper_bound(range.lower);
    for (; it != by_key.end() && !past_upper(it->first, range) && !scan.truncated; ++it) {
      for (const std::string& id : it->second) {
        if (ids.size() == max_ids && !ids.contains(id)) {
          scan.truncated = true;
          break;
        }
        ids.insert(id);
      }
    }
    scan.ids.assign(ids.begin(), ids.end());
    return scan;
  }

  bool has_tenant(std::string_view tenant) const override {
    std::shared_lock lock(state_->mutex);
    return find_tenant(tenant) != nullptr;
  }

  std::vector<std::string> tenants() const override {
    std::shared_lock lock(state_->mutex);
    std::vector<std::string> names;
    for (const auto& [name, data] : state_->tenants) names.push_back(name);
    return names;
  }

  Result<std::vector<TermCount>> type_counts(std::string_view tenant) const override {
    std::shared_lock lock(state_->mutex);
    const TenantData* data = find_tenant(tenant);
    return data ? term_counts(data->by_type) : std::vector<TermCount>();
  }

  Result<std::vector<TermCount>> attribute_counts(std::string_view tenant) const override {
    std::shared_lock lock(state_->mutex);
    const TenantData* data = find_tenant(tenant);
    return data ? term_counts(data->by_attribute) : std::vector<TermCount>();
  }

  Result<std::vector<std::string>> history_types(std::string_view tenant) const override {
    std::shared_lock lock(state_->mutex);
    std::vector<std::string> types;
    if (const TenantData* data = find_tenant(tenant)) {
      for (const auto& [type, ids] : data->by_history_type) types.push_back(type);
    }
    return types;
  }

  StoreStats stats() const override {
    std::shared_lock lock(state_->mutex);
    StoreStats stats;
    for (const auto& [name, data] : state_->tenants) {
      stats.entities += data.entities.size();
      stats.per_tenant.push_back(TermCount{name, data.entities.size()});
    }
    return stats;
  }

  Status put_document(std::string_view ns, std::string_view key, std::string_view value) override {
    std::unique_lock lock(state_->mutex);
    state_->documents[std::string(ns)][std::string(key)] = std::string(value);
    return ok_status();
  }

  Status delete_document(std::string_view ns, std::string_view key) override {
    std::unique_lock lock(state_->mutex);
    auto space = state_->documents.find(ns);
    if (space == state_->documents.end()) return ok_status();
    if (auto found = space->second.find(key); found != space->second.end()) {
      space->second.erase(found);
    }
    if (space->second.empty()) state_->documents.erase(space);
    return ok_status();
  }

  Result<std::optional<std::string>> get_document(std::string_view ns,
                                                  std::string_view key) const override {
    std::shared_lock lock(state_->mutex);
    auto space = state_->documents.find(ns);
    if (space == state_->documents.end()) return std::optional<std::string>();
    auto found = space->second.find(key);
    if (found == space->second.end()) return std::optional<std::string>();
    return std::optional<std::string>(found->second);
  }

  Result<std::vector<std::pair<std::string, std::string>>> list_documents(
      std::string_view ns) const override {
    std::shared_lock lock(state_->mutex);
    std::vector<std::pair<std::string, std::string>> documents;
    auto space = state_->documents.find(ns);
    if (space != state_->documents.end()) {
      documents.assign(space->second.begin(), space->second.end());
    }
    return documents;
  }

 private:
  // Callers hold state_->mutex.
  const TenantData* find_tenant(std::string_view tenant) const {
    auto found = state_->tenants.find(tenant);
    return found == state_->tenants.end() ? nullptr : &found->second;
  }

  const EntityRecord* find(std::string_view tenant, std::string_view id) const {
    const TenantData* data = find_tenant(tenant);
    if (data == nullptr) return nullptr;
    auto found = data->entities.find(id);
    return found == data->entities.end() ? nullptr : &found->second;
  }

  // Shared with cursors, which may outlive a scan call (but not, by contract, the store).
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace

std::unique_ptr<EntityStore> make_memory_store() {
  return std::make_unique<MemoryStore>();
}

}  // namespace citytwin::store
