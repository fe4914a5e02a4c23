#pragma once

#include <memory>

#include <rocksdb/merge_operator.h>

namespace citytwin::store::kv {

// Adds signed 64-bit deltas (key_codec's encode_counter) to a counter. Every apply() merges
// +1/-1 per type, attribute and entity it adds or removes in the same batch as the index
// keys, so counts are exact, atomic with the data, commutative (concurrent writers never
// serialize on a hot counter), and need no rebuild at open. A missing counter is 0.
std::shared_ptr<rocksdb::MergeOperator> make_counter_merge_operator();

}  // namespace citytwin::store::kv
