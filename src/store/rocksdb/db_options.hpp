#pragma once

#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "citytwin/store/rocksdb_store.hpp"

namespace citytwin::store::kv {

// Everything DB::Open needs: database options and one descriptor per column family, in
// kFamilyNames order.
struct DbConfig {
  rocksdb::DBOptions db;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
};

DbConfig make_db_config(const RocksDbOptions& options);

}  // namespace citytwin::store::kv
