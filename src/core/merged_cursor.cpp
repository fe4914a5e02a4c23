#include "merged_cursor.hpp"

namespace citytwin::core {

MergedCursor::MergedCursor(std::vector<std::unique_ptr<store::IdCursor>> cursors)
    : cursors_(std::move(cursors)) {
  for (auto& cursor : cursors_) cursor->seek("");
  settle();
}

// Picks the smallest id among the cursors (linear: there are only a few type alternatives).
void MergedCursor::settle() {
  current_.clear();
  bool found = false;
  for (auto& cursor : cursors_) {
    if (!cursor->valid()) continue;
    if (!found || cursor->id() < current_) {
      current_ = std::string(cursor->id());
      found = true;
    }
  }
}

void MergedCursor::next() {
  for (auto& cursor : cursors_) {
    while (cursor->valid() && cursor->id() <= current_) cursor->next();
  }
  settle();
}

Status MergedCursor::status() const {
  for (const auto& cursor : cursors_) {
    if (auto status = cursor->status(); !status.ok()) return status;
  }
  return ok_status();
}

}  // namespace citytwin::core
