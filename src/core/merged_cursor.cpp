#include "merged_cursor.hpp"

namespace citytwin::core {

MergedCursor::MergedCursor(std::vector<std::unique_ptr<store::IdCursor>> cursors)
    : cursors_(std::move(cursors)) {
  seek("");
}

void MergedCursor::seek(std::string_view id) {
  for (auto& cursor : cursors_) cursor->seek(id);
  settle();
}

// Picks the smallest id among the cursors (linear: there are only a few type alternatives).
void MergedCursor::settle() {
  found_ = false;
  for (auto& cursor : cursors_) {
    if (!cursor->valid()) continue;
    if (!found_ || cursor->id() < current_) {
      current_.assign(cursor->id());
      found_ = true;
    }
  }
  if (!found_) current_.clear();
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

IntersectionCursor::IntersectionCursor(std::unique_ptr<store::IdCursor> left,
                                       std::unique_ptr<store::IdCursor> right)
    : left_(std::move(left)), right_(std::move(right)) {
  seek("");
}

void IntersectionCursor::seek(std::string_view id) {
  left_->seek(id);
  right_->seek(id);
  align();
}

void IntersectionCursor::next() {
  left_->next();
  align();
}

// Moves whichever cursor is behind to the other's id until both agree or one ends.
void IntersectionCursor::align() {
  while (left_->valid() && right_->valid()) {
    int order = left_->id().compare(right_->id());
    if (order == 0) return;
    if (order < 0) {
      target_.assign(right_->id());
      left_->seek(target_);
    } else {
      target_.assign(left_->id());
      right_->seek(target_);
    }
  }
}

Status IntersectionCursor::status() const {
  if (auto status = left_->status(); !status.ok()) return status;
  return right_->status();
}

}  // namespace citytwin::core
