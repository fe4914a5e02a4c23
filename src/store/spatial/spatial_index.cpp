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

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

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

}  // namespace

struct TenantSpatialIndex {
  mutable std::shared_mutex mutex;  // readers: query(); writer: one update() batch
  IdTable ids;
  std::map<std::string, Rtree, std::less<>> trees;  // by attribute; no empty trees

  void remove(const std::string& id, const std::vector<GeoEntry>& entries) {
    std::optional<Handle> handle = ids.find(id);
    if (!handle) return;
    for (const GeoEntry& entry : entries) {
      auto tree = trees.find(entry.attribute);
      if (tree == trees.end()) continue;
      if (tree->second.remove(Value(to_tree_box(entry.box), *handle)) > 0) ids.release(*handle);
      if (tree->second.empty()) trees.erase(tree);
    }
  }

  void add(const std::string& id, const std::vector<GeoEntry>& entries) {
    for (const GeoEntry& entry : entries) {
      auto tree = trees.find(entry.attribute);
      if (tree == trees.end()) tree = trees.emplace(entry.attribute, Rtree()).first;
      tree->second.insert(Value(to_tree_box(entry.box), ids.acquire(id)));
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
    index.remove(update.id, update.removed);
    index.add(update.id, update.added);
  }
}

std::vector<std::string> SpatialIndex::query(std::string_view tenant, std::string_view attribute,
                                             const Box& box,
                                             const std::function<bool(const Box&)>& keep) const {
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
    auto tree = index->trees.find(attribute);
    if (tree == index->trees.end()) return {};
    std::vector<Value> hits;
    tree->second.query(bgi::intersects(to_tree_box(box)), std::back_inserter(hits));
    ids.reserve(hits.size());
    for (const Value& hit : hits) {
      if (keep) {
        const TreeBox& found = hit.first;
        Box own{found.min_corner().get<0>(), found.min_corner().get<1>(),
                found.max_corner().get<0>(), found.max_corner().get<1>()};
        if (!keep(own)) continue;
      }
      ids.push_back(index->ids.id(hit.second));
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::size_t SpatialIndex::size() const {
  std::shared_lock lock(tenants_mutex_);
  std::size_t total = 0;
  for (const auto& [name, index] : tenants_) {
    std::shared_lock tenant_lock(index->mutex);
    for (const auto& [attribute, tree] : index->trees) total += tree.size();
  }
  return total;
}

// add() only appends: ids get provisional handles (positions in `ids`, one per run of equal
// consecutive ids), and build() interns them all at once into a table sized exactly. An id
// with boxes under several attributes gets several provisional handles, merged by build().
struct SpatialIndexBuilder::Pending {
  struct Tenant {
    std::vector<std::string> ids;
    std::map<std::string, std::vector<Value>, std::less<>> values;  // by attribute
  };
  std::map<std::string, Tenant, std::less<>> tenants;
};

namespace {

std::unique_ptr<TenantSpatialIndex> build_tenant(SpatialIndexBuilder::Pending::Tenant& pending) {
  auto built = std::make_unique<TenantSpatialIndex>();
  built->ids.reserve(pending.ids.size());
  std::vector<Handle> canonical;
  canonical.reserve(pending.ids.size());
  for (std::string& id : pending.ids) canonical.push_back(built->ids.intern(std::move(id)));
  std::vector<std::string>().swap(pending.ids);
  for (auto& [attribute, values] : pending.values) {
    for (Value& value : values) {
      value.second = canonical[value.second];
      built->ids.add_ref(value.second);
    }
    built->trees.emplace(attribute, Rtree(values.begin(), values.end()));  // packing
    std::vector<Value>().swap(values);  // free as we go: peak memory stays ~1 copy
  }
  return built;
}

}  // namespace

SpatialIndexBuilder::SpatialIndexBuilder() : pending_(std::make_unique<Pending>()) {}
SpatialIndexBuilder::~SpatialIndexBuilder() = default;

void SpatialIndexBuilder::add(std::string_view tenant, std::string_view attribute,
                              std::string_view id, const Box& box) {
  auto found = pending_->tenants.find(tenant);
  if (found == pending_->tenants.end()) {
    found = pending_->tenants.try_emplace(std::string(tenant)).first;
  }
  Pending::Tenant& pending = found->second;
  auto values = pending.values.find(attribute);
  if (values == pending.values.end()) {
    values = pending.values.try_emplace(std::string(attribute)).first;
  }
  if (pending.ids.empty() || pending.ids.back() != id) pending.ids.emplace_back(id);
  values->second.emplace_back(to_tree_box(box), static_cast<Handle>(pending.ids.size() - 1));
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
