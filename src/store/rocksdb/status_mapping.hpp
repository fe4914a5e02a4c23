#pragma once

#include <string_view>

#include <rocksdb/status.h>

#include "citytwin/common/error.hpp"
#include "citytwin/common/result.hpp"

namespace citytwin::store::kv {

// A failed RocksDB status as an Error. A full disk is kServiceUnavailable (the client may
// retry once space is freed); everything else (I/O error, corruption, lock held by another
// process, ...) is kInternalError. `what` names the operation, e.g. "apply".
Error to_error(const rocksdb::Status& status, std::string_view what);

// OK stays OK; anything else goes through to_error().
citytwin::Status to_status(const rocksdb::Status& status, std::string_view what);

}  // namespace citytwin::store::kv
