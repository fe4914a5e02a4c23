#include "count_merge_operator.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

#include "key_codec.hpp"

namespace citytwin::store::kv {
namespace {

class CounterMergeOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    std::int64_t base = 0;
    if (existing_value != nullptr) {
      auto decoded =
          decode_counter(std::string_view(existing_value->data(), existing_value->size()));
      if (!decoded) return false;  // corruption: RocksDB reports it to the reader
      base = *decoded;
    }
    auto delta = decode_counter(std::string_view(value.data(), value.size()));
    if (!delta) return false;
    *new_value = encode_counter(base + *delta);
    return true;
  }

  // Part of the on-disk format: a database written with this operator must be opened with it.
  const char* Name() const override { return "citytwin.Int64Add"; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> make_counter_merge_operator() {
  return std::make_shared<CounterMergeOperator>();
}

}  // namespace citytwin::store::kv
