#include "status_mapping.hpp"

#include <string>

namespace citytwin::store::kv {

Error to_error(const rocksdb::Status& status, std::string_view what) {
  std::string detail = "storage: " + std::string(what) + " failed: " + status.ToString();
  if (status.IsNoSpace()) {
    return make_error(ErrorKind::kServiceUnavailable,
                      "storage is out of disk space; the write was not applied (" + detail + ")");
  }
  return make_error(ErrorKind::kInternalError, std::move(detail));
}

citytwin::Status to_status(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return ok_status();
  return to_error(status, what);
}

}  // namespace citytwin::store::kv
