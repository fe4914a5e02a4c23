#include "citytwin/store/spatial_index.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <utility>

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include "citytwin/common/string_hash.hpp"

namespace citytwin::store {
namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

// Coordinates are WGS84 degrees treated as planar: intersection of axis-aligned boxes is the
// same test in both, and a cartesian tree avoids the cost of geographic strategies.
using Point = bg::model::point<double, 2, bg::cs::cartesian>;
using TreeBox = bg::model::box<Point>;
using Handle = std::uint32_t;
using Value = std::pair<TreeBox, Handle>;
// Quadratic split: cheap incremental inserts on the write path. Trees built at open use the
// packing algorithm whatever the split parameter.
using Rtree = bgi::rtree<Value, bgi::quadratic<16>>;

TreeBox to_tree_box(const Box& box) {
  return TreeBox(Point(box.min_x, box.min_y), Point(box.max_x, box.max_y));
}

// The ids of one tenant's indexed entities, each stored once and reference-counted by the
// tree values that point at it. Freed slots are reused so handles stay dense. An open-
// addressing map: interning a million ids at open is the largest cost of the rebuild.
class IdTable {
 public:
  void reserve(std::size_t ids) { by_id_.reserve(ids); }

  // The handle of `id`, created with no reference if new.
  Handle intern(std::string id) {
    if (auto found = by_id_.find(id); found != by_id_.end()) return found->second;
    Handle handle = allocate_slot(std::move(id));
    // The key views ids_[handle], which a deque never moves.
    by_id_.emplace(std::string_view(ids_[handle]), handle);
    return handle;
  }

  void add_ref(Handle handle) { ++refs_[handle]; }

  Handle acquire(std::string_view id) {
    Handle handle = intern(std::string(id));
    add_ref(handle);
    return handle;
  }

  std::optional<Handle> find(std::string_view id) const {
    auto found = by_id_.find(id);
    if (found == by_id_.end()) return std::nullopt;
    return found->second;
  }

  void release(Handle handle) {
    if (--refs_[handle] > 0) return;
    by_id_.erase(std::string_view(ids_[handle]));
    ids_[handle].clear();
    ids_[handle].shrink_to_fit();
    free_.push_back(handle);
  }

  const std::string& id(Handle handle) const { return ids_[handle]; }
  // Handles in use or free: every handle is below it.
  std::size_t capacity() const { return ids_.size(); }

 private:
  Handle allocate_slot(std::string id) {
    if (!free_.empty()) {
      Handle handle = free_.back();
      free_.pop_back();
      ids_[handle] = std::move(id);
      refs_[handle] = 0;
      return handle;
    }
    ids_.push_back(std::move(id));
    refs_.push_back(0);
    return static_cast<Handle>(ids_.size() - 1);
  }

  std::deque<std::string> ids_;
  std::vector<std::uint32_t> refs_;
  std::vector<Handle> free_;
  boost::unordered_flat_map<std::string_view, Handle, StringHash> by_id_;
};

// Entities without types are filed under this name: no expanded type IRI is empty.
const std::string kUntyped;

std::span<const std::string> types_or_untyped(const std::vector<std::string>& types) {
  if (types.empty()) return {&kUntyped, 1};
  return types;
}

Box to_box(const TreeBox& box) {
  return Box{box.min_corner().get<0>(), box.min_corner().get<1>(), box.max_corner().get<0>(),
             box.max_corner().get<1>()};
}

}  // namespace

struct TenantSpatialIndex {
  using TypeTrees = std::map<std::string, Rtree, std::less<>>;  // by type; no empty trees

  mutable std::shared_mutex mutex;  // readers: query(); writer: one update() batch
  IdTable ids;
  std::map<std::string, TypeTrees, std::less<>> trees;  // by attribute; none empty

  void remove(const std::string& id, std::span<const std::string> types,
              const std::vector<GeoEntry>& entries) {
    std::optional<Handle> handle = ids.find(id);
    if (!handle) return;
    for (const GeoEntry& entry : entries) {
      auto by_type = trees.find(entry.attribute);
      if (by_type == trees.end()) continue;
      for (const std::string& type : types) {
        auto tree = by_type->second.find(type);
        if (tree == by_type->second.end()) continue;
        if (tree->second.remove(Value(to_tree_box(entry.box), *handle)) > 0) ids.release(*handle);
        if (tree->second.empty()) by_type->second.erase(tree);
      }
      if (by_type->second.empty()) trees.erase(by_type);
    }
  }

