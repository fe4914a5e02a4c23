#include "citytwin/store/entity_store.hpp"

namespace citytwin::store {

// A store without a value index reports every range as too large, which sends the caller to
// its plan without the index: slower, never wrong.
Result<ValueScan> EntityStore::scan_values(std::string_view, std::string_view, const ValueRange&,
                                           std::size_t) const {
  ValueScan scan;
  scan.truncated = true;
  return scan;
}

}  // namespace citytwin::store
