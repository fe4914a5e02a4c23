#include "memory_budget.hpp"

#include <gtest/gtest.h>

namespace citytwin::server {
namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

TEST(MemoryBudget, ReadsTheMachinesMemoryFromMeminfo) {
  EXPECT_EQ(meminfo_total("MemTotal:       24578432 kB\nMemFree:        1000 kB\n"),
            std::uint64_t{24578432} * 1024);
  EXPECT_EQ(meminfo_total("MemFree: 1000 kB\n"), std::nullopt);
  EXPECT_EQ(meminfo_total("MemTotal: lots\n"), std::nullopt);
}

TEST(MemoryBudget, ReadsACgroupLimitAndKnowsNoLimit) {
  EXPECT_EQ(cgroup_memory_limit("536870912\n"), std::uint64_t{536870912});
  EXPECT_EQ(cgroup_memory_limit("max\n"), std::nullopt);
  EXPECT_EQ(cgroup_memory_limit(""), std::nullopt);
}

TEST(MemoryBudget, TheBlockCacheIsAnEighthBetween64MiBAnd1GiB) {
  EXPECT_EQ(automatic_block_cache_mb(std::nullopt), 64u);
  EXPECT_EQ(automatic_block_cache_mb(256 << 20), 64u);  // a small board: the least
  EXPECT_EQ(automatic_block_cache_mb(2 * kGiB), 256u);
  EXPECT_EQ(automatic_block_cache_mb(4 * kGiB), 512u);
  EXPECT_EQ(automatic_block_cache_mb(64 * kGiB), 1024u);  // a large server: the most
}

TEST(MemoryBudget, ThisMachinesMemoryIsKnown) {
  auto usable = usable_memory_bytes();
  ASSERT_TRUE(usable.has_value());
  EXPECT_GT(*usable, std::uint64_t{64} << 20);
}

}  // namespace
}  // namespace citytwin::server