  void add(const std::string& id, std::span<const std::string> types,
           const std::vector<GeoEntry>& entries) {
    for (const GeoEntry& entry : entries) {
      TypeTrees& by_type = trees[entry.attribute];
      for (const std::string& type : types) {
        auto tree = by_type.find(type);
        if (tree == by_type.end()) tree = by_type.emplace(type, Rtree()).first;
        tree->second.insert(Value(to_tree_box(entry.box), ids.acquire(id)));
      }
    }
  }

  void collect(const Rtree& tree, const BoxQuery& query, std::vector<std::string>& ids_out) const {
    std::vector<Value> hits;
    tree.query(bgi::intersects(to_tree_box(query.box)), std::back_inserter(hits));
    for (const Value& hit : hits) {
      if (query.keep && !query.keep(to_box(hit.first))) continue;
      ids_out.push_back(ids.id(hit.second));
    }
  }
};

SpatialIndex::SpatialIndex() = default;
SpatialIndex::~SpatialIndex() = default;

TenantSpatialIndex& SpatialIndex::tenant_for_write(std::string_view tenant) {
  {
    std::shared_lock lock(tenants_mutex_);
    if (auto found = tenants_.find(tenant); found != tenants_.end()) return *found->second;
  }
  std::unique_lock lock(tenants_mutex_);
  auto [it, inserted] = tenants_.try_emplace(std::string(tenant));
  if (inserted) it->second = std::make_unique<TenantSpatialIndex>();
  return *it->second;  // entries are never erased, so the reference outlives the lock
}

void SpatialIndex::update(std::string_view tenant, std::span<const GeoUpdate> updates) {
  bool any = std::any_of(updates.begin(), updates.end(), [](const GeoUpdate& update) {
    return !update.removed.empty() || !update.added.empty();
  });
  if (!any) return;
  TenantSpatialIndex& index = tenant_for_write(tenant);
  std::unique_lock lock(index.mutex);
  for (const GeoUpdate& update : updates) {
    index.remove(update.id, types_or_untyped(update.removed_types), update.removed);
    index.add(update.id, types_or_untyped(update.added_types), update.added);
  }
}

