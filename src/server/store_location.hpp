#pragma once

#include <filesystem>
#include <string>

#include "citytwin/store/rocksdb_store.hpp"

namespace citytwin::server {

// The database lives in <data dir>/rocksdb (the data dir may hold other files: port file,
// logs); `serve` and the offline commands agree on it here.
inline store::RocksDbOptions store_options_for(const std::string& data_dir) {
  store::RocksDbOptions options;
  options.path = (std::filesystem::path(data_dir) / "rocksdb").string();
  return options;
}

}  // namespace citytwin::server
