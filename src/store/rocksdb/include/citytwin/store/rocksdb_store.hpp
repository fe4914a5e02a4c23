#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "citytwin/common/result.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::store {

// How the RocksDB store opens its database. The defaults suit a small machine (2 cores,
// a few GiB of RAM); docs/storage.md explains the on-disk layout and the durability model.
struct RocksDbOptions {
  // Directory of the database; created (with its column families) when missing. Required:
  // there is no default.
  std::string path;
  // fsync the write-ahead log before apply()/put_document() return. This is what makes an
  // acknowledged (2xx) write survive an OS crash or power loss. Default true; false keeps
  // writes safe against a process crash only (tests, bulk imports).
  bool sync_writes = true;
  // Shared LRU cache for data, index and filter blocks of every column family. Default 64 MiB.
  std::size_t block_cache_bytes = std::size_t{64} << 20;
  // Upper bound on memtable memory over all column families before RocksDB flushes.
  // Default 64 MiB.
  std::size_t write_buffer_bytes = std::size_t{64} << 20;
  // Threads for flushes and compactions together. Default 2.
  int background_jobs = 2;
  // Table files kept open (each costs a file descriptor and some index memory); -1 means
  // unbounded. Default 512.
  int max_open_files = 512;
};

// Opens (or creates) the database at options.path and rebuilds the in-memory spatial index
// from it. Fails with kInternalError when the directory is unusable, locked by another
// process or corrupt, and with kServiceUnavailable when the disk is full.
// Every IdCursor from scan() must be destroyed before the store.
Result<std::unique_ptr<EntityStore>> open_rocksdb_store(const RocksDbOptions& options);

}  // namespace citytwin::store
