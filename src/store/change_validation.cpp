#include "citytwin/store/change_validation.hpp"

#include <cmath>
#include <string>

namespace citytwin::store {
namespace {

bool valid_box(const Box& box) {
  bool finite = std::isfinite(box.min_x) && std::isfinite(box.min_y) && std::isfinite(box.max_x) &&
                std::isfinite(box.max_y);
  return finite && box.min_x <= box.max_x && box.min_y <= box.max_y;
}

Status validate_record(const EntityRecord& record) {
  if (record.id.empty()) {
    return make_error(ErrorKind::kBadRequestData, "storage: an entity id is empty");
  }
  for (const GeoEntry& entry : record.geo) {
    if (!valid_box(entry.box)) {
      return make_error(
          ErrorKind::kBadRequestData,
          "storage: entity " + record.id + " has an invalid bounding box for " + entry.attribute);
    }
  }
  return ok_status();
}

}  // namespace

Status validate_changes(std::span<const Change> changes) {
  for (const Change& change : changes) {
    if (change.kind == Change::Kind::kPut) {
      CT_RETURN_IF_ERROR(validate_record(change.record));
    } else if (change.id.empty()) {
      return make_error(ErrorKind::kBadRequestData, "storage: an entity id to change is empty");
    }
    for (const HistoryErase& erase : change.erase_history) {
      if ((erase.dataset_id && erase.attribute.empty()) || (erase.sample && !erase.dataset_id) ||
          (erase.sample && erase.before)) {
        return make_error(ErrorKind::kInternalError, "storage: malformed history erase");
      }
    }
  }
  return ok_status();
}

}  // namespace citytwin::store
