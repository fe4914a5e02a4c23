#include "allocator_stats.hpp"

#include <dlfcn.h>
#include <malloc.h>

#include <cstddef>

namespace citytwin::server {
namespace {

using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

// Looked up at run time so that the library does not depend on jemalloc at link time: only the
// `citytwin` executable links it (cmake/dependencies.cmake).
Mallctl find_mallctl() {
  return reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
}

std::uint64_t read_size(Mallctl mallctl, const char* name) {
  std::size_t value = 0;
  std::size_t length = sizeof(value);
  return mallctl(name, &value, &length, nullptr, 0) == 0 ? value : 0;
}

AllocatorStats jemalloc_stats(Mallctl mallctl) {
  // jemalloc's statistics are a snapshot refreshed by writing the epoch.
  std::uint64_t epoch = 1;
  std::size_t length = sizeof(epoch);
  mallctl("epoch", &epoch, &length, &epoch, length);
  AllocatorStats stats;
  stats.allocator = "jemalloc";
  stats.allocated = read_size(mallctl, "stats.allocated");
  stats.resident = read_size(mallctl, "stats.resident");
  stats.retained = read_size(mallctl, "stats.retained");
  return stats;
}

AllocatorStats glibc_stats() {
  struct mallinfo2 info = mallinfo2();
  AllocatorStats stats;
  stats.allocator = "glibc";
  stats.allocated = info.uordblks + info.hblkhd;
  stats.resident = info.arena + info.hblkhd;
  stats.retained = info.fordblks;
  return stats;
}

}  // namespace

AllocatorStats read_allocator_stats() {
  static const Mallctl mallctl = find_mallctl();
  return mallctl != nullptr ? jemalloc_stats(mallctl) : glibc_stats();
}

}  // namespace citytwin::server
