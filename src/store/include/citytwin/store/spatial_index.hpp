#pragma once

#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/store/entity_store.hpp"

namespace citytwin::store {

// The in-memory spatial index of a store implementation (not for use above the store): one
// R-tree per (tenant, attribute, entity type) of (box, entity handle) values. Entity ids are
// interned once per tenant, so a tree value is 36 bytes whatever the id length. Trees are per
// type because a geo query nearly always names its types: with one tree per attribute, a
// crowd of another type inside the search box (151,000 entities at one point in the
// benchmark) was walked, copied and sorted before the type filter dropped it.
//
// Thread safety: every method may be called concurrently. update() takes the tenant's
// writer lock for the whole batch, so query() sees all of a batch's changes or none.

struct TenantSpatialIndex;  // defined in spatial_index.cpp (keeps Boost out of this header)

// The geo entries of one entity before and after a write. An entity without types is filed
// under the empty type, which only queries without a type restriction read.
struct GeoUpdate {
  std::string id;
  std::vector<GeoEntry> removed;  // exactly the entries indexed before (from the old record)
  std::vector<GeoEntry> added;
  std::vector<std::string> removed_types;  // the entity's types when `removed` was indexed
  std::vector<std::string> added_types;    // its types from now on
};

class SpatialIndex {
 public:
  SpatialIndex();
  ~SpatialIndex();
  SpatialIndex(const SpatialIndex&) = delete;
  SpatialIndex& operator=(const SpatialIndex&) = delete;

  void update(std::string_view tenant, std::span<const GeoUpdate> updates);
  // Ids (ascending, unique) with a box of `query.attribute` intersecting `query.box` (closed
  // intervals), of one of `query.types` when some are given (see EntityStore::ids_in_box).
  std::vector<std::string> query(std::string_view tenant, const BoxQuery& query) const;
  // Number of (entity, type, box) values indexed over all tenants and attributes.
  std::size_t size() const;

 private:
  friend class SpatialIndexBuilder;
  TenantSpatialIndex& tenant_for_write(std::string_view tenant);

  mutable std::shared_mutex tenants_mutex_;  // guards the map, not the tenants' trees
  std::map<std::string, std::unique_ptr<TenantSpatialIndex>, std::less<>> tenants_;
};

// Collects entries (e.g. while scanning the store at open) and builds every tree at once
// with the packing (STR bulk-load) algorithm: much faster than inserting one by one, and
// the resulting trees answer queries faster too.
class SpatialIndexBuilder {
 public:
  SpatialIndexBuilder();
  ~SpatialIndexBuilder();
  SpatialIndexBuilder(const SpatialIndexBuilder&) = delete;
  SpatialIndexBuilder& operator=(const SpatialIndexBuilder&) = delete;

  // Fastest when entries arrive grouped by (tenant, attribute) with equal ids adjacent, as a
  // scan of the geo column family delivers them; any order is correct.
  void add(std::string_view tenant, std::string_view attribute, std::string_view id,
           const Box& box);
  // Files the entity's boxes under `type` (also). Called after every add() of the tenant, as
  // a scan of the type index after the geo scan does; types of ids without boxes are ignored.
  void add_type(std::string_view tenant, std::string_view type, std::string_view id);
  std::unique_ptr<SpatialIndex> build() &&;

  struct Pending;  // opaque, defined in spatial_index.cpp

 private:
  std::unique_ptr<Pending> pending_;
};

}  // namespace citytwin::store
