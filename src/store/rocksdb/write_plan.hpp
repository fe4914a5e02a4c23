#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/store/entity_store.hpp"
#include "citytwin/store/spatial_index.hpp"
#include "column_families.hpp"
#include "meta_codec.hpp"

// Turns one apply() call into the key-value writes of a single atomic batch: documents,
// metas, every index key added or removed, counter deltas and the tenant marker. Pure logic,
// kept apart from RocksDB so the index maintenance rules are testable and readable alone.
namespace citytwin::store::kv {

struct KvWrite {
  enum class Op { kPut, kDelete, kMerge };
  Op op = Op::kPut;
  Family family = Family::kEntities;
  std::string key;
  std::string value;  // kPut: the value; kMerge: the counter delta; kDelete: unused
};

struct WritePlan {
  std::vector<KvWrite> writes;
  std::vector<GeoUpdate> geo;  // to apply to the spatial index once the batch is durable
};

// Stored metas of the touched entities before the batch; nullopt for an absent entity.
using MetasBefore = std::map<std::string, std::optional<EntityMeta>, std::less<>>;

// The distinct entity ids `changes` touch, ascending.
std::vector<std::string> touched_ids(std::span<const Change> changes);

// `before` must hold every id of touched_ids(changes). Changes apply in order, so only the
// last change of an id reaches the batch. `tenant_marker`: also put the tenant's marker in
// `tenants`; a store skips it once an earlier batch that put it is in the database (tenants
// are never removed), which saves a key per write.
WritePlan plan_apply(std::string_view tenant, std::span<const Change> changes,
                     const MetasBefore& before, bool tenant_marker = true);

}  // namespace citytwin::store::kv
