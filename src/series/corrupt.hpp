#pragma once

#include <string>

#include "citytwin/common/error.hpp"

namespace citytwin::series {

// A chunk that fails to decode is stored data the server cannot explain to the client
// (torn write, disk corruption, a bug): an internal error, never the client's fault.
inline Error corrupt_chunk(const std::string& what) {
  return make_error(ErrorKind::kInternalError, "corrupt time-series chunk: " + what);
}

}  // namespace citytwin::series