std::vector<std::string> SpatialIndex::query(std::string_view tenant, const BoxQuery& query) const {
  const TenantSpatialIndex* index = nullptr;
  {
    std::shared_lock lock(tenants_mutex_);
    auto found = tenants_.find(tenant);
    if (found == tenants_.end()) return {};
    index = found->second.get();
  }
  std::vector<std::string> ids;
  {
    std::shared_lock lock(index->mutex);
    auto by_type = index->trees.find(query.attribute);
    if (by_type == index->trees.end()) return {};
    if (query.types.empty()) {
      for (const auto& [type, tree] : by_type->second) index->collect(tree, query, ids);
    } else {
      for (const std::string& type : query.types) {
        auto tree = by_type->second.find(type);
        if (tree != by_type->second.end()) index->collect(tree->second, query, ids);
      }
    }
  }
  // An entity is in several trees when it has several types, and several times in one tree
  // when it has several instances of the attribute.
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::size_t SpatialIndex::size() const {
  std::shared_lock lock(tenants_mutex_);
  std::size_t total = 0;
  for (const auto& [name, index] : tenants_) {
    std::shared_lock tenant_lock(index->mutex);
    for (const auto& [attribute, by_type] : index->trees) {
      for (const auto& [type, tree] : by_type) total += tree.size();
    }
  }
  return total;
}

// add() only appends: ids get provisional handles (positions in `ids`, one per run of equal
// consecutive ids), and the first add_type() or build() interns them all at once into a table
// sized exactly. An id with boxes under several attributes gets several provisional handles,
// merged by the interning.
struct SpatialIndexBuilder::Pending {
  struct Tenant {
    std::vector<std::string> ids;
    std::map<std::string, std::vector<Value>, std::less<>> values;  // by attribute
    std::unique_ptr<TenantSpatialIndex> built = std::make_unique<TenantSpatialIndex>();
    std::vector<Handle> canonical;  // by provisional handle, for the ids interned so far
    std::vector<std::string> type_names;
    std::map<std::string, std::uint32_t, std::less<>> type_numbers;
    // Each entity's types, by canonical handle: the first in first_type (kNoType when none
    // was seen), any further ones in more_types. Most entities have one type, so a million
    // of them cost one integer each, not one allocation each.
    std::vector<std::uint32_t> first_type;
    std::vector<std::pair<Handle, std::uint32_t>> more_types;

    void intern_pending() {
      if (canonical.empty()) built->ids.reserve(ids.size());
      for (std::size_t n = canonical.size(); n < ids.size(); ++n) {
        canonical.push_back(built->ids.intern(std::move(ids[n])));
      }
    }

    std::uint32_t type_number(std::string_view type) {
      if (!type_names.empty() && type_names.back() == type) {
        return static_cast<std::uint32_t>(type_names.size() - 1);
      }
      auto found = type_numbers.find(type);
      if (found != type_numbers.end()) return found->second;
      type_names.emplace_back(type);
      auto number = static_cast<std::uint32_t>(type_names.size() - 1);
      type_numbers.emplace(type_names.back(), number);
      return number;
    }
  };
  std::map<std::string, Tenant, std::less<>> tenants;

  Tenant& tenant(std::string_view name) {
    auto found = tenants.find(name);
    if (found == tenants.end()) found = tenants.try_emplace(std::string(name)).first;
    return found->second;
  }
};

namespace {

using PendingTenant = SpatialIndexBuilder::Pending::Tenant;

constexpr std::uint32_t kNoType = ~std::uint32_t{0};

// The values of one attribute, grouped by the number of the type they are filed under
// (entities without a known type under the empty type's number).
std::vector<std::vector<Value>> values_by_type(PendingTenant& pending, std::vector<Value>& values) {
  std::uint32_t untyped = pending.type_number(kUntyped);
  std::vector<std::vector<Value>> grouped(pending.type_names.size());
  auto file = [&](std::uint32_t type, const Value& value) {
    grouped[type].push_back(value);
    pending.built->ids.add_ref(value.second);
  };
  for (Value& value : values) {
    Handle handle = pending.canonical[value.second];
    value.second = handle;
    std::uint32_t first = handle < pending.first_type.size() ? pending.first_type[handle] : kNoType;
    file(first == kNoType ? untyped : first, value);
    auto more = std::equal_range(pending.more_types.begin(), pending.more_types.end(),
                                 std::pair<Handle, std::uint32_t>(handle, 0),
                                 [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto it = more.first; it != more.second; ++it) file(it->second, value);
  }
  return grouped;
}

std::unique_ptr<TenantSpatialIndex> build_tenant(PendingTenant& pending) {
  pending.intern_pending();
  std::vector<std::string>().swap(pending.ids);
  std::sort(pending.more_types.begin(), pending.more_types.end());
  for (auto& [attribute, values] : pending.values) {
    auto grouped = values_by_type(pending, values);
    std::vector<Value>().swap(values);  // free as we go: peak memory stays ~2 copies of one
    auto& by_type = pending.built->trees[attribute];
    for (std::uint32_t type = 0; type < grouped.size(); ++type) {
      std::vector<Value>& typed = grouped[type];
      if (typed.empty()) continue;
      by_type.emplace(pending.type_names[type], Rtree(typed.begin(), typed.end()));  // packing
      std::vector<Value>().swap(typed);
    }
  }
  return std::move(pending.built);
}

}  // namespace

SpatialIndexBuilder::SpatialIndexBuilder() : pending_(std::make_unique<Pending>()) {}
SpatialIndexBuilder::~SpatialIndexBuilder() = default;

void SpatialIndexBuilder::add(std::string_view tenant, std::string_view attribute,
                              std::string_view id, const Box& box) {
  Pending::Tenant& pending = pending_->tenant(tenant);
  auto values = pending.values.find(attribute);
  if (values == pending.values.end()) {
    values = pending.values.try_emplace(std::string(attribute)).first;
  }
  bool new_run = pending.ids.size() == pending.canonical.size() || pending.ids.back() != id;
  if (new_run) pending.ids.emplace_back(id);
  values->second.emplace_back(to_tree_box(box), static_cast<Handle>(pending.ids.size() - 1));
}

void SpatialIndexBuilder::add_type(std::string_view tenant, std::string_view type,
                                   std::string_view id) {
  auto found = pending_->tenants.find(tenant);
  if (found == pending_->tenants.end()) return;  // no boxes in this tenant
  Pending::Tenant& pending = found->second;
  pending.intern_pending();
  std::optional<Handle> handle = pending.built->ids.find(id);
  if (!handle) return;
  std::uint32_t number = pending.type_number(type);
  if (pending.first_type.size() <= *handle) {
    pending.first_type.resize(std::max<std::size_t>(*handle + 1, pending.built->ids.capacity()),
                              kNoType);
  }
  if (pending.first_type[*handle] == kNoType) {
    pending.first_type[*handle] = number;
  } else if (pending.first_type[*handle] != number) {
    pending.more_types.emplace_back(*handle, number);
  }
}

std::unique_ptr<SpatialIndex> SpatialIndexBuilder::build() && {
  auto index = std::make_unique<SpatialIndex>();
  for (auto& [tenant, pending] : pending_->tenants) {
    index->tenants_.emplace(tenant, build_tenant(pending));
  }
  pending_ = std::make_unique<Pending>();
  return index;
}

}  // namespace citytwin::store
