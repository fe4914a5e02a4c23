#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <rocksdb/db.h>

#include "citytwin/store/entity_store.hpp"

namespace citytwin::store::kv {

// An IdCursor over the keys of one column family that start with `prefix`; the id is the
// rest of the key. The iterator reads an implicit snapshot taken at construction, so a walk
// sees each apply() wholly or not at all. Must not outlive the DB.
class RocksDbCursor final : public IdCursor {
 public:
  RocksDbCursor(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family, std::string prefix);

  void seek(std::string_view id) override;
  bool valid() const override;
  std::string_view id() const override;
  void next() override;
  citytwin::Status status() const override;

 private:
  std::string prefix_;
  std::string upper_bound_;           // keeps the iterator inside the prefix
  rocksdb::Slice upper_bound_slice_;  // ReadOptions holds a pointer to this
  std::unique_ptr<rocksdb::Iterator> iterator_;
};

}  // namespace citytwin::store::kv
