#include "rocksdb_cursor.hpp"

#include "key_codec.hpp"
#include "status_mapping.hpp"

namespace citytwin::store::kv {

RocksDbCursor::RocksDbCursor(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                             std::string prefix)
    : prefix_(std::move(prefix)),
      upper_bound_(prefix_successor(prefix_)),
      upper_bound_slice_(upper_bound_) {
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper_bound_slice_;
  iterator_.reset(db.NewIterator(read, family));
}

void RocksDbCursor::seek(std::string_view id) {
  std::string key = prefix_;
  key.append(id);
  iterator_->Seek(key);
}

bool RocksDbCursor::valid() const {
  return iterator_->Valid();
}

std::string_view RocksDbCursor::id() const {
  rocksdb::Slice key = iterator_->key();
  return std::string_view(key.data(), key.size()).substr(prefix_.size());
}

void RocksDbCursor::next() {
  iterator_->Next();
}

citytwin::Status RocksDbCursor::status() const {
  return to_status(iterator_->status(), "index scan");
}

}  // namespace citytwin::store::kv
