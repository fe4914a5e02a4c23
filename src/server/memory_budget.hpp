#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace citytwin::server {

// The memory this process may use: the cgroup's limit (cgroup v2 memory.max) when it sets
// one below the machine's memory, else the machine's (/proc/meminfo MemTotal). nullopt when
// neither can be read.
std::optional<std::uint64_t> usable_memory_bytes();

// The two sources, from their text (the files' contents), for the above and its tests.
std::optional<std::uint64_t> cgroup_memory_limit(std::string_view memory_max);
std::optional<std::uint64_t> meminfo_total(std::string_view meminfo);

// The block cache a server gets when storage.block_cache_mb is 0 (automatic): an eighth of
// `usable` memory, between 64 MiB (and that when unknown) and 1 GiB.
std::size_t automatic_block_cache_mb(std::optional<std::uint64_t> usable);

}  // namespace citytwin::server
