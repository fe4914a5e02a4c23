#pragma once

#include <memory>
#include <string>
#include <vector>

#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// The union of several ascending id cursors, itself ascending and without duplicates.
class MergedCursor {
 public:
  explicit MergedCursor(std::vector<std::unique_ptr<store::IdCursor>> cursors);
  bool valid() const { return !current_.empty(); }
  const std::string& id() const { return current_; }
  void next();
  Status status() const;

 private:
  void settle();
  std::vector<std::unique_ptr<store::IdCursor>> cursors_;
  std::string current_;
};

}  // namespace citytwin::core
