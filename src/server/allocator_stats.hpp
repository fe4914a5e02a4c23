#pragma once

#include <cstdint>
#include <optional>

namespace citytwin::server {

// What the process's allocator holds, to tell a leak (allocated keeps growing) from
// fragmentation or arenas filling up (resident grows, allocated does not).
struct AllocatorStats {
  const char* allocator = "";   // "jemalloc" or "glibc"
  std::uint64_t allocated = 0;  // bytes handed out to the program and not yet freed
  std::uint64_t resident = 0;   // bytes of allocator pages resident in RAM (jemalloc only)
  std::uint64_t retained = 0;   // virtual memory kept for reuse, not returned to the OS
};

// Asks jemalloc through mallctl when the binary runs on it (the release binary links it;
// test and sanitizer builds do not), glibc's mallinfo2 otherwise.
AllocatorStats read_allocator_stats();

}  // namespace citytwin::server
