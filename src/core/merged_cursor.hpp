#pragma once

#include <memory>
#include <string>
#include <vector>

#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// The union of several ascending id cursors, itself ascending and without duplicates.
class MergedCursor final : public store::IdCursor {
 public:
  explicit MergedCursor(std::vector<std::unique_ptr<store::IdCursor>> cursors);
  void seek(std::string_view id) override;
  bool valid() const override { return found_; }
  std::string_view id() const override { return current_; }
  void next() override;
  Status status() const override;

 private:
  void settle();
  std::vector<std::unique_ptr<store::IdCursor>> cursors_;
  std::string current_;
  bool found_ = false;
};

// The ids both cursors yield, ascending: a leapfrog join, each side seeking to the other's
// id, so a short list against a long index touches the index only near the list's ids.
class IntersectionCursor final : public store::IdCursor {
 public:
  IntersectionCursor(std::unique_ptr<store::IdCursor> left, std::unique_ptr<store::IdCursor> right);
  void seek(std::string_view id) override;
  bool valid() const override { return left_->valid() && right_->valid(); }
  std::string_view id() const override { return left_->id(); }
  void next() override;
  Status status() const override;

 private:
  void align();
  std::unique_ptr<store::IdCursor> left_;
  std::unique_ptr<store::IdCursor> right_;
  std::string target_;  // a copy: seeking one cursor may invalidate the other's view
};

}  // namespace citytwin::core
