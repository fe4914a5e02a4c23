#include "write_plan.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "key_codec.hpp"

namespace citytwin::store::kv {
namespace {

const std::string& change_id(const Change& change) {
  return change.kind == Change::Kind::kPut ? change.record.id : change.id;
}

template <class T>
std::vector<T> minus(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> result;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(result));
  return result;
}

// Accumulates the batch for one tenant; counter deltas are summed per key so that each
// counter gets at most one merge operand per batch.
class PlanBuilder {
 public:
  explicit PlanBuilder(std::string_view tenant) : tenant_(tenant) {}

  void entity(const std::string& id, const std::optional<EntityMeta>& old_meta,
              const EntityRecord* record) {
    std::optional<EntityMeta> new_meta;
    if (record != nullptr) new_meta = meta_of(*record);
    write_documents(id, old_meta.has_value(), record, new_meta);
    static const EntityMeta kNone;
    const EntityMeta& before = old_meta ? *old_meta : kNone;
    const EntityMeta& after = new_meta ? *new_meta : kNone;
    write_terms(Family::kTypeIndex, CountKind::kType, id, before.types, after.types);
    write_terms(Family::kAttrIndex, CountKind::kAttribute, id, before.attributes, after.attributes);
    write_geo(id, before, after);
    write_values(id, before.values, after.values);
    if (old_meta.has_value() != new_meta.has_value()) {
      count(count_key(tenant_, CountKind::kEntities, {}), new_meta ? 1 : -1);
    }
    // Replacing or deleting a format-1 entity writes (or leaves) no format-1 meta.
    if (old_meta && old_meta->legacy) count(count_key(tenant_, CountKind::kLegacy, {}), -1);
  }

  WritePlan finish(bool tenant_marker) && {
    // Value keys sort by attribute and value, not by entity: in entity order the keys of a
    // batch of many entities land all over the family's memtable, and RocksDB's skip list
    // inserts a key fastest right after the previous one. Each key is distinct (it ends with
    // its entity's id, and an entity's deletes and puts are disjoint), so order is free.
    std::sort(values_.begin(), values_.end(),
              [](const KvWrite& a, const KvWrite& b) { return a.key < b.key; });
    for (KvWrite& write : values_) plan_.writes.push_back(std::move(write));
    for (const auto& [key, delta] : deltas_) {
      if (delta != 0) add(KvWrite::Op::kMerge, Family::kCounts, key, encode_counter(delta));
    }
    if (tenant_marker) add(KvWrite::Op::kPut, Family::kTenants, std::string(tenant_), {});
    return std::move(plan_);
  }

 private:
  void write_documents(const std::string& id, bool existed, const EntityRecord* record,
                       const std::optional<EntityMeta>& new_meta) {
    std::string key = entity_key(tenant_, id);
    if (record != nullptr) {
      add(KvWrite::Op::kPut, Family::kEntities, key, record->document);
      add(KvWrite::Op::kPut, Family::kEntityMeta, key, encode_meta(*new_meta));
    } else if (existed) {
      add(KvWrite::Op::kDelete, Family::kEntities, key, {});
      add(KvWrite::Op::kDelete, Family::kEntityMeta, key, {});
    }
  }

  void write_terms(Family family, CountKind kind, const std::string& id,
                   const std::vector<std::string>& before, const std::vector<std::string>& after) {
    for (const std::string& term : minus(before, after)) {
      add(KvWrite::Op::kDelete, family, term_key(tenant_, term, id), {});
      count(count_key(tenant_, kind, term), -1);
    }
    for (const std::string& term : minus(after, before)) {
      add(KvWrite::Op::kPut, family, term_key(tenant_, term, id), {});
      count(count_key(tenant_, kind, term), +1);
    }
  }

  void write_values(const std::string& id, const std::vector<ValueEntry>& before,
                    const std::vector<ValueEntry>& after) {
    for (const ValueEntry& entry : minus(before, after)) {
      values_.push_back(KvWrite{KvWrite::Op::kDelete,
                                Family::kValueIndex,
                                value_index_key(tenant_, entry.attribute, entry.key, id),
                                {}});
    }
    for (const ValueEntry& entry : minus(after, before)) {
      values_.push_back(KvWrite{KvWrite::Op::kPut,
                                Family::kValueIndex,
                                value_index_key(tenant_, entry.attribute, entry.key, id),
                                {}});
    }
  }

  // Geo keys embed the attribute, so a changed entry n may need a different key: delete every
  // old key, then put every new one (a later put of the same key in a batch wins). The
  // in-memory index files boxes by type too, so a change of types alone refiles them.
  void write_geo(const std::string& id, const EntityMeta& before, const EntityMeta& after) {
    bool same_boxes = same_geo(before.geo, after.geo);
    if (same_boxes && (before.geo.empty() || before.types == after.types)) return;
    if (!same_boxes) {
      for (std::uint32_t n = 0; n < before.geo.size(); ++n) {
        add(KvWrite::Op::kDelete, Family::kGeo, geo_key(tenant_, before.geo[n].attribute, id, n),
            {});
      }
      for (std::uint32_t n = 0; n < after.geo.size(); ++n) {
        add(KvWrite::Op::kPut, Family::kGeo, geo_key(tenant_, after.geo[n].attribute, id, n),
            encode_box(after.geo[n].box));
      }
    }
    plan_.geo.push_back(GeoUpdate{id, before.geo, after.geo, before.types, after.types});
  }

  void add(KvWrite::Op op, Family family, std::string key, std::string value) {
    plan_.writes.push_back(KvWrite{op, family, std::move(key), std::move(value)});
  }

  void count(std::string key, std::int64_t delta) { deltas_[std::move(key)] += delta; }

  std::string_view tenant_;
  WritePlan plan_;
  std::vector<KvWrite> values_;  // value-index writes, added to plan_ by finish()
  std::map<std::string, std::int64_t> deltas_;
};

}  // namespace

std::vector<std::string> touched_ids(std::span<const Change> changes) {
  std::vector<std::string> ids;
  ids.reserve(changes.size());
  for (const Change& change : changes) ids.push_back(change_id(change));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

WritePlan plan_apply(std::string_view tenant, std::span<const Change> changes,
                     const MetasBefore& before, bool tenant_marker) {
  // The last change of each id decides its final state; nullptr means deleted.
  std::map<std::string_view, const EntityRecord*> after;
  for (const Change& change : changes) {
    if (change.kind == Change::Kind::kHistory) continue;
    after[change_id(change)] = change.kind == Change::Kind::kPut ? &change.record : nullptr;
  }
  PlanBuilder builder(tenant);
  for (const auto& [id, record] : after) {
    auto old_meta = before.find(id);
    builder.entity(std::string(id), old_meta != before.end() ? old_meta->second : std::nullopt,
                   record);
  }
  return std::move(builder).finish(tenant_marker);
}

}  // namespace citytwin::store::kv
