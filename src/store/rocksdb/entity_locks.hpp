#pragma once

#include <algorithm>
#include <array>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citytwin::store::kv {

// Striped per-entity locks held by apply() from reading the old metas until the spatial
// index is updated, so two writers of one entity cannot interleave (core serializes them
// already; this keeps the store consistent even if it did not). Writers of different entities
// usually take different stripes and reach RocksDB together, which group-commits their WAL
// fsyncs. Stripes are locked in ascending order, so batches cannot deadlock.
class EntityLocks {
 public:
  using Guard = std::vector<std::unique_lock<std::mutex>>;

  Guard lock(std::string_view tenant, std::span<const std::string> ids) {
    std::vector<std::size_t> stripes;
    stripes.reserve(ids.size());
    for (const std::string& id : ids) stripes.push_back(stripe_of(tenant, id));
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    Guard guard;
    guard.reserve(stripes.size());
    for (std::size_t stripe : stripes) guard.emplace_back(stripes_[stripe]);
    return guard;
  }

 private:
  static constexpr std::size_t kStripes = 64;

  static std::size_t stripe_of(std::string_view tenant, std::string_view id) {
    std::size_t hash = std::hash<std::string_view>{}(tenant);
    hash ^= std::hash<std::string_view>{}(id) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
    return hash % kStripes;
  }

  std::array<std::mutex, kStripes> stripes_;
};

}  // namespace citytwin::store::kv
