#include "entity_locks.hpp"

#include <algorithm>
#include <functional>
#include <string>

namespace citytwin::core {

std::size_t EntityLocks::stripe(std::string_view tenant, std::string_view id) const {
  std::size_t hash = std::hash<std::string_view>{}(id);
  hash ^= std::hash<std::string_view>{}(tenant) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  return hash % kStripes;
}

std::unique_lock<std::mutex> EntityLocks::lock(std::string_view tenant, std::string_view id) {
  return std::unique_lock<std::mutex>(mutexes_[stripe(tenant, id)]);
}

std::vector<std::unique_lock<std::mutex>> EntityLocks::lock_all(std::vector<std::size_t> stripes) {
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  std::vector<std::unique_lock<std::mutex>> held;
  held.reserve(stripes.size());
  for (std::size_t index : stripes) held.emplace_back(mutexes_[index]);
  return held;
}

}  // namespace citytwin::core
