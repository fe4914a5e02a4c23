#pragma once

#include <array>
#include <mutex>
#include <string_view>
#include <vector>

namespace citytwin::core {

// Striped per-entity locks: two writers of one entity serialize, writers of different
// entities rarely contend. Batches take their stripes in ascending order (no deadlock).
class EntityLocks {
 public:
  static constexpr std::size_t kStripes = 1024;

  std::size_t stripe(std::string_view tenant, std::string_view id) const;
  std::unique_lock<std::mutex> lock(std::string_view tenant, std::string_view id);
  // Locks every stripe once, in ascending order.
  std::vector<std::unique_lock<std::mutex>> lock_all(std::vector<std::size_t> stripes);

 private:
  std::array<std::mutex, kStripes> mutexes_;
};

}  // namespace citytwin::core
